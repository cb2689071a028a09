// `url` media sources: fetched through the egress policy (resolved address checked at connect time, redirects
// re-checked, size capped, timed out), streamed into the media store; every refusal is a 400 with its reason.
import { AppError } from '../errors.ts'
import { EgressError, type Egress } from '../media/egress.ts'
import type { FetchMedia } from './send-ops.ts'

const TIMEOUT_MS = 60_000
const MAX_REDIRECTS = 3

export function createFetchMedia(egress: Egress, opts: { timeoutMs?: number; maxRedirects?: number } = {}): FetchMedia {
  return async (url, maxBytes, into) => {
    const refused = (e: unknown): never => {
      if (e instanceof EgressError) {
        if (e.reason === 'too_large')
          throw new AppError('payload_too_large', `media exceeds ${maxBytes} bytes`, { limit: maxBytes })
        throw new AppError('validation_error', `url refused: ${e.message}`, { field: 'url', reason: e.reason })
      }
      if (e instanceof Error && e.name === 'TimeoutError')
        throw new AppError('validation_error', 'url refused: no complete answer in time', {
          field: 'url',
          reason: 'timeout',
        })
      throw e
    }
    try {
      const { response } = await egress.get(url, {
        maxBytes,
        timeoutMs: opts.timeoutMs ?? TIMEOUT_MS,
        maxRedirects: opts.maxRedirects ?? MAX_REDIRECTS,
      })
      if (!response.ok || !response.body) {
        await response.body?.cancel()
        throw new AppError('validation_error', `url refused: the server answered ${response.status}`, {
          field: 'url',
          reason: 'status',
          status: response.status,
        })
      }
      return await into(response.body, response.headers.get('content-type'))
    } catch (e) {
      if (e instanceof AppError) throw e
      return refused(e)
    }
  }
}
