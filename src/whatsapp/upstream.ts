// WhatsApp's refusals as API errors. Baileys' errors carry WhatsApp's (or Baileys' own) raw text, which
// clients must not see: it can be internal detail and is not a contract. They get a fixed message and the
// status code; the raw error rides along as `cause`, which the HTTP layer logs with the request id.
import { AppError } from '../errors.ts'

/** `upstream_error` (502) for `what` ("channel follow", "send", …) failing with `e`; AppErrors pass through. */
export function upstreamError(what: string, e: unknown): AppError {
  if (e instanceof AppError) return e
  const status = (e as { output?: { statusCode?: unknown } } | null)?.output?.statusCode
  const code = typeof status === 'number' ? status : null
  const message = code === 408 ? `WhatsApp did not answer the ${what} in time` : `WhatsApp did not accept the ${what}`
  return new AppError('upstream_error', message, { status: code }, { cause: e })
}
