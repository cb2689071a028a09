// /metrics (Prometheus text, outside the API path) and the per-request instrumentation behind its HTTP figures.
import { Elysia } from 'elysia'
import { createHash, timingSafeEqual } from 'node:crypto'
import { AppError } from '../errors.ts'
import type { Metrics } from '../metrics/registry.ts'

const digest = (s: string) => createHash('sha256').update(s).digest()

/** Constant-time: both sides are hashed first, so neither the length nor a prefix of the token leaks. */
const tokenMatches = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected))

/** What the request hooks see of a request: enough to label and time it. */
type Answered = { request: Request; route?: string; set: { status?: number | string } }
type Timed = { startedAt?: number; counted?: boolean }

/**
 * Counts every request under its route template (`/api/v1/sessions/:sid`, never the raw path, so label values
 * stay bounded; unmatched paths share one label) and times it from arrival to the moment its answer is decided:
 * `answered` is called by the map-response hook (after response validation) for answers a handler gave and by the error plugin for the rest,
 * and counts a request once (the first call). Not an after-response hook: for each request that has one, Elysia
 * schedules a `setImmediate` closure holding the whole request context, which the collector then keeps until a
 * full collection — measured on the read path, the heap grew from 48 MB to 450 MB between full collections, and
 * every request allocated into memory no cache held.
 */
export function requestMetrics(metrics: Metrics) {
  return {
    start(set: object) {
      ;(set as Timed).startedAt = performance.now()
    },
    answered({ request, route, set }: Answered, response?: unknown) {
      const timed = set as Timed
      if (timed.counted) return
      timed.counted = true
      const given = typeof set.status === 'number' ? set.status : 200
      const status = response instanceof Response && given === 200 ? response.status : given
      // No start time: refused by an arrival hook that ran before this plugin's (a body over the limit).
      const seconds = timed.startedAt === undefined ? 0 : (performance.now() - timed.startedAt) / 1000
      metrics.observeRequest(route || 'unmatched', request.method, status, seconds)
    },
  }
}
export type RequestMetrics = ReturnType<typeof requestMetrics>

/** The request timing hooks of `requestMetrics` and /metrics itself, served behind `token` when set. */
export function metricsPlugin(metrics: Metrics, timing: RequestMetrics, token?: string) {
  return (
    new Elysia({ name: 'wagate-metrics' })
      .onRequest(({ set }) => timing.start(set))
      // Destructured, as every hook: Elysia reads the parameter to build only what hooks use (a context passed on
      // whole makes it parse headers and cookies for every request).
      .mapResponse({ as: 'global' }, ({ request, route, set, responseValue }) => {
        timing.answered({ request, route, set }, responseValue)
        // Handed back unchanged: Elysia 1.4.30's global error handler (unmatched routes, errors before routing)
        // takes a map-response hook's return value as the answer even when it is undefined: an empty body.
        return responseValue as Response
      })
      .get(
        '/metrics',
        async ({ headers, set }) => {
          if (token) {
            const given = /^Bearer (.+)$/i.exec(headers.authorization ?? '')?.[1]
            if (!given || !tokenMatches(given, token))
              throw new AppError('unauthorized', 'a valid metrics token is required')
          }
          set.headers['content-type'] = metrics.contentType
          return metrics.text()
        },
        { detail: { hide: true } },
      )
  )
}
