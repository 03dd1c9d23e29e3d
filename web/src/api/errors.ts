/**
 * The API's errors as one type the UI shows: `{detail: string}` bodies and FastAPI-shaped 422s
 * (`{detail: [{loc, msg, type}]}`), whose `loc` lets a form put the message next to the input it names.
 */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues: ValidationIssue[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The message of the 422 issue about `field` (the last name in `loc`, or a dotted path such as `body.config.model`). */
  fieldError(field: string): string | undefined {
    return issueFor(this.issues, field)?.msg;
  }
}

/** The issue whose location ends with `field` (dotted for nested: `vllm_config.model_name`). */
export function issueFor(issues: ValidationIssue[], field: string): ValidationIssue | undefined {
  const want = field.split('.');
  return issues.find((i) => {
    const loc = i.loc.map(String);
    return want.length <= loc.length && want.every((w, k) => loc[loc.length - want.length + k] === w);
  });
}

/** Builds an ApiError from a response status and its (parsed) body. */
export function apiErrorFrom(status: number, body: unknown): ApiError {
  const detail = (body as any)?.detail;
  if (Array.isArray(detail)) {
    const issues: ValidationIssue[] = detail.map((d: any) => ({
      loc: Array.isArray(d?.loc) ? d.loc : [],
      msg: String(d?.msg ?? ''),
      type: String(d?.type ?? 'value_error'),
    }));
    return new ApiError(status, issues.map((i) => `${i.loc.filter((l) => l !== 'body').join('.')}: ${i.msg}`).join('; ') || 'Invalid input', issues);
  }
  if (typeof detail === 'string') return new ApiError(status, detail);
  if (typeof body === 'string' && body) return new ApiError(status, body.slice(0, 300));
  return new ApiError(status, `HTTP ${status}`);
}

/** A short title for an error's status, as the error display shows it. */
export function statusTitle(status: number): string {
  if (status === 0) return 'The server is unreachable';
  if (status === 401) return 'A token is needed';
  if (status === 403) return 'Not allowed for your role';
  if (status === 404) return 'Not found';
  if (status === 409) return 'Conflict';
  if (status === 422) return 'Invalid input';
  if (status === 503) return 'Temporarily unavailable';
  if (status >= 500) return 'Server error';
  return `Request failed (${status})`;
}
