// The engine's write path on PostgreSQL: the same ingest steps as SQLite (ingest-writes.ts `steps`, `reads`), awaited by the
// asynchronous driver, each write in ONE transaction that first checks the session's lease (cluster/fencing.ts
// `fenced`): a node that lost the lease (paused past expiry, partitioned) gets LeaseLost and writes nothing — no row,
// no event, no key write. Events are appended in the same transaction; subscribers are woken after commit.
//
// A session's writes are serialised here, in call order: Baileys emits without waiting, and two transactions of one
// session on two pool connections would interleave their read-then-write steps (an unread count, a chat merge).
import type { SQL, TransactionSQL } from 'bun'
import { fenced, LeaseLost, type LeaseRef } from '../cluster/fencing.ts'
import type { Message } from '../domain/message.ts'
import type { Session } from '../domain/session.ts'
import type { KeyWrites } from '../store/auth-state-sql.ts'
import { pgOps, runPgTx, type PgTx } from '../store/pg/ingest.ts'
import type { QueuedSend } from '../store/outbound.ts'
import type { Batch, MessageRecord } from '../whatsapp/records.ts'
import {
  createTxContext,
  emptyWrite,
  reads,
  steps,
  type Accepted,
  type AcceptJob,
  type SessionPatch,
  type Tx,
  type TxFrame,
} from './ingest-writes.ts'
import type { ChannelSet } from './ingest-chats.ts'
import { noDownloads, type MediaOutcome, type MediaPolicy } from './ingest-media.ts'
import { runAsync, type Step } from './ingest-steps.ts'
import type { Async } from '../store/contract.ts'
import type { TransactionObserver } from '../store/events.ts'
import type { Ingest } from './ingest.ts'

export type PgIngestOptions = {
  sql: SQL
  /**
   * The lease this node holds for a session (cluster: `LeaseManager.ref`). With it, every write is fenced, and a
   * session whose lease this node does not hold (undefined) gets LeaseLost with nothing written. Without it
   * (one node, tools, tests) writes are plain transactions.
   */
  leaseOf?: ((sessionId: string) => LeaseRef | undefined) | undefined
  /** This node's id, named in the LeaseLost of a session it holds no lease for. */
  nodeId?: string | undefined
  clock?: () => number
  /** Which inbound media becomes a pending download (default: none). */
  mediaPolicy?: MediaPolicy
  /** Called after a commit that made a media download pending for the session. */
  onMediaQueued?: (sessionId: string) => void
  /** Called after a commit that appended events (their types): wake subscribers on every node (NOTIFY). */
  onCommitted?: (types: readonly string[]) => void
  /** Watches every committed transaction (its duration and the event types it appended), for /metrics. */
  observe?: TransactionObserver | undefined
}

export type PgIngest = ReturnType<typeof createPgIngest>

/**
 * A failed transaction stored none of the key writes the step applied (it marks them stored as it sends them; the
 * statements are pipelined, and a LeaseLost is known only at the commit).
 */
const notStored = (keys: KeyWrites | null | undefined) => () => {
  if (keys) keys.stored = false
}

