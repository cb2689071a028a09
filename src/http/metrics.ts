// /metrics (Prometheus text, outside the API path) and the per-request instrumentation behind its HTTP figures.
import { Elysia } from 'elysia'
import { createHash, timingSafeEqual } from 'node:crypto'
import { AppError } from '../errors.ts'
import type { Metrics } from '../metrics/registry.ts'

const digest = (s: string) => createHash('sha256').update(s).digest()

/** Constant-time: both sides are hashed first, so neither the length nor a prefix of the token leaks. */
const tokenMatches = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected))

/**
 * Counts every request under its route template (`/api/v1/sessions/:sid`, never the raw path, so label values
 * stay bounded; unmatched paths share one label) and serves the registry at /metrics, behind `token` when set.
 */
export function metricsPlugin(metrics: Metrics, token?: string) {
  // The start time rides on the request's `set`, which the after-response hook receives too.
  type Timed = { startedAt?: number }
  return new Elysia({ name: 'wagate-metrics' })
    .onRequest(({ set }) => {
      ;(set as Timed).startedAt = performance.now()
    })
    .onAfterResponse({ as: 'global' }, ({ request, route, set }) => {
      const t0 = (set as Timed).startedAt
      if (t0 === undefined) return
      const status = typeof set.status === 'number' ? set.status : 200
      metrics.observeRequest(route || 'unmatched', request.method, status, (performance.now() - t0) / 1000)
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
}
