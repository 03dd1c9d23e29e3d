/** The one error type services throw; the HTTP layer turns it into `{detail}` (or FastAPI's 422 list) in one place. */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly code = 'error',
    readonly issues?: ValidationIssue[],
  ) {
    super(detail);
    this.name = 'AppError';
  }
}

export const badRequest = (detail: string) => new AppError(400, detail, 'bad_request');
export const unauthorized = (detail = 'Not authenticated') => new AppError(401, detail, 'unauthorized');
export const forbidden = (detail: string) => new AppError(403, detail, 'forbidden');
export const notFound = (detail: string) => new AppError(404, detail, 'not_found');
export const conflict = (detail: string) => new AppError(409, detail, 'conflict');
export const unavailable = (detail: string) => new AppError(503, detail, 'unavailable');

/** A 422 that names the offending field, in FastAPI's shape (`loc` starts with body/query/path). */
export function unprocessable(loc: (string | number)[], msg: string, type = 'value_error'): AppError {
  return new AppError(422, msg, 'validation', [{ loc, msg, type }]);
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** A response body as text and as JSON (undefined when empty or not JSON), for service-to-service clients. */
export async function readJsonBody(res: Response): Promise<{ text: string; json: any }> {
  const text = await res.text();
  try {
    return { text, json: text ? JSON.parse(text) : undefined };
  } catch {
    return { text, json: undefined };
  }
}

/**
 * Another BenchOps service's FastAPI-shaped 422 as an AppError that answers the same 422 here (the field locations
 * survive the hop); undefined for any other answer.
 */
export function remoteValidationError(status: number, body: any): AppError | undefined {
  if (status !== 422 || !Array.isArray(body?.detail)) return undefined;
  const issues: ValidationIssue[] = body.detail.map((d: any) => ({
    loc: Array.isArray(d?.loc) ? d.loc : [],
    msg: String(d?.msg ?? ''),
    type: String(d?.type ?? 'value_error'),
  }));
  return new AppError(422, issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; ') || 'validation error', 'validation', issues);
}
