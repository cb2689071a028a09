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

/** Which events a reader wants: a type predicate (see events/patterns.ts) and an optional session. */
export type EventFilter = { matchType?: (type: string) => boolean; sessionId?: string }

/** A scan result: matching events, the last seq looked at, and whether more may follow at once. */
export type EventScan = { events: StoredEvent[]; lastSeq: number; more: boolean }

const CHUNK = 1000

export type EventStore = ReturnType<typeof createEventStore>

/** Appends an event inside the current transaction; null when its dedupe key was already used (a replay). */
/** One committed state change as /metrics sees it. */
export type TransactionObserver = (t: { ms: number; types: readonly string[] }) => void

export type Append = (e: NewEvent, now?: number) => StoredEvent | null

/**
 * Appends are synchronous and run inside the transaction that changes state, so an event exists exactly when
 * its change does. `transaction()` is the way to do that: it commits, then wakes deliverers (webhooks, SSE).
 */
export function createEventStore(db: Db) {
  const { sqlite } = db
  const insert = sqlite.query<{ seq: number }, [string, string, number, string, string | null, string, string | null]>(
    `INSERT INTO events (id, type, created_at, org_id, session_id, data, dedupe_key) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT DO NOTHING RETURNING seq`,
  )
  const after = sqlite.query<Row, [string, number, number]>(
    'SELECT seq, id, type, created_at, org_id, session_id, data FROM events WHERE org_id = ? AND seq > ? ORDER BY seq LIMIT ?',
  )
  const maxSeq = sqlite.query<{ seq: number | null }, []>('SELECT max(seq) AS seq FROM events')
  const seqOf = sqlite.query<{ seq: number }, [string, string]>('SELECT seq FROM events WHERE id = ? AND org_id = ?')
  // Events are appended in time order, so the expired ones are the oldest seqs: delete up to the first one still
  // kept. The walk reads only expired rows plus one, without an index on created_at that every append would pay
  // for. (An event stamped earlier than one committed before it, after the clock stepped back, waits for that one.)
  const prune = sqlite.query<null, [number, number]>(
    `DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE seq < coalesce(
       (SELECT seq FROM events WHERE created_at >= ?1 ORDER BY seq LIMIT 1), (SELECT max(seq) + 1 FROM events))
     ORDER BY seq LIMIT ?2)`,
  )
  // One wrapper for every transaction: bun:sqlite builds a new one (and its begin/commit statements' lookups) per
  // `sqlite.transaction(fn)` call, which showed in the inbound profile.
  const run = sqlite.transaction((work: (append: Append) => unknown, append: Append) => work(append))
  const listeners = new Set<() => void>()
  const observers = new Set<TransactionObserver>()

  const append: Append = (e, now = Date.now()) => {
    const id = `evt_${ulid(now)}`
    const data = JSON.stringify(e.data ?? null)
    const row = insert.get(id, e.type, now, e.orgId, e.sessionId, data, e.dedupeKey ?? null)
    if (!row) return null
    return { seq: row.seq, id, type: e.type, createdAt: now, orgId: e.orgId, sessionId: e.sessionId, data: e.data }
  }
  const committed = () => {
    for (const l of listeners) l()
  }

  return {
    /** Appends one event; returns null when its dedupe key was already used (a replay). */
    append,
    /**
     * Runs `work` in one immediate transaction, giving it `append`; after the commit, wakes subscribers when
     * anything was appended. State changes that raise events go through here, so none forgets the wake-up.
     */
    transaction<T>(work: (append: Append) => T): T {
      let appended = 0
      const types: string[] | null = observers.size ? [] : null
      const started = types ? performance.now() : 0
      const counted: Append = (e, now) => {
        const stored = append(e, now)
        if (stored) {
          appended++
          types?.push(e.type)
        }
        return stored
      }
      const out = run.immediate(work, counted) as T
      if (types) for (const o of observers) o({ ms: performance.now() - started, types })
      if (appended) committed()
      return out
    },
    /** Watches every committed transaction (its duration and the event types it appended), for /metrics. */
    observeTransactions(observer: TransactionObserver) {
      observers.add(observer)
      return () => void observers.delete(observer)
    },
    /** Tells subscribers that new events were committed (for changes that add deliveries but no event). */
    committed,
    /** Subscribes to commit notifications; returns the unsubscribe function. */
    onCommitted(listener: () => void) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    /** The highest seq ever committed (0 for an empty outbox). Seq order is commit order: one writer. */
    maxSeq: (): number => maxSeq.get()?.seq ?? 0,
    /** The seq of an event of `orgId`, or null when unknown (never issued, another org's, or pruned). */
    seqOf: (orgId: string, id: string): number | null => seqOf.get(id, orgId)?.seq ?? null,
    /**
     * Up to `limit` events of `orgId` after `afterSeq` that pass `filter`, in commit order. Scans at
     * most `budget` rows, so a filter that matches rarely still answers quickly; `lastSeq` is where the
     * next scan resumes (it moves past filtered-out rows, and to the outbox head when the scan ran dry).
     */
    scan(orgId: string, afterSeq: number, filter: EventFilter, limit: number, budget = 10 * CHUNK): EventScan {
      const head = maxSeq.get()?.seq ?? 0
      const events: StoredEvent[] = []
      let cursor = afterSeq
      let scanned = 0
      while (scanned < budget) {
        const rows = after.all(orgId, cursor, CHUNK)
        for (const r of rows) {
          scanned++
          if (filter.sessionId !== undefined && r.session_id !== filter.sessionId) {
            cursor = r.seq
            continue
          }
          if (filter.matchType && !filter.matchType(r.type)) {
            cursor = r.seq
            continue
          }
          if (events.length === limit) return { events, lastSeq: cursor, more: true }
          events.push(toEnvelope(r))
          cursor = r.seq
        }
        if (rows.length < CHUNK) return { events, lastSeq: Math.max(cursor, head), more: false }
      }
      return { events, lastSeq: cursor, more: true }
    },
    /** Deletes events created before `before`, in chunks; returns how many went. */
    prune(before: number, chunk = 5000): number {
      let total = 0
      for (;;) {
        const n = prune.run(before, chunk).changes
        total += n
        if (n < chunk) return total
      }
    },
  }
}
