// Helpers of the outbox conformance tests (events, webhooks, deliveries): events appended as the ingest
// transaction does, and a wait until they are readable (on PostgreSQL, any writing transaction on the server holds
// events committed after it back for a moment; on SQLite they are readable at once).
import type { StoredEvent } from '../../../src/store/events.ts'
import { waitFor } from '../../helpers/wait.ts'
import type { Dialect } from './dialects.ts'

let n = 0

/** Appends one event (its own transaction) and answers it as stored. */
export async function append(
  d: Dialect,
  e: { orgId: string; type?: string; sessionId?: string | null; data?: unknown; createdAt?: number },
): Promise<StoredEvent> {
  const createdAt = e.createdAt ?? Date.now()
  const id = `evt_test${String(++n).padStart(6, '0')}${Math.random().toString(36).slice(2, 8)}`
  const type = e.type ?? 'message.received'
  const sessionId = e.sessionId ?? null
  const data = e.data ?? { n }
  const seq = await d.insert(
    'events',
    { id, type, created_at: createdAt, org_id: e.orgId, session_id: sessionId, data: JSON.stringify(data) },
    'seq',
  )
  return { seq, id, type, createdAt, orgId: e.orgId, sessionId, data }
}

/** Waits until every reader may pass `seq` (the outbox's head reached it). */
export async function readable(d: Dialect, seq: number) {
  await waitFor(`event ${seq} readable`, async () => (await d.repos.events.maxSeq()) === seq)
}
