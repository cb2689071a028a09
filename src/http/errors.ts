// One place that turns every failure into the envelope {"error":{"code","message","details"}}.
import { Elysia, t } from 'elysia'
import { AppError, type ErrorCode, type ErrorDetails } from '../errors.ts'
import type { Logger } from '../log.ts'

export const ErrorEnvelope = t.Object(
  {
    error: t.Object({
      code: t.String({ description: 'Stable machine-readable code, e.g. not_found' }),
      message: t.String(),
      details: t.Record(t.String(), t.Unknown()),
    }),
  },
  { description: 'Every non-2xx response' },
)

export const envelope = (code: ErrorCode, message: string, details: ErrorDetails = {}) => ({
  error: { code, message, details },
})

type ValidationIssue = { path?: string; summary?: string; message?: string }

/** Elysia validation errors → the fields that failed, without echoing schemas or values back. */
function validationDetails(error: unknown): ErrorDetails {
  const e = error as { type?: string; all?: ValidationIssue[] }
  const fields = (e.all ?? []).slice(0, 20).map((i) => ({
    field: i.path ? i.path.replace(/^\//, '').replace(/\//g, '.') : e.type,
    message: i.summary ?? i.message ?? 'invalid',
  }))
  return { in: e.type, fields }
}

/** Reads the body as text, failing with 413 as soon as it passes `max` bytes. */
async function readCapped(request: Request, max: number): Promise<string> {
  if (!request.body) return ''
  const chunks: Uint8Array[] = []
  let total = 0
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength
    if (total > max) throw new AppError('payload_too_large', `request body exceeds ${max} bytes`, { limit: max })
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

let counter = 0

/**
 * The request id rides on the request's `set` (its status and headers), the one object every hook and the handler
 * of a request share and that hooks can name without making Elysia build the whole context for every route (a
 * WeakMap keyed by the Request cost a weak entry per request for the collector to clear).
 */
type WithRequestId = { requestId?: string }

/** Request id used in logs and echoed as `x-request-id`, from the request's `set`. */
export const requestIdOf = (set: object) => (set as WithRequestId).requestId ?? 'unknown'

/** Routes whose non-JSON body is a file the handler streams to disk itself: the parser leaves it unread. */
export const streamedBodyRoutes = /^\/api\/v1\/sessions\/[^/]+\/media$/

const isStreamedBody = (request: Request) =>
  request.method === 'POST' &&
  !(request.headers.get('content-type') ?? '').startsWith('application/json') &&
  streamedBodyRoutes.test(new URL(request.url).pathname)

/** What the error hook reads of a failed request. */
type ErrorContext = {
  code: unknown
  error: unknown
  request: Request
  route?: string
  set: { status?: number | string; headers: Record<string, unknown> }
}

/** Routes that take files (sends with media) accept bodies up to `maxBytes` instead of the general limit. */
export type UploadLimit = { maxBytes: number; paths: RegExp }

/**
 * `answered`: told of every request answered here, once its status is set (the request metrics count errors
 * through it).
 */
export function errorPlugin(
  logger: Logger,
  maxBodyBytes: number,
  upload?: UploadLimit,
  answered?: (ctx: ErrorContext) => void,
) {
  const limitOf = (request: Request) =>
    upload && request.method === 'POST' && upload.paths.test(new URL(request.url).pathname)
      ? Math.max(upload.maxBytes, maxBodyBytes)
      : maxBodyBytes
  /** The envelope for a failure, with the status set on `set`. */
  function envelopeOf({ code, error, set, request }: ErrorContext) {
    // Elysia wraps errors thrown while parsing the body in a ParseError; ours is the cause.
    const cause = (error as { cause?: unknown }).cause
    if (code === 'PARSE' && cause instanceof AppError) error = cause
    if (error instanceof AppError) {
      set.status = error.status
      // The client gets the safe message; the raw cause (WhatsApp's own text, a JWKS failure) goes to the log.
      if (error.cause !== undefined)
        logger.warn(
          {
            err: error.cause,
            code: error.errorCode,
            requestId: requestIdOf(set),
            path: new URL(request.url).pathname,
          },
          error.message,
        )
      if (error.errorCode === 'rate_limited' && typeof error.details.retryAfter === 'number')
        set.headers['retry-after'] = String(error.details.retryAfter)
      return envelope(error.errorCode, error.message, error.details)
    }
    switch (code) {
      case 'VALIDATION':
        set.status = 400
        return envelope('validation_error', 'request validation failed', validationDetails(error))
      case 'NOT_FOUND':
        set.status = 404
        return envelope('not_found', 'route not found')
      case 'PARSE':
        set.status = 400
        return envelope('validation_error', 'malformed request body', { in: 'body' })
      case 'INVALID_COOKIE_SIGNATURE':
      case 'INVALID_FILE_TYPE':
        set.status = 400
        return envelope('validation_error', 'invalid request')
    }
    if ((error as { status?: number }).status === 413) {
      set.status = 413
      return envelope('payload_too_large', 'request body too large')
    }
    logger.error({ err: error, requestId: requestIdOf(set), path: new URL(request.url).pathname }, 'internal error')
    set.status = 500
    return envelope('internal', 'internal error', { requestId: requestIdOf(set) })
  }
  return (
    new Elysia({ name: 'errors', seed: maxBodyBytes })
      .onRequest(({ request, set }) => {
        const id = request.headers.get('x-request-id')?.slice(0, 64) || `req_${Date.now().toString(36)}_${++counter}`
        ;(set as WithRequestId).requestId = id
        set.headers['x-request-id'] = id
        const length = Number(request.headers.get('content-length') ?? 0)
        const limit = limitOf(request)
        if (length > limit) throw new AppError('payload_too_large', `request body exceeds ${limit} bytes`, { limit })
      })
      .onParse({ as: 'global' }, async ({ request, contentType }) => {
        if (isStreamedBody(request)) return {}
        // Multipart is parsed by the routes that take files (their own parse hook); the rest speaks JSON only.
        if (contentType?.startsWith('multipart/form-data') && limitOf(request) > maxBodyBytes) return
        // Bodies are read with a cap (a chunked body has no content-length to check up front); a malformed body
        // is a 400, never silently "no body"; an empty one is no body.
        const text = await readCapped(request, limitOf(request))
        if (!text.trim()) return null
        if (!contentType?.startsWith('application/json'))
          throw new AppError('validation_error', 'request body must be application/json', { in: 'body' })
        try {
          return JSON.parse(text)
        } catch {
          throw new AppError('validation_error', 'malformed JSON body', { in: 'body' })
        }
      })
      // Destructured: Elysia builds only the parts of the context its hooks name.
      .onError({ as: 'global' }, ({ code, error, set, request, route }) => {
        const ctx = { code, error, set, request, route }
        const body = envelopeOf(ctx)
        answered?.(ctx)
        return body
      })
  )
}
