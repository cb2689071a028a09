// The closed set of error codes and the one error type domain code throws.

export const errorStatus = {
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  validation_error: 400,
  conflict: 409,
  session_not_connected: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  not_implemented: 501,
  upstream_error: 502,
  unavailable: 503,
} as const

export type ErrorCode = keyof typeof errorStatus
export type ErrorDetails = Record<string, unknown>

/**
 * A failure with a stable code, a safe message and optional details; mapped to the API envelope. `cause` (e.g.
 * WhatsApp's raw refusal) never reaches the client: the HTTP layer logs it with the request id.
 */
export class AppError extends Error {
  readonly status: number
  constructor(
    readonly errorCode: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'AppError'
    this.status = errorStatus[errorCode]
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} not found`)
