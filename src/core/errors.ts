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
