// Builds the Elysia app from already-constructed services; no listening, no I/O of its own.
import { Elysia } from 'elysia'
import type { HttpDeps } from './http/deps.ts'
import { dashboardRoutes } from './http/dashboard.ts'
import { errorPlugin } from './http/errors.ts'
import { metricsPlugin, requestMetrics } from './http/metrics.ts'
import { openapiPlugin } from './http/openapi.ts'
import { rateLimitedAuthenticator, unlimited } from './http/rate-limit.ts'
import { apiKeyRoutes } from './http/routes/api-keys.ts'
import { channelRoutes } from './http/routes/channels.ts'
import { chatRoutes } from './http/routes/chats.ts'
import { contactRoutes } from './http/routes/contacts.ts'
import { eventRoutes } from './http/routes/events.ts'
import { groupRoutes } from './http/routes/groups.ts'
import { healthRoutes } from './http/routes/health.ts'
import { meRoutes } from './http/routes/me.ts'
import { mediaRoutes } from './http/routes/media.ts'
import { messageOpRoutes } from './http/routes/message-ops.ts'
import { messageRoutes } from './http/routes/messages.ts'
import { sessionRoutes } from './http/routes/sessions.ts'
import { webhookRoutes } from './http/routes/webhooks.ts'

export type { HttpDeps }

/** Sends with media (and media uploads) carry the file, base64 in JSON at most: 4/3 of it plus the other fields. */
const uploadLimit = (mediaMaxBytes: number | undefined) =>
  mediaMaxBytes
    ? { maxBytes: Math.ceil((mediaMaxBytes * 4) / 3) + 65536, paths: /^\/api\/v1\/sessions\/[^/]+\/(messages|media)$/ }
    : undefined

export function createApp(given: HttpDeps) {
  const limits = given.limits ?? unlimited
  // Every route authenticates through this one: the principal's request budget is charged as it resolves.
  const deps = { ...given, limits, authenticate: rateLimitedAuthenticator(given.authenticate, limits) }
  const timing = deps.metrics ? requestMetrics(deps.metrics.metrics) : undefined
  return new Elysia()
    .use(
      errorPlugin(
        deps.logger,
        deps.maxBodyBytes,
        uploadLimit(Math.max(deps.mediaMaxBytes ?? 0, deps.media?.maxBytes ?? 0)),
        timing?.answered,
      ),
    )
    .use(deps.metrics && timing ? metricsPlugin(deps.metrics.metrics, timing, deps.metrics.token) : new Elysia())
    .use(openapiPlugin(deps.version, deps.docs))
    .use(dashboardRoutes())
    .use(healthRoutes(deps))
    .use(meRoutes(deps))
    .use(sessionRoutes(deps))
    .use(chatRoutes(deps))
    .use(channelRoutes(deps))
    .use(groupRoutes(deps))
    .use(contactRoutes(deps))
    .use(messageRoutes(deps))
    .use(mediaRoutes(deps))
    .use(messageOpRoutes(deps))
    .use(apiKeyRoutes(deps))
    .use(webhookRoutes(deps))
    .use(eventRoutes(deps))
}

export type App = ReturnType<typeof createApp>
