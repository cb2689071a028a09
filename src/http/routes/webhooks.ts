// Webhooks of the caller's organisation (capability manage): CRUD, :rotateSecret, :test, deliveries and
// :redeliver. The signing secret is shown once, at creation and on rotation.
import { Elysia, t } from 'elysia'
import { isPattern } from '../../events/patterns.ts'
import { generateSecret } from '../../events/secrets.ts'
import { AppError, notFound } from '../../errors.ts'
import { EgressError } from '../../media/egress.ts'
import type { WebhookInput } from '../../store/webhooks.ts'
import { authPlugin } from '../auth.ts'
import { customMethods } from '../custom-methods.ts'
import type { HttpDeps } from '../deps.ts'
import { errors, PageOf, pageOf, PageQuery, pathId } from '../shared.ts'

export const Webhook = t.Object({
  id: t.String(),
  orgId: t.String(),
  url: t.String(),
  events: t.Array(t.String()),
  sessionIds: t.Union([t.Array(t.String()), t.Null()], { description: 'null: every session of the org' }),
  enabled: t.Boolean(),
  description: t.Union([t.String(), t.Null()]),
  disabledReason: t.Union([t.String(), t.Null()], { description: 'Set when the gateway disabled it (410 Gone)' }),
  previousSecretExpiresAt: t.Union([t.Integer(), t.Null()], { description: 'Until then, both secrets sign' }),
  createdAt: t.Integer(),
  updatedAt: t.Integer(),
})
export const WithSecret = t.Composite([
  Webhook,
  t.Object({ secret: t.String({ description: 'whsec_…; shown only now. Verify signatures with it.' }) }),
])

const Attempt = t.Object({
  at: t.Integer(),
  statusCode: t.Union([t.Integer(), t.Null()]),
  latencyMs: t.Integer(),
  error: t.Union([t.String(), t.Null()]),
  response: t.Union([t.String(), t.Null()], { description: 'At most 1 KB of the response body' }),
})
// A union of literals, not t.UnionEnum: as an optional query field Elysia fills a missing UnionEnum with its
// first member, so an unfiltered listing was silently `status=pending`.
const DeliveryStatus = t.Union([
  t.Literal('pending'),
  t.Literal('sending'),
  t.Literal('succeeded'),
  t.Literal('failed'),
])
export const Delivery = t.Object({
  id: t.String(),
  webhookId: t.String(),
  eventId: t.String({ description: 'Also the webhook-id header: receivers dedupe on it' }),
  eventType: t.String(),
  sessionId: t.Union([t.String(), t.Null()]),
  status: DeliveryStatus,
  attemptCount: t.Integer(),
  nextAttemptAt: t.Union([t.Integer(), t.Null()]),
  attempts: t.Array(Attempt),
  createdAt: t.Integer(),
  updatedAt: t.Integer(),
})

const Url = t.String({ minLength: 1, maxLength: 2048, description: 'http(s) URL the events are POSTed to' })
const Patterns = t.Array(t.String({ minLength: 1, maxLength: 100 }), {
  minItems: 1,
  maxItems: 50,
  description: 'Event types or patterns: message.received, message.*, *',
})
const SessionIds = t.Array(t.String({ minLength: 1, maxLength: 64 }), { maxItems: 100 })
const Description = t.String({ maxLength: 500 })

const DAY = 24 * 3600

const webhookMethods = customMethods({
  rotateSecret: {
    operationId: 'rotateWebhookSecret',
    summary: "Rotate a webhook's signing secret",
    description:
      'Returns the webhook with its new secret (shown only now); the old one keeps signing (a second v1 ' +
      'signature) for `graceSeconds` (default a day).',
    body: t.Object({
      graceSeconds: t.Optional(t.Integer({ minimum: 0, maximum: 7 * DAY, description: 'Default 86400' })),
    }),
    responses: { 200: WithSecret },
  },
  test: {
    operationId: 'testWebhook',
    summary: 'Send a test event to a webhook',
    description: 'Queues a `webhook.test` event to this webhook only and returns the delivery. `409` when disabled.',
    responses: { 202: Delivery },
  },
})

const deliveryMethods = customMethods({
  redeliver: {
    operationId: 'redeliverWebhookDelivery',
    summary: 'Redeliver a delivery',
    description: 'Queues a new delivery of the same event (same webhook-id) with a fresh retry budget.',
    responses: { 202: Delivery },
  },
})

/**
 * Checks what TypeBox cannot: the URL (http(s), and not an address the egress policy refuses, nor a name
 * resolving to one), the patterns, and that the sessions are the org's.
 */
async function checked<T extends Partial<WebhookInput>>(deps: HttpDeps, orgId: string, input: T): Promise<T> {
  if (input.url !== undefined) {
    try {
      await deps.egress.checkUrl(input.url)
    } catch (e) {
      if (!(e instanceof EgressError)) throw e
      const message = e.reason === 'invalid_url' ? 'url must be an http(s) URL' : `url refused: ${e.message}`
      throw new AppError('validation_error', message, { field: 'url', reason: e.reason })
    }
  }
  const bad = input.events?.filter((p) => !isPattern(p)) ?? []
  if (bad.length) throw new AppError('validation_error', 'invalid event pattern', { field: 'events', invalid: bad })
  const ids = input.sessionIds ?? []
  const found = await Promise.all(ids.map((s) => deps.repos.sessions.get(orgId, s)))
  const unknown = ids.filter((_, i) => !found[i])
  if (unknown.length)
    throw new AppError('validation_error', 'unknown session', { field: 'sessionIds', invalid: unknown })
  return input
}

