// Webhook deliveries repository: one row per (webhook, event), claimed by the dispatcher, every attempt logged.
import { monotonicFactory } from 'ulid'
import type { NewEvent } from '../domain/event.ts'
import type { CursorCodec } from './cursor.ts'
import type { Db } from './db.ts'
import type { EventStore } from './events.ts'
import { afterKey, toPage, type PageQuery } from './paging.ts'

export type DeliveryStatus = 'pending' | 'sending' | 'succeeded' | 'failed'

/** One attempt as recorded: HTTP status (null when none came back), latency, error, ≤ 1 KB of the response. */
export type Attempt = {
  at: number
  statusCode: number | null
  latencyMs: number
  error: string | null
  response: string | null
}

type Row = {
  pk: number
  id: string
  webhook_id: string
  event_seq: number
  event_id: string
  event_type: string
  session_id: string | null
  status: DeliveryStatus
  attempt_count: number
  next_attempt_at: number
  attempts: string
  created_at: number
  updated_at: number
}

export type Delivery = {
  id: string
  webhookId: string
  eventId: string
  eventType: string
  sessionId: string | null
  status: DeliveryStatus
  attemptCount: number
  /** When the next attempt is due; null unless pending. */
  nextAttemptAt: number | null
  attempts: Attempt[]
  createdAt: number
  updatedAt: number
}

