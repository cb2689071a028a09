// The send queue's statements (table outbound_queue): prepared once, run inside the caller's transaction.
import type { OutboundContent } from '../domain/outbound.ts'
import type { Db } from './db.ts'

/** A queue row as stored (both dialects, read in the SQLite shape). */
export type QueuedRow = {
  pk: number
  session_id: string
  chat_jid: string
  wa_id: string
  content: string
  attempts: number
  not_before: number
  last_error: string | null
  created_at: number
}

/** One queued operation as the sender sees it. */
export type QueuedSend = {
  pk: number
  sessionId: string
  chatJid: string
  waId: string
  content: OutboundContent
  attempts: number
  notBefore: number
  createdAt: number
}

export const toQueued = (r: QueuedRow): QueuedSend => ({
  pk: r.pk,
  sessionId: r.session_id,
  chatJid: r.chat_jid,
  waId: r.wa_id,
  content: JSON.parse(r.content) as OutboundContent,
  attempts: r.attempts,
  notBefore: r.not_before,
  createdAt: r.created_at,
})

export type OutboundQueue = ReturnType<typeof createOutboundQueue>

export function createOutboundQueue(db: Db) {
  const q = db.sqlite.query.bind(db.sqlite)
  const insert = q<{ pk: number }, [string, string, string, string, number]>(
    `INSERT INTO outbound_queue (session_id, chat_jid, wa_id, content, created_at) VALUES (?, ?, ?, ?, ?) RETURNING pk`,
  )
  const head = q<QueuedRow, [string]>('SELECT * FROM outbound_queue WHERE session_id = ? ORDER BY pk LIMIT 1')
  // Kept by trigger (migration 0011): counting the queue's rows cost time in proportion to the queue.
  const count = q<{ n: number }, [string]>('SELECT n FROM outbound_queue_sizes WHERE session_id = ?')
  const remove = q<unknown, [number]>('DELETE FROM outbound_queue WHERE pk = ?')
  const later = q<unknown, [number, number, string, number]>(
    'UPDATE outbound_queue SET attempts = ?2, not_before = ?4, last_error = ?3 WHERE pk = ?1',
  )
  const withWork = q<{ session_id: string }, []>('SELECT DISTINCT session_id FROM outbound_queue')

  return {
    add(sessionId: string, chatJid: string, waId: string, content: OutboundContent, now: number): number {
      return insert.get(sessionId, chatJid, waId, JSON.stringify(content), now)!.pk
    },
    /** The oldest queued operation of the session: the only one the sender may send next (order is kept). */
    head(sessionId: string): QueuedSend | null {
      const r = head.get(sessionId)
      return r ? toQueued(r) : null
    },
    size: (sessionId: string) => count.get(sessionId)?.n ?? 0,
    remove: (pk: number) => void remove.run(pk),
    retryLater: (pk: number, attempts: number, error: string, notBefore: number) =>
      void later.run(pk, attempts, error, notBefore),
    /** Sessions that have something queued (after a restart). */
    sessionsWithWork: () => withWork.all().map((r) => r.session_id),
  }
}
