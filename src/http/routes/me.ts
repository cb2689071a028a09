// Who the caller is: its organisation and capabilities (the dashboard shows what these allow).
import { Elysia, t } from 'elysia'
import { authPlugin } from '../auth.ts'
import type { HttpDeps } from '../deps.ts'
import { errors } from '../shared.ts'

export function meRoutes({ authenticate }: HttpDeps) {
  return new Elysia({ prefix: '/api/v1', tags: ['auth'] })
    .use(authPlugin(authenticate))
    .get(
      '/me',
      ({ principal }) => ({ orgId: principal.orgId, kind: principal.kind, capabilities: principal.capabilities }),
      {
        auth: 'read',
        response: {
          200: t.Object({
            orgId: t.String(),
            kind: t.Union([t.Literal('jwt'), t.Literal('api_key')]),
            capabilities: t.Array(t.String({ description: 'read, send, manage or admin' })),
          }),
          ...errors,
        },
        detail: {
          operationId: 'getMe',
          summary: 'Who am I',
          description: "The caller's organisation and capabilities.",
        },
      },
    )
}
