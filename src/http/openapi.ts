// OpenAPI document at /openapi.json and a docs UI at /docs, built from the routes' TypeBox schemas.
import { openapi } from '@elysiajs/openapi'
import { Elysia } from 'elysia'
import { Channel } from '../domain/channel.ts'
import { Chat } from '../domain/chat.ts'
import { Contact, PhoneCheck } from '../domain/contact.ts'
import { Group, GroupParticipant, ParticipantResult } from '../domain/group.ts'
import { Message } from '../domain/message.ts'
import { SendInput } from '../domain/outbound.ts'
import { Session } from '../domain/session.ts'
import { openapiWebhooks } from '../events/catalogue.ts'
import { docsRoutes } from './docs.ts'
import { finishDocument, type Doc, type Route } from './openapi-document.ts'
import { ApiKey } from './routes/api-keys.ts'
import { MediaUpload } from './routes/media.ts'
import { Delivery, Webhook, WithSecret } from './routes/webhooks.ts'

/** The API's shapes, each written once in components.schemas and referenced wherever it appears. */
const named = {
  Session,
  Chat,
  Message,
  SendInput,
  Channel,
  Contact,
  PhoneCheck,
  Group,
  GroupParticipant,
  ParticipantResult,
  MediaUpload,
  Webhook,
  WebhookWithSecret: WithSecret,
  WebhookDelivery: Delivery,
  ApiKey,
}

type Webhooks = Extract<
  NonNullable<NonNullable<Parameters<typeof openapi>[0]>['documentation']>,
  { webhooks?: unknown }
>['webhooks']

const description = `wagate is a self-hosted, multi-tenant WhatsApp HTTP gateway.

**Auth.** \`Authorization: Bearer <token>\`: a login JWT verified against the frontend JWKS (organisation and
role from its claims), or an API key (\`wgk_…\`) with fixed capabilities: \`read\`, \`send\`, \`manage\`, \`admin\`.

**Errors.** Every non-2xx response is \`{"error":{"code","message","details"}}\`. Codes: \`unauthorized\` 401,
\`forbidden\` 403, \`not_found\` 404 (also for another organisation's resources), \`validation_error\` 400,
\`conflict\` 409, \`session_not_connected\` 409, \`payload_too_large\` 413, \`rate_limited\` 429, \`internal\` 500,
\`not_implemented\` 501, \`upstream_error\` 502, \`unavailable\` 503.

**Pagination.** \`limit\` (missing or 0 → 50, clamped to 1–200) and an opaque \`cursor\`; responses are
\`{"data":[…],"nextCursor":string|null}\`, \`null\` on the last page.`

const isDoc = (v: unknown): v is Doc => typeof v === 'object' && v !== null && 'openapi' in v && 'paths' in v

export function openapiPlugin(version: string, enabled: boolean) {
  const plugin = new Elysia({ name: 'wagate-openapi' })
  // Once used, a plugin's getGlobalRoutes() lists the whole app's routes (what @elysiajs/openapi documents);
  // Elysia declares it protected.
  const routes = () => (plugin as unknown as { getGlobalRoutes(): Route[] }).getGlobalRoutes()
  // A local hook before .use(): it runs for the plugin's own routes only, not for the API's.
  return plugin
    .onAfterHandle(({ response }) => {
      if (isDoc(response)) finishDocument(response, routes(), named)
    })
    .use(documentation(version, enabled))
    .use(docsRoutes(enabled))
}

function documentation(version: string, enabled: boolean) {
  return openapi({
    enabled,
    path: '/docs',
    specPath: '/openapi.json',
    // The UI is ours (src/http/docs.ts, served from the binary); the plugin only writes the document.
    provider: null,
    documentation: {
      info: { title: 'wagate', version, description },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'A frontend login JWT or an API key (wgk_…)',
          },
        },
      },
      security: [{ bearer: [] }],
      // OpenAPI 3.1 `webhooks`: the event catalogue, one POST per event type a receiver gets.
      webhooks: openapiWebhooks() as Webhooks,
    },
  })
}