const delivery = (r: Row): Delivery => ({
  id: r.id,
  webhookId: r.webhook_id,
  eventId: r.event_id,
  eventType: r.event_type,
  sessionId: r.session_id,
  status: r.status,
  attemptCount: r.attempt_count,
  nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
  attempts: JSON.parse(r.attempts) as Attempt[],
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

/** A claimed delivery with the event body to POST (the envelope as stored, serialised once). */
export type Job = {
  pk: number
  id: string
  webhookId: string
  eventId: string
  sessionId: string | null
  attemptCount: number
  /** null when the event was pruned before it could be delivered. */
  body: string | null
  /** When the event was stored (null when pruned): the start of its delivery lag. */
  eventCreatedAt: number | null
}

type JobRow = {
  pk: number
  id: string
  webhook_id: string
  event_id: string
  session_id: string | null
  attempt_count: number
  created_at: number | null
  /** The envelope JSON, null when the event is gone. */
  body: string | null
}

export type Outcome = { pk: number; status: DeliveryStatus; nextAttemptAt: number; attempt: Attempt }

/** An event as fan-out sees it. */
export type FanoutEvent = { seq: number; id: string; type: string; sessionId: string | null }

export type DeliveryStore = ReturnType<typeof createDeliveryStore>

/**
 * The envelope a delivery POSTs, as an SQL expression over stored columns: `data` is already JSON, so it is not
 * parsed again, and json_quote runs in SQLite's C rather than four JSON.stringify calls per job (4 % of the drain
 * profile's samples). NULL when any part is (a pruned event).
 */
const envelope = (c: Record<'id' | 'type' | 'createdAt' | 'orgId' | 'sessionId' | 'data', string>) =>
  `'{"id":' || json_quote(${c.id}) || ',"type":' || json_quote(${c.type}) || ',"createdAt":' || ${c.createdAt} ||
   ',"orgId":' || json_quote(${c.orgId}) || ',"sessionId":' || json_quote(${c.sessionId}) || ',"data":' || ${c.data} ||
   '}'`

/** `events` is the outbox: deliveries made here outside fan-out append to it and wake its listeners. */
export function createDeliveryStore(db: Db, codec: CursorCodec, events: EventStore) {
  const { sqlite } = db
  const insert = sqlite.query<Row, [string, string, number, string, string, string | null, number, number, number]>(
    `INSERT INTO webhook_deliveries (id, webhook_id, event_seq, event_id, event_type, session_id, status,
     next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) RETURNING *`,
  )
  // Fan-out's rows, given as one JSON array of [id, seq, eventId, type, sessionId]: `pending` for the claim to take,
  // or, through `insertClaimed`, `sending` for those fan-out claims itself (their pks come back by event).
  const insertRows = (status: DeliveryStatus, returning: string) =>
    `INSERT INTO webhook_deliveries (id, webhook_id, event_seq, event_id, event_type, session_id, status,
     next_attempt_at, created_at, updated_at)
     SELECT j.value ->> 0, ?1, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, '${status}', ?3, ?3, ?3
     FROM json_each(?2) AS j ${returning}`
  const insertMany = sqlite.query<null, [string, string, number]>(insertRows('pending', ''))
  const insertClaimed = sqlite.query<{ pk: number; event_seq: number }, [string, string, number]>(
    insertRows('sending', 'RETURNING pk, event_seq'),
  )
  const eventsAfter = sqlite.query<
    { seq: number; id: string; type: string; session_id: string | null; created_at: number; body: string | null },
    [string, number, number, number]
  >(
    // With ?4 = 1 each event's envelope too, for the deliveries fan-out claims itself.
    `SELECT seq, id, type, session_id, created_at, CASE WHEN ?4 THEN ${envelope({
      id: 'id',
      type: 'type',
      createdAt: 'created_at',
      orgId: 'org_id',
      sessionId: 'session_id',
      data: 'data',
    })} END AS body
     FROM events WHERE org_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3`,
  )
  const setHwm = sqlite.query<null, [number, string]>('UPDATE webhooks SET hwm = ? WHERE id = ?')
  const due = sqlite.query<JobRow, [string, number, number]>(
    // A pruned event leaves created_at and data NULL, which makes the whole envelope NULL.
    `SELECT d.pk, d.id, d.webhook_id, d.event_id, d.session_id, d.attempt_count, e.created_at, ${envelope({
      id: 'd.event_id',
      type: 'e.type',
      createdAt: 'e.created_at',
      orgId: 'e.org_id',
      sessionId: 'd.session_id',
      data: 'e.data',
    })} AS body
     FROM webhook_deliveries d LEFT JOIN events e ON e.seq = d.event_seq
     WHERE d.webhook_id = ? AND d.status = 'pending' AND d.next_attempt_at <= ?
     ORDER BY d.next_attempt_at, d.pk LIMIT ?`,
  )
  const markSending = sqlite.query<null, [number, string]>(
    "UPDATE webhook_deliveries SET status = 'sending', updated_at = ? WHERE pk IN (SELECT value FROM json_each(?))",
  )
  // One bound statement per outcome, all in one transaction: reading each field back out of a JSON array with
  // json_each cost about twice as much per row (delivery bench profile). The attempt is built by json_object from
  // bound fields (in the Attempt type's key order) instead of JSON.stringify in JS and json() parsing it again.
  const recordOne = sqlite.query<
    null,
    [string, number, number, number | null, number, string | null, string | null, number, number]
  >(
    `UPDATE webhook_deliveries SET status = ?1, attempt_count = attempt_count + 1, next_attempt_at = ?2,
     attempts = json_insert(attempts, '$[#]',
       json_object('at', ?3, 'statusCode', ?4, 'latencyMs', ?5, 'error', ?6, 'response', ?7)),
     updated_at = ?8 WHERE pk = ?9`,
  )
  const recordAll = sqlite.transaction((outcomes: readonly Outcome[], now: number) => {
    for (const { pk, status, nextAttemptAt, attempt: a } of outcomes)
      recordOne.run(status, nextAttemptAt, a.at, a.statusCode, a.latencyMs, a.error, a.response, now, pk)
  })
  const nextDue = sqlite.query<{ at: number | null }, [string]>(
    "SELECT min(next_attempt_at) AS at FROM webhook_deliveries WHERE webhook_id = ? AND status = 'pending'",
  )
  const unclaim = sqlite.query<null, [number]>(
    "UPDATE webhook_deliveries SET status = 'pending' WHERE pk = ? AND status = 'sending'",
  )
  const release = sqlite.query<null, []>("UPDATE webhook_deliveries SET status = 'pending' WHERE status = 'sending'")
  const byId = sqlite.query<Row, [string, string]>('SELECT * FROM webhook_deliveries WHERE webhook_id = ? AND id = ?')
  const pageAll = sqlite.query<Row, [string, number, number]>(
    'SELECT * FROM webhook_deliveries WHERE webhook_id = ? AND pk < ? ORDER BY pk DESC LIMIT ?',
  )
  const pageStatus = sqlite.query<Row, [string, string, number, number]>(
    'SELECT * FROM webhook_deliveries WHERE webhook_id = ? AND status = ? AND pk < ? ORDER BY pk DESC LIMIT ?',
  )
  // Deliveries are made in time order, so the expired ones are the lowest pks: the walk goes up to the first delivery
  // still kept, without an index on created_at that every fan-out insert would pay for (a fifth of the insert's cost).
  // A delivery stamped earlier than one made before it, after the clock stepped back, waits for that one.
  const prune = sqlite.query<null, [number, number]>(
    `DELETE FROM webhook_deliveries WHERE pk IN (SELECT pk FROM webhook_deliveries WHERE pk < coalesce(
       (SELECT pk FROM webhook_deliveries WHERE created_at >= ?1 ORDER BY pk LIMIT 1),
       (SELECT max(pk) + 1 FROM webhook_deliveries))
     AND status IN ('succeeded', 'failed') ORDER BY pk LIMIT ?2)`,
  )

  // Delivery ids are ULIDs; a monotonic factory increments the random part within a millisecond instead of drawing
  // 80 new random bits per id, which was a tenth of fan-out's cost for a backlog.
  const ulid = monotonicFactory()
  const add = (webhookId: string, e: FanoutEvent, now: number) =>
    insert.get(`dlv_${ulid(now)}`, webhookId, e.seq, e.id, e.type, e.sessionId, now, now, now)!

  return {
    /**
     * Fans committed events out to one webhook: inserts a delivery per matching event after its
     * high-water mark and advances the mark, in one transaction, so a crash in between loses nothing
     * and duplicates nothing. Returns how many deliveries were created.
     *
     * With `claim` > 0 the first `claim` of them are inserted claimed (`sending`, as `claim` leaves them) and come
     * back as `jobs`, in commit order: a delivery sent at its first attempt is then written twice (made, recorded)
     * instead of three times. The caller must only ask while no first attempt of the webhook waits in the table,
     * or a newer event would go out ahead of an older one of its session.
     */
    fanOut(
      w: { id: string; orgId: string; hwm: number },
      wants: (e: FanoutEvent) => boolean,
      max: number,
      now = Date.now(),
      claim = 0,
    ): { made: number; hwm: number; full: boolean; jobs: Job[] } {
      return sqlite
        .transaction(() => {
          const rows = eventsAfter.all(w.orgId, w.hwm, max, claim > 0 ? 1 : 0)
          const made: [string, number, string, string, string | null][] = []
          const jobs: Job[] = []
          for (const r of rows) {
            if (!wants({ seq: r.seq, id: r.id, type: r.type, sessionId: r.session_id })) continue
            const id = `dlv_${ulid(now)}`
            made.push([id, r.seq, r.id, r.type, r.session_id])
            if (jobs.length < claim)
              jobs.push({
                pk: 0, // from the insert below
                id,
                webhookId: w.id,
                eventId: r.id,
                sessionId: r.session_id,
                attemptCount: 0,
                body: r.body,
                eventCreatedAt: r.created_at,
              })
          }
          if (jobs.length) {
            const pks = new Map<number, number>()
            for (const r of insertClaimed.all(w.id, JSON.stringify(made.slice(0, jobs.length)), now))
              pks.set(r.event_seq, r.pk)
            jobs.forEach((j, i) => (j.pk = pks.get(made[i]![1])!))
          }
          if (made.length > jobs.length) insertMany.run(w.id, JSON.stringify(made.slice(jobs.length)), now)
          const last = rows[rows.length - 1]
          if (last) setHwm.run(last.seq, w.id)
          return { made: made.length, hwm: last?.seq ?? w.hwm, full: rows.length === max, jobs }
        })
        .immediate()
    },
    /** Inserts one delivery directly, for fixtures; call inside the event's transaction. Wakes nobody. */
    create: (webhookId: string, e: FanoutEvent, now = Date.now()) => delivery(add(webhookId, e, now)),
    /**
     * Appends `event` and queues it for this one webhook only (`:test`), in one transaction that wakes the
     * deliverers; returns the delivery.
     */
    deliverToOne(webhookId: string, event: NewEvent, now = Date.now()): Delivery {
      return events.transaction((append) => delivery(add(webhookId, append(event, now)!, now)))
    },
    /** Claims up to `limit` due deliveries of a webhook, oldest due first, marking them `sending`. */
    claim(webhookId: string, limit: number, now = Date.now()): Job[] {
      const rows = sqlite
        .transaction(() => {
          const rows = due.all(webhookId, now, limit)
          if (rows.length) markSending.run(now, JSON.stringify(rows.map((r) => r.pk)))
          return rows
        })
        .immediate()
      return rows.map((r) => ({
        pk: r.pk,
        id: r.id,
        webhookId: r.webhook_id,
        eventId: r.event_id,
        sessionId: r.session_id,
        attemptCount: r.attempt_count,
        body: r.body,
        eventCreatedAt: r.created_at,
      }))
    },
    /** Records finished attempts, all in one transaction. */
    record(outcomes: readonly Outcome[], now = Date.now()) {
      if (outcomes.length) recordAll.immediate(outcomes, now)
    },
    /** Hands claimed but unsent deliveries back (their webhook was disabled, or the dispatcher stopped). */
    unclaim(pks: readonly number[]) {
      sqlite
        .transaction(() => {
          for (const pk of pks) unclaim.run(pk)
        })
        .immediate()
    },
    nextDue: (webhookId: string): number | null => nextDue.get(webhookId)?.at ?? null,
    /** After a restart nothing is in flight: deliveries left `sending` by a crash become due again. */
    releaseInFlight: () => release.run().changes,
    get: (webhookId: string, id: string): Delivery | null => {
      const r = byId.get(webhookId, id)
      return r ? delivery(r) : null
    },
    /** Newest first, optionally one status. */
    page(webhookId: string, status: DeliveryStatus | undefined, q: PageQuery) {
      const listing = `deliveries:${webhookId}:${status ?? '*'}`
      const after = afterKey(codec, listing, q, ['number'])
      const before = (after?.[0] as number | undefined) ?? Number.MAX_SAFE_INTEGER
      const rows = status
        ? pageStatus.all(webhookId, status, before, q.limit + 1)
        : pageAll.all(webhookId, before, q.limit + 1)
      return toPage(codec, listing, rows, q.limit, (r) => [r.pk], delivery)
    },
    /** A fresh delivery of the same event (same webhook-id), with a new retry budget; wakes the deliverers. */
    redeliver(webhookId: string, id: string, now = Date.now()): Delivery | null {
      const r = byId.get(webhookId, id)
      if (!r) return null
      const e = { seq: r.event_seq, id: r.event_id, type: r.event_type, sessionId: r.session_id }
      const made = delivery(add(webhookId, e, now))
      events.committed()
      return made
    },
    /** Deletes finished deliveries created before `before`; returns how many went. */
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
