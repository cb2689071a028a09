// The outbox on PostgreSQL. Several nodes (and several transactions on one node) append at once, so seq order is
// not commit order: seq N-1 may commit after seq N, and a reader that moved past N would never see it. Each event
// records its writing transaction (xid8), and readers walk the (xid, seq) order up to the oldest transaction still
// running (the snapshot's xmin): every transaction below it has ended, so nothing can ever appear behind a reader.
// A position is still one number, the seq of an event (its xid is looked up), so cursors, Last-Event-ID and the
// webhooks' high-water marks keep their SQLite shape.
import type { SQL, TransactionSQL } from 'bun'
import { ulid } from 'ulid'
import type { NewEvent } from '../../domain/event.ts'
import type { Async } from '../contract.ts'
import type { EventFilter, EventScan, EventStore, StoredEvent, TransactionObserver } from '../events.ts'
import type { PgDb } from './db.ts'
import { createWakeups, EVENTS_CHANNEL } from './notify.ts'

/** The outbox as readers see it on both dialects (the same shape as the repository bundle's events). */
export type EventLog = Async<Pick<EventStore, 'maxSeq' | 'seqOf' | 'scan' | 'prune'>> &
  Pick<EventStore, 'onCommitted' | 'observeTransactions'>

/** An append inside a PostgreSQL transaction; null when its dedupe key was already used (a replay). */
export type PgAppend = (e: NewEvent, now?: number) => Promise<StoredEvent | null>

type Row = {
  seq: string
  id: string
  type: string
  created_at: string
  org_id: string
  session_id: string | null
  data: string
  xid: string
  safe: boolean
}

const toEvent = (r: Row): StoredEvent => ({
  seq: Number(r.seq),
  id: r.id,
  type: r.type,
  createdAt: Number(r.created_at),
  orgId: r.org_id,
  sessionId: r.session_id,
  data: JSON.parse(r.data),
})

/**
 * Appends one event inside `tx` (the caller's transaction, e.g. a fenced ingest write) and queues the NOTIFY that
 * wakes every node once it commits. Returns null when the event's dedupe key was already used.
 */
export async function appendPg(tx: TransactionSQL | SQL, e: NewEvent, now = Date.now()): Promise<StoredEvent | null> {
  const id = `evt_${ulid(now)}`
  const data = JSON.stringify(e.data ?? null)
  const rows: { seq: string }[] = await tx`
    WITH ins AS (
      INSERT INTO events (id, type, created_at, org_id, session_id, data, dedupe_key)
      VALUES (${id}, ${e.type}, ${now}::int8, ${e.orgId}, ${e.sessionId}, ${data}, ${e.dedupeKey ?? null})
      ON CONFLICT DO NOTHING RETURNING seq)
    SELECT seq, pg_notify(${EVENTS_CHANNEL}, '') FROM ins`
  const row = rows[0]
  if (!row) return null
  return {
    seq: Number(row.seq),
    id,
    type: e.type,
    createdAt: now,
    orgId: e.orgId,
    sessionId: e.sessionId,
    data: e.data,
  }
}

/**
 * The rows of `orgId` after the position of event `after` (with `xid` when the caller knows it) in (xid, seq)
 * order, each marked safe (its transaction is below every running one; the safe ones come first), and the safe
 * head of the whole outbox, all in one snapshot. A position whose event is gone (pruned) starts at the smallest
 * xid after its seq: a repeat rather than a gap.
 */
export async function rowsAfter(
  sql: SQL | TransactionSQL,
  orgId: string,
  after: number,
  xid: string | null,
  limit: number,
): Promise<{ rows: Row[]; head: number }> {
  const out: (Omit<Row, 'seq'> & { seq: string | null; head: string | null })[] = await sql`
    WITH h AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin),
    pos AS MATERIALIZED (SELECT coalesce(${xid}::xid8,
      (SELECT xid FROM events WHERE seq = ${after}::int8),
      (SELECT xid FROM events WHERE seq > ${after}::int8 ORDER BY xid, seq LIMIT 1),
      (SELECT xmin FROM h)) AS xid),
    r AS (
      SELECT e.seq, e.id, e.type, e.created_at, e.org_id, e.session_id, e.data, e.xid AS x8, e.xid::text AS xid,
        e.xid < h.xmin AS safe
      FROM h, events e
      -- The row comparison starts at the index's first column so that it bounds the index scan.
      WHERE e.org_id = ${orgId} AND (e.org_id, e.xid, e.seq) > (${orgId}, (SELECT xid FROM pos), ${after}::int8)
      ORDER BY e.xid, e.seq LIMIT ${limit})
    SELECT r.seq, r.id, r.type, r.created_at, r.org_id, r.session_id, r.data, r.xid, r.safe,
      (SELECT seq FROM events WHERE xid < (SELECT xmin FROM h) ORDER BY xid DESC, seq DESC LIMIT 1) AS head
    FROM (SELECT 1) AS one LEFT JOIN r ON true
    ORDER BY r.x8, r.seq`
  const head = Number(out[0]?.head ?? 0)
  return { rows: out.filter((r): r is typeof r & { seq: string } => r.seq !== null), head }
}

const CHUNK = 1000
/** How soon readers look again when committed events wait behind an older running transaction. */
const HELD_MIN_MS = 20
const HELD_MAX_MS = 1000

