/** The emulated server's error: status, message and vLLM's `{error: {message, type, param, code}}` fields. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'BadRequestError',
    readonly param: string | null = null,
  ) {
    super(message);
  }
}
