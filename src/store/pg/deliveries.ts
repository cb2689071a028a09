// Webhook deliveries on PostgreSQL, where every node runs a dispatcher over the same rows:
// - fan-out advances a webhook's high-water mark under a lock on the webhook's row, in the outbox's commit-safe
//   order, and a unique key (webhook, event) on fan-out rows makes a second fan-out of an event a no-op;
// - claims take due rows with FOR UPDATE SKIP LOCKED, so each delivery is in flight on one node at a time; a claim
//   names its node and expires unless that node renews it, so a node that dies mid-delivery strands nothing:
//   its claims become claimable again once expired. Claim times are the database's clock, never a node's.
import type { TransactionSQL } from 'bun'
import { ulid } from 'ulid'
import type { NewEvent } from '../../domain/event.ts'
import type { Async } from '../contract.ts'
import type { CursorCodec } from '../cursor.ts'
import type { Attempt, Delivery, DeliveryStatus, DeliveryStore, FanoutEvent, Job, Outcome } from '../deliveries.ts'
import { afterKey, toPage, type PageQuery } from '../paging.ts'
import type { PgDb } from './db.ts'
import { rowsAfter, type PgEventStore } from './events.ts'

type Row = {
  pk: string
  id: string
  webhook_id: string
  event_seq: string
  event_id: string
  event_type: string
  session_id: string | null
  status: DeliveryStatus
  attempt_count: number
  next_attempt_at: string
  attempts: string
  created_at: string
  updated_at: string
}

const delivery = (r: Row): Delivery => ({
  id: r.id,
  webhookId: r.webhook_id,
  eventId: r.event_id,
  eventType: r.event_type,
  sessionId: r.session_id,
  status: r.status,
  attemptCount: r.attempt_count,
  nextAttemptAt: r.status === 'pending' ? Number(r.next_attempt_at) : null,
  attempts: JSON.parse(r.attempts) as Attempt[],
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
})

type JobRow = {
  pk: string
  id: string
  webhook_id: string
  event_id: string
  session_id: string | null
  attempt_count: number
  type: string | null
  created_at: string | null
  org_id: string | null
  data: string | null
}

/** The envelope JSON built from stored columns without re-parsing `data` (as SQLite's store does). */
const bodyOf = (r: Pick<JobRow, 'event_id' | 'type' | 'created_at' | 'org_id' | 'session_id' | 'data'>) =>
  r.type === null
    ? null
    : `{"id":${JSON.stringify(r.event_id)},"type":${JSON.stringify(r.type)},"createdAt":${Number(r.created_at)},` +
      `"orgId":${JSON.stringify(r.org_id)},"sessionId":${JSON.stringify(r.session_id)},"data":${r.data}}`

/** Delivery columns as the API reads them (the claim columns stay inside this module). */
const COLUMNS = `pk, id, webhook_id, event_seq, event_id, event_type, session_id, status, attempt_count, next_attempt_at,
  attempts, created_at, updated_at`

/** Now in epoch ms on the database's clock. */
const DB_NOW = `floor(extract(epoch from clock_timestamp()) * 1000)::int8`

export type PgDeliveryOptions = {
  /** Who holds this process's claims (a cluster node id); default a fresh id per process. */
  nodeId?: string
  /** How long a claim lasts without renewal (default 60 s); renewed every third of it while claims are held. */
  claimLeaseMs?: number
  onError?: (err: unknown) => void
}

export type PgDeliveryStore = Async<DeliveryStore> & {
  /** This store's node id (the owner of its claims). */
  readonly nodeId: string
  /** Extends this node's claims now (the timer does it every third of the lease). */
  renewClaims(): Promise<number>
  /** Stops renewing (shutdown; a "dead" node in tests). */
  close(): void
}