export type PgEventStore = ReturnType<typeof createPgEventStore>

export function createPgEventStore(pg: PgDb, opts: { onError?: (err: unknown) => void } = {}) {
  const { sql } = pg
  const wakeups = createWakeups(sql, EVENTS_CHANNEL, opts.onError)
  let heldTimer: ReturnType<typeof setTimeout> | null = null
  let heldDelay = HELD_MIN_MS
  const observers = new Set<TransactionObserver>()

  /**
   * A read stopped at committed events whose transaction is newer than one still running. That older
   * transaction may end without a NOTIFY (it appended nothing, or rolled back), so readers are woken again
   * shortly, backing off while it stays open.
   */
  const held = () => {
    if (heldTimer) return
    heldTimer = setTimeout(() => {
      heldTimer = null
      heldDelay = Math.min(heldDelay * 2, HELD_MAX_MS)
      wakeups.wake()
    }, heldDelay)
    heldTimer.unref?.()
  }
  const clear = () => {
    heldDelay = HELD_MIN_MS
  }

  const store = {
    /**
     * Runs `work` in one transaction, giving it an append bound to it; after the commit every node's readers
     * wake (NOTIFY), this node's at once.
     */
    async transaction<T>(work: (append: PgAppend, tx: TransactionSQL) => Promise<T>): Promise<T> {
      let appended = 0
      const types: string[] | null = observers.size ? [] : null
      const started = types ? performance.now() : 0
      const out = await sql.begin(async (tx) =>
        work(async (e, now) => {
          const stored = await appendPg(tx, e, now)
          if (stored) {
            appended++
            types?.push(e.type)
          }
          return stored
        }, tx),
      )
      if (types) for (const o of observers) o({ ms: performance.now() - started, types })
      if (appended) wakeups.wake()
      return out
    },
    /** Watches every transaction committed through `transaction()` (duration, event types), for /metrics. */
    observeTransactions(observer: TransactionObserver) {
      observers.add(observer)
      return () => void observers.delete(observer)
    },
    /** Tells every node that deliveries or events changed (for changes that add deliveries but no event). */
    committed: (): Promise<void> => wakeups.notify(),
    /** Subscribes to commits on any node; returns the unsubscribe function. */
    onCommitted: (listener: () => void) => wakeups.on(listener),
    /** Resolves once this node LISTENs (tests; wake-ups before it are local only). */
    listening: () => wakeups.ready(),
    /** Readers stopped at an unsafe event: wake them again soon. */
    held,
    /** Readers reached a safe end: the next hold starts with a short delay again. */
    clear,
    /**
     * The last event every reader may pass: the greatest (xid, seq) below the oldest running transaction
     * (0 for an empty outbox). Starting after it misses nothing committed from now on.
     */
    async maxSeq(): Promise<number> {
      const [r]: { seq: string }[] = await sql`
        SELECT seq FROM events WHERE xid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY xid DESC, seq DESC LIMIT 1`
      return r ? Number(r.seq) : 0
    },
    async seqOf(orgId: string, id: string): Promise<number | null> {
      const [r]: { seq: string }[] = await sql`SELECT seq FROM events WHERE id = ${id} AND org_id = ${orgId}`
      return r ? Number(r.seq) : null
    },
    /**
     * Up to `limit` events of `orgId` after position `afterSeq` that pass `filter`, in the commit-safe order.
     * Scans at most `budget` rows; `lastSeq` is where the next scan resumes (past filtered-out rows, and to the
     * safe head when the scan ran dry).
     */
    async scan(
      orgId: string,
      afterSeq: number,
      filter: EventFilter,
      limit: number,
      budget = 10 * CHUNK,
    ): Promise<EventScan> {
      const events: StoredEvent[] = []
      let cursor = afterSeq
      let xid: string | null = null
      let scanned = 0
      while (scanned < budget) {
        const { rows, head } = await rowsAfter(sql, orgId, cursor, xid, CHUNK)
        for (const r of rows) {
          if (!r.safe) {
            held()
            return { events, lastSeq: cursor, more: false }
          }
          scanned++
          if (
            (filter.sessionId === undefined || r.session_id === filter.sessionId) &&
            (!filter.matchType || filter.matchType(r.type))
          ) {
            if (events.length === limit) return { events, lastSeq: cursor, more: true }
            events.push(toEvent(r))
          }
          cursor = Number(r.seq)
          xid = r.xid
        }
        if (rows.length < CHUNK) {
          clear()
          // Dry: every event of the organisation up to the safe head (same snapshot) was looked at.
          return { events, lastSeq: head || cursor, more: false }
        }
      }
      return { events, lastSeq: cursor, more: true }
    },
    /** Deletes events created before `before`, oldest seqs first, in chunks; returns how many went. */
    async prune(before: number, chunk = 5000): Promise<number> {
      let total = 0
      for (;;) {
        const r = await sql`
          DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE seq < coalesce(
            (SELECT seq FROM events WHERE created_at >= ${before}::int8 ORDER BY seq LIMIT 1),
            (SELECT max(seq) + 1 FROM events))
          ORDER BY seq LIMIT ${chunk})`
        total += r.count
        if (r.count < chunk) return total
      }
    },
  }

  return store
}
