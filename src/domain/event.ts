// The event envelope every outbox row, webhook, SSE frame and pull-API item carries.
import { Type, type Static } from '@sinclair/typebox'

export const EventEnvelope = Type.Object({
  id: Type.String({ description: 'evt_<ulid>; receivers dedupe on it (it is also the webhook-id)' }),
  type: Type.String(),
  createdAt: Type.Integer(),
  orgId: Type.String(),
  sessionId: Type.Union([Type.String(), Type.Null()]),
  data: Type.Unknown(),
})
export type EventEnvelope = Static<typeof EventEnvelope>

/** An event to append; the outbox assigns id and createdAt. `dedupeKey` makes a replayed source change a no-op. */
export type NewEvent = {
  type: string
  orgId: string
  sessionId: string | null
  data: unknown
  dedupeKey?: string
}