export function createPgIngest(o: PgIngestOptions) {
  const { sql } = o
  const clock = o.clock ?? Date.now
  const within = createTxContext(o.mediaPolicy ?? noDownloads)
  const tails = new Map<string, Promise<unknown>>()

  /** Runs `work` after the session's earlier writes settled (succeeded or not). */
  function serial<T>(sessionId: string, work: () => Promise<T>): Promise<T> {
    const run = (tails.get(sessionId) ?? Promise.resolve()).then(work, work)
    const tail = run.catch(() => {})
    tails.set(sessionId, tail)
    void tail.then(() => tails.get(sessionId) === tail && tails.delete(sessionId))
    return run
  }

  /**
   * One fenced transaction of the session running `work`; subscribers are woken after it committed. `failed` is
   * told of a failure before the session's next write starts.
   */
  function inTx<T>(sessionId: string, work: (tx: Tx) => Step<T>, failed?: () => void): Promise<T> {
    return serial(sessionId, () => oneTx(sessionId, work).catch((e: unknown) => (failed?.(), Promise.reject(e))))
  }
  async function oneTx<T>(sessionId: string, work: (tx: Tx) => Step<T>): Promise<T> {
    const frame: TxFrame = { sessionId, now: 0, queued: false }
    const c: PgTx = { tx: sql, appended: [] }
    const body = (tx: TransactionSQL) => {
      c.tx = tx
      c.appended = []
      frame.now = clock()
      frame.queued = false
      return runPgTx(within(frame, work), c)
    }
    let out: T
    const started = performance.now()
    if (o.leaseOf) {
      const lease = o.leaseOf(sessionId)
      if (!lease) throw new LeaseLost({ sessionId, nodeId: o.nodeId ?? 'this node', epoch: 0 })
      out = await fenced(sql, lease, body)
    } else {
      out = await sql.begin(body)
    }
    o.observe?.({ ms: performance.now() - started, types: c.appended })
    if (frame.queued) o.onMediaQueued?.(sessionId)
    if (c.appended.length) o.onCommitted?.(c.appended)
    return out
  }
  /** A read outside any transaction, from the pool. */
  const read = <T>(step: Step<T>): Promise<T> => runAsync(step, pgOps, { tx: sql, appended: [] })
  const pool: PgTx = { tx: sql, appended: [] }

  return {
    /** Each session's writes wait for its earlier ones, and a hook's keys need the lane: no decrypt ahead. */
    receivedInOrder: false,
    /**
     * Stores one normalized event batch, with the Signal key writes of the decrypt that produced it (the receipt
     * hook's message) in the same fenced transaction. Rejects (nothing written) on any failure, LeaseLost included.
     */
    async batch(sessionId: string, b: Batch, keys?: KeyWrites | null): Promise<void> {
      if (emptyWrite(b, keys)) return
      await inTx(sessionId, (tx) => steps.batch(tx, b, keys), notStored(keys))
    },
    /** The receipt hook's write: one decrypted message with its key writes (each in its own transaction here). */
    async received(sessionId: string, b: Batch, keys: KeyWrites | null): Promise<void> {
      if (emptyWrite(b, keys)) return
      await inTx(
        sessionId,
        (tx) => steps.batch(tx, b, keys),
        () => {
          notStored(keys)()
          keys?.failed?.()
        },
      )
    },
    async accepted(sessionId: string, c: Accepted): Promise<void> {
      await inTx(sessionId, (tx) => steps.accepted(tx, c))
    },
    cachedGroup: (sessionId: string, jid: string) => read(reads.cachedGroup(sessionId, jid)),
    chatRow: (sessionId: string, jid: string) => pgOps.chatByJid(pool, sessionId, jid),
    lastMessages: (sessionId: string, chatJid: string, limit: number) =>
      pgOps.lastMessages(pool, sessionId, chatJid, limit),
    /** The send queue, read by the sender. */
    queue: {
      head: (sessionId: string) => pgOps.queueHead(pool, sessionId),
      size: (sessionId: string) => pgOps.queueSize(pool, sessionId),
      sessionsWithWork: () => pgOps.queueSessions(pool),
    },
    accept(sessionId: string, record: MessageRecord | null, job: AcceptJob): Promise<Message | null> {
      return inTx(sessionId, (tx) => steps.accept(tx, record, job))
    },
    async sendDone(sessionId: string, job: QueuedSend, effects: Batch): Promise<void> {
      await inTx(sessionId, (tx) => steps.sendDone(tx, job, effects))
    },
    async sendFailed(sessionId: string, job: QueuedSend, error: string, final: boolean, notBefore: number) {
      await inTx(sessionId, (tx) => steps.sendFailed(tx, job, error, final, notBefore))
    },
    session(sessionId: string, patch: SessionPatch): Promise<Session | null> {
      return inTx(sessionId, (tx) => steps.session(tx, patch))
    },
    async qr(sessionId: string, qr: string, expiresAt: number): Promise<void> {
      await inTx(sessionId, (tx) => steps.qr(tx, qr, expiresAt))
    },
    async channel(sessionId: string, jid: string, set: ChannelSet): Promise<void> {
      await inTx(sessionId, (tx) => steps.channel(tx, jid, set))
    },
    storedText: (sessionId: string, waId: string, fromMe: boolean) => read(reads.storedText(sessionId, waId, fromMe)),
    async mediaSettled(sessionId: string, pk: number, attempts: number, outcome: MediaOutcome): Promise<void> {
      await inTx(sessionId, (tx) => steps.mediaSettled(tx, pk, attempts, outcome))
    },
    dueMedia: (sessionId: string, limit: number) => pgOps.dueMedia(pool, sessionId, clock(), limit),
    nextMediaAt: (sessionId: string) => read(reads.nextMediaAt(sessionId)),
    /** A download attempt failed but will be retried; fenced like every write of the session. */
    async mediaRetry(
      sessionId: string,
      pk: number,
      attempts: number,
      nextAttemptAt: number,
      error: string | null,
      path?: { directPath: string | null; url: string | null },
    ): Promise<void> {
      await inTx(sessionId, (tx) => steps.mediaRetry(tx, { pk, attempts, nextAttemptAt, error, path }))
    },
    sessionRow: (id: string) => pgOps.sessionById(pool, id),
    message: (sessionId: string, chatJid: string, waId: string) => read(reads.message(sessionId, chatJid, waId)),
    quotable: (sessionId: string, waId: string) => read(reads.quotable(sessionId, waId)),
    runningSessions: () => read(reads.runningSessions()),
    /** Settles once every write accepted so far settled (shutdown, tests). */
    async idle(): Promise<void> {
      await Promise.all(tails.values())
    },
  }
}

// The PostgreSQL ingest answers what the SQLite one answers, as promises (store/contract.ts `Async`).
type SameFace = Async<Omit<Ingest, 'queue'>> & { queue: Async<Ingest['queue']> }
const _sameFace = (i: PgIngest): SameFace => i
void _sameFace
