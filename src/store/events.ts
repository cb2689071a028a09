// The outbox: events appended inside the caller's transaction, read back in commit order.
import { ulid } from 'ulid'
import type { EventEnvelope, NewEvent } from '../domain/event.ts'
import type { Db } from './db.ts'

type Row = {
  seq: number
  id: string
  type: string
  created_at: number
  org_id: string
  session_id: string | null
  data: string
}

export type StoredEvent = EventEnvelope & { seq: number }

export const toEnvelope = (r: Row): StoredEvent => ({
  seq: r.seq,
  id: r.id,
  type: r.type,
  createdAt: r.created_at,
  orgId: r.org_id,
  sessionId: r.session_id,
  data: JSON.parse(r.data),
})

export type EventStore = ReturnType<typeof createEventStore>

/**
 * Appends are synchronous and meant to run inside the transaction that changes state, so an event
 * exists exactly when its change does. After the transaction commits, call `committed()` so
 * deliverers (webhooks, SSE) wake up.
 */
export function createEventStore(db: Db) {
  const insert = db.sqlite.query<
    { seq: number },
    [string, string, number, string, string | null, string, string | null]
  >(
    `INSERT INTO events (id, type, created_at, org_id, session_id, data, dedupe_key) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT DO NOTHING RETURNING seq`,
  )
  const listeners = new Set<() => void>()

  return {
    /** Appends one event; returns null when its dedupe key was already used (a replay). */
    append(e: NewEvent, now = Date.now()): StoredEvent | null {
      const id = `evt_${ulid(now)}`
      const data = JSON.stringify(e.data ?? null)
      const row = insert.get(id, e.type, now, e.orgId, e.sessionId, data, e.dedupeKey ?? null)
      if (!row) return null
      return { seq: row.seq, id, type: e.type, createdAt: now, orgId: e.orgId, sessionId: e.sessionId, data: e.data }
    },
    /** Tells subscribers that new events were committed. */
    committed() {
      for (const l of listeners) l()
    },
    /** Subscribes to commit notifications; returns the unsubscribe function. */
    onCommitted(listener: () => void) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
  }
}