export function webhookRoutes(deps: HttpDeps) {
  const { repos, authenticate } = deps
  const { webhooks, deliveries } = repos
  const own = async (orgId: string, id: string | null | undefined) => {
    const w = await webhooks.get(orgId, pathId(id, 'id'))
    if (!w) throw notFound('webhook')
    return w
  }

  return new Elysia({ prefix: '/api/v1/webhooks', tags: ['webhooks'] })
    .use(authPlugin(authenticate))
    .post(
      '',
      async ({ principal, body, set }) => {
        const input = await checked(deps, principal.orgId, body)
        // The store counts and inserts as one step (on PostgreSQL under a lock on the organisation's row), so
        // concurrent creates, on this node or any other, cannot both slip past the cap.
        const max = deps.limits?.webhooksPerOrg ?? 0
        const secret = generateSecret()
        const created = max
          ? await webhooks.createWithin(principal.orgId, input, secret, max)
          : await webhooks.create(principal.orgId, input, secret)
        if (!created)
          throw new AppError('conflict', `this organisation already has the maximum of ${max} webhooks`, {
            limit: max,
          })
        set.status = 201
        return { ...created, secret }
      },
      {
        auth: 'manage',
        body: t.Object({
          url: Url,
          events: Patterns,
          sessionIds: t.Optional(SessionIds),
          enabled: t.Optional(t.Boolean()),
          description: t.Optional(Description),
        }),
        response: { 201: WithSecret, ...errors },
        detail: {
          operationId: 'createWebhook',
          summary: 'Create a webhook',
          description: 'Receives events committed from now on. The secret (whsec_…) is returned only here.',
        },
      },
    )
    .get('', ({ principal, query }) => webhooks.page(principal.orgId, pageOf(query)), {
      auth: 'manage',
      query: PageQuery,
      response: { 200: PageOf(Webhook), ...errors },
      detail: {
        operationId: 'listWebhooks',
        summary: 'List webhooks',
        description: 'Newest first; never includes secrets.',
      },
    })
    .get('/:id', ({ principal, params }) => own(principal.orgId, params.id), {
      auth: 'manage',
      response: { 200: Webhook, ...errors },
      detail: { operationId: 'getWebhook', summary: 'Get a webhook' },
    })
    .patch(
      '/:id',
      async ({ principal, params, body }) => {
        const w = await own(principal.orgId, params.id)
        const patch = await checked(deps, principal.orgId, body)
        return (await webhooks.update(principal.orgId, w.id, patch))!
      },
      {
        auth: 'manage',
        body: t.Object(
          {
            url: t.Optional(Url),
            events: t.Optional(Patterns),
            sessionIds: t.Optional(t.Nullable(SessionIds)),
            enabled: t.Optional(t.Boolean()),
            description: t.Optional(t.Nullable(Description)),
          },
          { minProperties: 1 },
        ),
        response: { 200: Webhook, ...errors },
        detail: {
          operationId: 'updateWebhook',
          summary: 'Update a webhook',
          description: 'Re-enabling resumes with events committed from then on; pending deliveries resume too.',
        },
      },
    )
    .delete(
      '/:id',
      async ({ principal, params, set }) => {
        if (!(await webhooks.delete(principal.orgId, pathId(params.id, 'id')))) throw notFound('webhook')
        set.status = 204
      },
      {
        auth: 'manage',
        response: { 204: t.Void(), ...errors },
        detail: {
          operationId: 'deleteWebhook',
          summary: 'Delete a webhook',
          description: 'Its deliveries go with it.',
        },
      },
    )
    .post(
      '/:id',
      async ({ principal, params, body, set }) => {
        const { id, verb } = webhookMethods.split(params.id, 'id')
        const w = await own(principal.orgId, id)
        if (verb === 'rotateSecret') {
          const secret = generateSecret()
          const grace = (body?.graceSeconds ?? DAY) * 1000
          return { ...(await webhooks.rotate(principal.orgId, w.id, secret, Date.now() + grace))!, secret }
        }
        if (!w.enabled) throw new AppError('conflict', 'webhook is disabled', { disabledReason: w.disabledReason })
        const data = { webhookId: w.id, message: 'This is a test event from wagate.' }
        const delivery = await deliveries.deliverToOne(w.id, {
          type: 'webhook.test',
          orgId: principal.orgId,
          sessionId: null,
          data,
        })
        set.status = 202
        return delivery
      },
      {
        auth: 'manage',
        body: t.Optional(t.Nullable(webhookMethods.methods.rotateSecret.body)),
        response: { 200: WithSecret, 202: Delivery, ...errors, 409: 'error' as const },
        detail: { summary: 'Webhook methods', ...webhookMethods.detail },
      },
    )
    .get(
      '/:id/deliveries',
      async ({ principal, params, query }) => {
        const w = await own(principal.orgId, params.id)
        return deliveries.page(w.id, query.status, pageOf(query))
      },
      {
        auth: 'manage',
        query: t.Composite([PageQuery, t.Object({ status: t.Optional(DeliveryStatus) })]),
        response: { 200: PageOf(Delivery), ...errors },
        detail: {
          operationId: 'listWebhookDeliveries',
          summary: "List a webhook's deliveries",
          description: 'Newest first, each with every attempt.',
        },
      },
    )
    .post(
      '/:id/deliveries/:deliveryId',
      async ({ principal, params, set }) => {
        const w = await own(principal.orgId, params.id)
        const { id } = deliveryMethods.split(params.deliveryId, 'deliveryId')
        const d = await deliveries.redeliver(w.id, id)
        if (!d) throw notFound('delivery')
        set.status = 202
        return d
      },
      {
        auth: 'manage',
        response: { 202: Delivery, ...errors },
        detail: { summary: 'Delivery methods', ...deliveryMethods.detail },
      },
    )
}
