// Liveness and readiness probes (no auth).
import { Elysia, t } from 'elysia'
import type { HttpDeps } from '../deps.ts'
import { envelope, ErrorEnvelope } from '../errors.ts'

export function healthRoutes({ repos, version, readiness }: HttpDeps) {
  return new Elysia({ tags: ['ops'] })
    .get('/healthz', () => ({ status: 'ok' as const, version }), {
      response: { 200: t.Object({ status: t.Literal('ok'), version: t.String() }) },
      detail: { operationId: 'getHealth', summary: 'Liveness', description: 'The process is up.' },
    })
    .get(
      '/readyz',
      async ({ set }) => {
        if (readiness) {
          const r = await readiness()
          if (r.ok) return { status: 'ready' as const }
          set.status = 503
          return envelope('unavailable', r.reason)
        }
        const health = await repos.health()
        if (health.ok) return { status: 'ready' as const }
        set.status = 503
        return envelope('unavailable', 'database not ready')
      },
      {
        response: { 200: t.Object({ status: t.Literal('ready') }), 503: ErrorEnvelope },
        detail: {
          operationId: 'getReadiness',
          summary: 'Readiness',
          description:
            'The database is reachable and every migration is applied; on a cluster node (PostgreSQL), the database ' +
            'answers and the node renews its session leases.',
        },
      },
    )
}