export function createPgDeliveryStore(
  pg: PgDb,
  codec: CursorCodec,
  events: Pick<PgEventStore, 'committed' | 'held' | 'transaction'>,
  opts: PgDeliveryOptions = {},
): PgDeliveryStore {
  const { sql } = pg
  const nodeId = opts.nodeId ?? `node_${ulid()}`
  const leaseMs = opts.claimLeaseMs ?? 60_000
  let renewer: ReturnType<typeof setInterval> | null = null

  const renewClaims = async () => {
    const r = await sql.unsafe(
      `UPDATE webhook_deliveries SET claimed_until = ${DB_NOW} + $1::int8
       WHERE status = 'sending' AND claimed_by = $2`,
      [leaseMs, nodeId],
    )
    return r.count as number
  }
  const startRenewing = () => {
    if (renewer) return
    renewer = setInterval(
      () => void renewClaims().catch((err: unknown) => opts.onError?.(err)),
      Math.max(1, Math.floor(leaseMs / 3)),
    )
    renewer.unref?.()
  }

  const insertOne = async (tx: TransactionSQL | typeof sql, webhookId: string, e: FanoutEvent, now: number) => {
    const [r]: Row[] = await tx.unsafe(
      `INSERT INTO webhook_deliveries (id, webhook_id, event_seq, event_id, event_type, session_id, status,
         next_attempt_at, created_at, updated_at)
       VALUES ($1, $2, $3::int8, $4, $5, $6, 'pending', $7::int8, $7::int8, $7::int8) RETURNING ${COLUMNS}`,
      [`dlv_${ulid(now)}`, webhookId, e.seq, e.id, e.type, e.sessionId, now],
    )
    return delivery(r!)
  }

  return {
    nodeId,
    renewClaims,
    close() {
      if (renewer) clearInterval(renewer)
      renewer = null
    },
    /**
     * Fans committed events out to one webhook, under a lock on its row: reads the mark there (another node may
     * have moved it), inserts a delivery per matching event up to the first one not yet safe to pass, advances
     * the mark, and commits. Two nodes fanning out the same webhook take turns; neither repeats the other.
     */
    async fanOut(
      w: { id: string; orgId: string; hwm: number },
      wants: (e: FanoutEvent) => boolean,
      max: number,
      now = Date.now(),
      claim = 0,
    ): Promise<{ made: number; hwm: number; full: boolean; jobs: Job[] }> {
      const jobs: Job[] = []
      return await sql.begin(async (tx) => {
        const [locked]: { hwm: string }[] = await tx`SELECT hwm FROM webhooks WHERE id = ${w.id} FOR UPDATE`
        if (!locked) return { made: 0, hwm: w.hwm, full: false, jobs }
        const from = Number(locked.hwm)
        const { rows } = await rowsAfter(tx, w.orgId, from, null, max)
        const made: Record<string, unknown>[] = []
        /** The first `claim` made, inserted claimed by this node and sent by it. */
        const claimed: { job: Job; seq: number; type: string }[] = []
        let hwm = from
        let stopped = false
        for (const r of rows) {
          if (!r.safe) {
            stopped = true
            break
          }
          const e = { seq: Number(r.seq), id: r.id, type: r.type, sessionId: r.session_id }
          hwm = e.seq
          if (!wants(e)) continue
          const id = `dlv_${ulid(now)}`
          if (claimed.length < claim) {
            const job = {
              pk: 0, // from the insert below
              id,
              webhookId: w.id,
              eventId: e.id,
              sessionId: e.sessionId,
              attemptCount: 0,
              body: bodyOf({ ...r, event_id: r.id }),
              eventCreatedAt: Number(r.created_at),
            }
            claimed.push({ job, seq: e.seq, type: e.type })
            continue
          }
          made.push({
            id,
            webhook_id: w.id,
            event_seq: e.seq,
            event_id: e.id,
            event_type: e.type,
            session_id: e.sessionId,
            status: 'pending',
            next_attempt_at: now,
            created_at: now,
            updated_at: now,
            fanned_out: true,
          })
        }
        if (stopped) events.held()
        let inserted = 0
        if (claimed.length) {
          // Claimed as `claim` claims (this node, the database's clock); a delivery another node fanned out
          // already is not inserted, so it is not sent from here either.
          const rows: { pk: string; event_seq: string }[] = await tx.unsafe(
            `INSERT INTO webhook_deliveries (id, webhook_id, event_seq, event_id, event_type, session_id, status,
               next_attempt_at, created_at, updated_at, fanned_out, claimed_by, claimed_until)
             SELECT j.id, $1, j.seq, j.event_id, j.type, j.session_id, 'sending', $2::int8, $2::int8, $2::int8, true,
               $3, ${DB_NOW} + $4::int8
             FROM json_to_recordset($5::text::json) AS j(id text, seq int8, event_id text, type text, session_id text)
             ON CONFLICT DO NOTHING RETURNING pk, event_seq`,
            [
              w.id,
              now,
              nodeId,
              leaseMs,
              JSON.stringify(
                claimed.map(({ job, seq, type }) => ({
                  id: job.id,
                  seq,
                  event_id: job.eventId,
                  type,
                  session_id: job.sessionId,
                })),
              ),
            ],
          )
          inserted += rows.length
          const pks = new Map(rows.map((r) => [Number(r.event_seq), Number(r.pk)]))
          for (const { job, seq } of claimed) {
            const pk = pks.get(seq)
            if (pk !== undefined) jobs.push({ ...job, pk })
          }
          if (jobs.length) startRenewing()
        }
        if (made.length) {
          const r = await tx`INSERT INTO webhook_deliveries ${tx(made)} ON CONFLICT DO NOTHING`
          inserted += r.count
        }
        if (hwm !== from) await tx`UPDATE webhooks SET hwm = ${hwm}::int8 WHERE id = ${w.id}`
        return { made: inserted, hwm, full: !stopped && rows.length === max, jobs }
      })
    },
    /** Inserts one delivery directly, for fixtures. Wakes nobody. */
    create: (webhookId: string, e: FanoutEvent, now = Date.now()) => insertOne(sql, webhookId, e, now),
    /** Appends `event` and queues it for this one webhook only (`:test`), in one transaction; wakes every node. */
    async deliverToOne(webhookId: string, event: NewEvent, now = Date.now()): Promise<Delivery> {
      return await events.transaction(async (append, tx) => insertOne(tx, webhookId, (await append(event, now))!, now))
    },
    /**
     * Claims up to `limit` due deliveries of a webhook for this node, oldest due first, marking them `sending`.
     * Rows another node is claiming are skipped, not waited for; claims whose node stopped renewing them are due
     * again (first, being the oldest).
     */
    async claim(webhookId: string, limit: number, now = Date.now()): Promise<Job[]> {
      const rows: (JobRow & { next_attempt_at: string })[] = await sql.unsafe(
        `WITH expired AS (
           SELECT pk FROM webhook_deliveries WHERE webhook_id = $1 AND status = 'sending' AND claimed_until < ${DB_NOW}
           ORDER BY claimed_until LIMIT $3 FOR UPDATE SKIP LOCKED),
         due AS (
           SELECT pk FROM webhook_deliveries WHERE webhook_id = $1 AND status = 'pending' AND next_attempt_at <= $2::int8
           ORDER BY next_attempt_at, pk LIMIT (SELECT $3::int8 - count(*) FROM expired) FOR UPDATE SKIP LOCKED),
         claimed AS (
           UPDATE webhook_deliveries d SET status = 'sending', claimed_by = $4, claimed_until = ${DB_NOW} + $5::int8,
             updated_at = $2::int8
           WHERE d.pk IN (SELECT pk FROM expired UNION ALL SELECT pk FROM due)
           RETURNING d.pk, d.id, d.webhook_id, d.event_seq, d.event_id, d.session_id, d.attempt_count, d.next_attempt_at)
         SELECT c.pk, c.id, c.webhook_id, c.event_id, c.session_id, c.attempt_count, c.next_attempt_at,
           e.type, e.created_at, e.org_id, e.data
         FROM claimed c LEFT JOIN events e ON e.seq = c.event_seq
         ORDER BY c.next_attempt_at, c.pk`,
        [webhookId, now, limit, nodeId, leaseMs],
      )
      if (rows.length) startRenewing()
      return rows.map((r) => ({
        pk: Number(r.pk),
        id: r.id,
        webhookId: r.webhook_id,
        eventId: r.event_id,
        sessionId: r.session_id,
        attemptCount: r.attempt_count,
        body: bodyOf(r),
        eventCreatedAt: r.created_at === null ? null : Number(r.created_at),
      }))
    },
    /** Records finished attempts of this node's claims, all in one statement (a claim lost meanwhile is not). */
    async record(outcomes: readonly Outcome[], now = Date.now()): Promise<void> {
      if (!outcomes.length) return
      await sql.unsafe(
        `UPDATE webhook_deliveries AS d SET status = j.status, attempt_count = d.attempt_count + 1,
           next_attempt_at = j."nextAttemptAt",
           attempts = CASE WHEN d.attempts = '[]' THEN '[' || j.attempt::text || ']'
             ELSE left(d.attempts, -1) || ',' || j.attempt::text || ']' END,
           updated_at = $1::int8, claimed_by = NULL, claimed_until = NULL
         FROM json_to_recordset($2::text::json) AS j(pk int8, status text, "nextAttemptAt" int8, attempt json)
         WHERE d.pk = j.pk AND d.status = 'sending' AND d.claimed_by = $3`,
        [now, JSON.stringify(outcomes), nodeId],
      )
    },
    /** Hands this node's claimed but unsent deliveries back (webhook disabled, or the dispatcher stopped). */
    async unclaim(pks: readonly number[]): Promise<void> {
      if (!pks.length) return
      await sql.unsafe(
        `UPDATE webhook_deliveries SET status = 'pending', claimed_by = NULL, claimed_until = NULL
         WHERE pk = ANY($1::int8[]) AND status = 'sending' AND claimed_by = $2`,
        [`{${pks.join(',')}}`, nodeId],
      )
    },
    async nextDue(webhookId: string): Promise<number | null> {
      const [r]: { at: string | null }[] = await sql`
        SELECT min(next_attempt_at) AS at FROM webhook_deliveries WHERE webhook_id = ${webhookId} AND status = 'pending'`
      return r?.at == null ? null : Number(r.at)
    },
    /**
     * At a node's start: its own claims (a previous run under the same node id), expired ones and ownerless ones
     * (copied from SQLite) become due again. Other live nodes' claims are theirs.
     */
    async releaseInFlight(): Promise<number> {
      const r = await sql.unsafe(
        `UPDATE webhook_deliveries SET status = 'pending', claimed_by = NULL, claimed_until = NULL
         WHERE status = 'sending' AND (claimed_by = $1 OR claimed_by IS NULL OR claimed_until < ${DB_NOW})`,
        [nodeId],
      )
      return r.count as number
    },
    async get(webhookId: string, id: string): Promise<Delivery | null> {
      const [r]: Row[] = await sql.unsafe(
        `SELECT ${COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 AND id = $2`,
        [webhookId, id],
      )
      return r ? delivery(r) : null
    },
    /** Newest first, optionally one status. */
    async page(webhookId: string, status: DeliveryStatus | undefined, q: PageQuery) {
      const listing = `deliveries:${webhookId}:${status ?? '*'}`
      const after = afterKey(codec, listing, q, ['number'])
      const before = (after?.[0] as number | undefined) ?? Number.MAX_SAFE_INTEGER
      const rows: Row[] = status
        ? await sql.unsafe(
            `SELECT ${COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 AND status = $2 AND pk < $3::int8
             ORDER BY pk DESC LIMIT $4`,
            [webhookId, status, before, q.limit + 1],
          )
        : await sql.unsafe(
            `SELECT ${COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 AND pk < $2::int8
             ORDER BY pk DESC LIMIT $3`,
            [webhookId, before, q.limit + 1],
          )
      return toPage(codec, listing, rows, q.limit, (r) => [Number(r.pk)], delivery)
    },
    /** A fresh delivery of the same event (same webhook-id), with a new retry budget; wakes every node. */
    async redeliver(webhookId: string, id: string, now = Date.now()): Promise<Delivery | null> {
      const [r]: Row[] = await sql.unsafe(
        `SELECT ${COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 AND id = $2`,
        [webhookId, id],
      )
      if (!r) return null
      const e = { seq: Number(r.event_seq), id: r.event_id, type: r.event_type, sessionId: r.session_id }
      const made = await insertOne(sql, webhookId, e, now)
      await events.committed()
      return made
    },
    /**
     * Deletes finished deliveries created before `before`; returns how many went. As on SQLite, the walk goes in pk
     * order up to the first delivery still kept (no index on created_at); one stamped earlier than a delivery made
     * before it (a clock that stepped back, or another node's clock) waits for that one.
     */
    async prune(before: number, chunk = 5000): Promise<number> {
      let total = 0
      for (;;) {
        const r = await sql`
          DELETE FROM webhook_deliveries WHERE pk IN (SELECT pk FROM webhook_deliveries WHERE pk < coalesce(
            (SELECT pk FROM webhook_deliveries WHERE created_at >= ${before}::int8 ORDER BY pk LIMIT 1),
            (SELECT max(pk) + 1 FROM webhook_deliveries))
          AND status IN ('succeeded', 'failed') ORDER BY pk LIMIT ${chunk})`
        total += r.count
        if (r.count < chunk) return total
      }
    },
  }
}
