// The outbox, read side (capability read): the pull API over a commit-order cursor, and the live
// Server-Sent Events stream that resumes from Last-Event-ID.
import { Elysia, t } from 'elysia'
import { EventEnvelope } from '../../domain/event.ts'
import { isPattern, matcher } from '../../events/patterns.ts'
import { createSseHub } from '../../events/sse.ts'
import { AppError } from '../../errors.ts'
import type { EventFilter, StoredEvent } from '../../store/events.ts'
import { authPlugin } from '../auth.ts'
import { rateLimited } from '../rate-limit.ts'
import type { HttpDeps } from '../deps.ts'
import { errors } from '../shared.ts'
import { clampLimit } from '../../domain/page.ts'

const Filters = {
  types: t.Optional(
    t.String({ maxLength: 1000, description: 'Comma-separated types or patterns: message.*,session.status' }),
  ),
  sessionId: t.Optional(t.String({ minLength: 1, maxLength: 64 })),
  after: t.Optional(t.String({ maxLength: 512, description: 'A nextCursor from the pull API; start after it' })),
}

const EventPage = t.Object({
  data: t.Array(EventEnvelope),
  nextCursor: t.String({ description: 'Always set: poll again with it; it moves past filtered-out events too' }),
  hasMore: t.Boolean({ description: 'True when more events are already waiting (do not sleep before polling)' }),
})

/** Retry-After when an organisation's stream slots are all taken: about when a dropped client's slot frees. */
const STREAM_RETRY_S = 5

const envelope = ({ seq: _, ...e }: StoredEvent) => e

export function eventRoutes({ repos, authenticate, eventHub, limits }: HttpDeps) {
  const { events, codec } = repos
  const hub = eventHub ?? createSseHub(events)
  const listing = (orgId: string) => `events:${orgId}`

  function filterOf(q: { types?: string; sessionId?: string }): EventFilter {
    const types = q.types
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    const bad = types?.filter((p) => !isPattern(p)) ?? []
    if (bad.length)
      throw new AppError('validation_error', 'invalid event type pattern', { field: 'types', invalid: bad })
    return { matchType: matcher(types ?? []), ...(q.sessionId ? { sessionId: q.sessionId } : {}) }
  }
  const afterSeq = (orgId: string, cursor: string | undefined) =>
    cursor ? (codec.decode(listing(orgId), cursor, ['number'])[0] as number) : null

  return new Elysia({ prefix: '/api/v1/events', tags: ['events'] })
    .use(authPlugin(authenticate))
    .get(
      '',
      async ({ principal, query }) => {
        const filter = filterOf(query)
        const r = await events.scan(
          principal.orgId,
          afterSeq(principal.orgId, query.after) ?? 0,
          filter,
          clampLimit(query.limit),
        )
        return {
          data: r.events.map(envelope),
          nextCursor: codec.encode(listing(principal.orgId), [r.lastSeq]),
          hasMore: r.more,
        }
      },
      {
        auth: 'read',
        query: t.Object({
          ...Filters,
          limit: t.Optional(t.Integer({ minimum: 0, description: 'Page size; missing or 0 → 50, clamped to 1–200' })),
        }),
        response: { 200: EventPage, ...errors },
        detail: {
          operationId: 'listEvents',
          summary: 'Pull events',
          description:
            "The organisation's events in commit order, oldest retained first. Poll with the last nextCursor " +
            'to see every event exactly once, across gateway restarts.',
        },
      },
    )
    .get(
      '/stream',
      async ({ principal, query, request }) => {
        const filter = filterOf(query)
        const lastId = request.headers.get('last-event-id')?.trim()
        let start = afterSeq(principal.orgId, query.after) ?? (await events.maxSeq())
        if (lastId) {
          const seq = await events.seqOf(principal.orgId, lastId)
          if (seq === null)
            throw new AppError('validation_error', 'unknown Last-Event-ID (never issued here, or pruned)', {
              field: 'Last-Event-ID',
            })
          start = seq
        }
        const headers = {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
          'x-accel-buffering': 'no',
        }
        // HEAD gets the headers only: opening a stream that nobody will read would hold the connection.
        if (request.method === 'HEAD') return new Response(null, { headers })
        const max = limits?.streamsPerOrg ?? 0
        if (max && hub.count(principal.orgId) >= max)
          throw rateLimited(`this organisation already has ${max} live event streams open`, STREAM_RETRY_S, {
            limit: max,
          })
        return new Response(hub.open(principal.orgId, start, filter), { headers })
      },
      {
        auth: 'read',
        query: t.Object(Filters),
        response: { 200: t.String({ description: 'text/event-stream' }), ...errors },
        detail: {
          operationId: 'streamEvents',
          summary: 'Stream events (Server-Sent Events)',
          description:
            'Each frame: `id:` the event id, `data:` the envelope. Resumes after Last-Event-ID (or ?after=cursor) ' +
            'without gaps; otherwise starts with events committed from now on. Heartbeat comments every 15 s. ' +
            'A client that stops reading is disconnected.',
        },
      },
    )
}
