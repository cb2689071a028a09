// API keys of the caller's organisation (capability admin). The key is shown once, at creation.
import { Elysia, t } from 'elysia'
import { mintApiKey } from '../../auth/api-key.ts'
import { capabilities } from '../../domain/capability.ts'
import { notFound } from '../../errors.ts'
import { authPlugin } from '../auth.ts'
import type { HttpDeps } from '../deps.ts'
import { errors, PageOf, pageOf, PageQuery, pathId } from '../shared.ts'

const Capability = t.UnionEnum([...capabilities])

export const ApiKey = t.Object({
  id: t.String(),
  orgId: t.String(),
  name: t.String(),
  prefix: t.String({ description: 'The public part of the key, to recognise it' }),
  capabilities: t.Array(Capability),
  createdAt: t.Integer(),
  expiresAt: t.Union([t.Integer(), t.Null()]),
  revokedAt: t.Union([t.Integer(), t.Null()]),
  lastUsedAt: t.Union([t.Integer(), t.Null()]),
})

export function apiKeyRoutes({ repos, authenticate }: HttpDeps) {
  const { apiKeys } = repos
  return new Elysia({ prefix: '/api/v1/api-keys', tags: ['api-keys'] })
    .use(authPlugin(authenticate))
    .post(
      '',
      async ({ principal, body, set }) => {
        const minted = mintApiKey()
        const created = await apiKeys.create({
          orgId: principal.orgId,
          name: body.name,
          prefix: minted.prefix,
          hash: minted.hash,
          capabilities: [...new Set(body.capabilities)],
          expiresAt: body.expiresAt ?? null,
        })
        set.status = 201
        return { ...created, key: minted.key }
      },
      {
        auth: 'admin',
        body: t.Object({
          name: t.String({ minLength: 1, maxLength: 100 }),
          capabilities: t.Array(Capability, { minItems: 1, maxItems: 4 }),
          expiresAt: t.Optional(t.Integer({ minimum: 0, description: 'Epoch ms after which the key is refused' })),
        }),
        response: {
          201: t.Composite([ApiKey, t.Object({ key: t.String({ description: 'Shown only once' }) })]),
          ...errors,
        },
        detail: {
          operationId: 'createApiKey',
          summary: 'Create an API key',
          description: 'Returns the key once; only its hash is stored.',
        },
      },
    )
    .get('', ({ principal, query }) => apiKeys.page(principal.orgId, pageOf(query)), {
      auth: 'admin',
      query: PageQuery,
      response: { 200: PageOf(ApiKey), ...errors },
      detail: {
        operationId: 'listApiKeys',
        summary: 'List API keys',
        description: 'Never includes the keys themselves.',
      },
    })
    .delete(
      '/:id',
      async ({ principal, params, set }) => {
        if (!(await apiKeys.revoke(principal.orgId, pathId(params.id, 'id')))) throw notFound('api key')
        set.status = 204
      },
      {
        auth: 'admin',
        response: { 204: t.Void(), ...errors },
        detail: {
          operationId: 'revokeApiKey',
          summary: 'Revoke an API key',
          description: 'Idempotent; the key stops working at once.',
        },
      },
    )
}
