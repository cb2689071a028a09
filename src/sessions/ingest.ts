// Ingest: every Baileys event batch becomes ONE transaction (stored copy + outbox): synchronous on SQLite, fenced by
// the session's lease on PostgreSQL (ingest-pg.ts). The logic is written once, as steps (ingest-steps.ts).
//
// Called from inside the Baileys event handler before any `await`, so nothing WhatsApp considers delivered
// can be lost between emit and store. Idempotent: messages are keyed by (session, chat, wa id) and channel
// posts by server id; an event is appended only when its row was created or really changed, and message
// events also carry a dedupe key, so a replayed batch changes nothing and adds no event.
import type { Db } from '../store/db.ts'
import type { EventStore } from '../store/events.ts'
import type { KeyWrites } from '../store/auth-state-sql.ts'
import { createSqliteOps } from '../store/ops-sql.ts'
import type { QueuedSend } from '../store/outbound.ts'
import type { Batch, MessageRecord } from '../whatsapp/records.ts'
import type { Message } from '../domain/message.ts'
import type { Session } from '../domain/session.ts'
import type { ChannelSet } from './ingest-chats.ts'
import { noDownloads, type MediaOutcome, type MediaPolicy } from './ingest-media.ts'
import { createGroupCommit } from './ingest-group.ts'
import { runSync, type Step } from './ingest-steps.ts'
import {
  createTxContext,
  emptyWrite,
  reads,
  steps,
  type Accepted,
  type AcceptJob,
  type MediaPath,
  type SessionPatch,
  type Tx,
  type TxFrame,
} from './ingest-writes.ts'

export type Ingest = ReturnType<typeof createIngest>

export type IngestOptions = {
  db: Db
  events: EventStore
  clock?: () => number
  /** Which inbound media becomes a pending download (default: none). */
  mediaPolicy?: MediaPolicy
  /** Called after a commit that made a media download pending for the session. */
  onMediaQueued?: (sessionId: string) => void
}

/** The SQLite engine's write path: every step runs synchronously in one event-store transaction. */
export function createIngest(opts: IngestOptions) {
  const { db, events } = opts
  const clock = opts.clock ?? Date.now
  const ops = createSqliteOps(db)
  const within = createTxContext(opts.mediaPolicy ?? noDownloads)

  /** The receipt hooks' writes of one turn of the event loop, committed together (ingest-group.ts). */
  const group = createGroupCommit({
    all(writes) {
      const frames = writes.map((w): TxFrame => ({ sessionId: w.sessionId, now: 0, queued: false }))
      events.transaction((append) => {
        ops.appendTo(append)
        const now = clock()
        writes.forEach((w, i) => {
          frames[i]!.now = now
          runSync(
            within(frames[i]!, (tx) => steps.batch(tx, w.batch, w.keys)),
            ops,
          )
        })
      })
      for (const f of frames) if (f.queued) opts.onMediaQueued?.(f.sessionId)
    },
    one: (w) => inTx(w.sessionId, (tx) => steps.batch(tx, w.batch, w.keys)),
    max: 256,
  })
  const settled = group.settle

  /** Runs `work` in one event-store transaction (deliverers are woken after commit), with the session's context. */
  function inTx<T>(sessionId: string, work: (tx: Tx) => Step<T>): T {
    settled()
    const frame: TxFrame = { sessionId, now: 0, queued: false }
    const out = events.transaction((append) => {
      ops.appendTo(append)
      frame.now = clock()
      return runSync(within(frame, work), ops)
    })
    if (frame.queued) opts.onMediaQueued?.(sessionId)
    return out
  }
  const read = <T>(step: Step<T>): T => {
    settled()
    return runSync(step, ops)
  }
  /** `f`, reading the store after the waiting messages committed. */
  const after =
    <A extends unknown[], T>(f: (...a: A) => T) =>
    (...a: A): T => {
      settled()
      return f(...a)
    }

  return {
    /** `received` queues each write at once and commits them in that order (socket.ts lets messages decrypt ahead). */
    receivedInOrder: true,
    /**
     * Stores one normalized event batch, with the Signal key writes of the decrypt that produced it (the receipt
     * hook's message) in the same transaction. Throws (and rolls back) on any failure.
     */
    batch(sessionId: string, b: Batch, keys?: KeyWrites | null): void {
      if (emptyWrite(b, keys)) return
      inTx(sessionId, (tx) => steps.batch(tx, b, keys))
    },
    /**
     * The receipt hook's write: one decrypted message (its batch) with its Signal key writes, committed together.
     * Resolves once committed; rejects when it could not be stored (Baileys then NACKs it). Messages of different
     * sessions that arrive in the same turn of the event loop share one commit (a SQLite commit costs more than
     * the rows of one message), each still with its own key writes; any other write of the engine first commits
     * the waiting ones, so writes still land in the order they were made.
     */
    received(sessionId: string, b: Batch, keys: KeyWrites | null): Promise<void> {
      if (emptyWrite(b, keys)) return Promise.resolve()
      return group.add({ sessionId, batch: b, keys })
    },
    /**
     * The effect of a command WhatsApp accepted (group create/update/members, chat actions, block), stored
     * with its events; WhatsApp's own echo of the same change later finds nothing to change.
     */
    accepted(sessionId: string, c: Accepted): void {
      inTx(sessionId, (tx) => steps.accepted(tx, c))
    },
    /** A stored group's metadata with members as WhatsApp named them (null while members are unknown). */
    cachedGroup: (sessionId: string, jid: string) => read(reads.cachedGroup(sessionId, jid)),
    chatRow: after((sessionId: string, jid: string) => ops.chatByJid(sessionId, jid)),
    /** The newest stored messages of a chat (keys for app-state message ranges and read receipts). */
    lastMessages: after((sessionId: string, chatJid: string, limit: number) =>
      ops.lastMessages(sessionId, chatJid, limit),
    ),
    /** The send queue, read by the sender. */
    queue: {
      head: after((sessionId: string) => ops.queueHead(sessionId)),
      size: after((sessionId: string) => ops.queueSize(sessionId)),
      sessionsWithWork: after(() => ops.queueSessions()),
    },
    /**
     * Accepts an outbound operation: its `pending` message (none for react/edit/revoke) with `message.sent`, and
     * its queue row, in one transaction. Returns the stored message.
     */
    accept(sessionId: string, record: MessageRecord | null, job: AcceptJob): Message | null {
      return inTx(sessionId, (tx) => steps.accept(tx, record, job))
    },
    /** WhatsApp has the stanza: the row leaves the queue, with what the operation changed (edit, revoke, reaction). */
    sendDone(sessionId: string, job: QueuedSend, effects: Batch): void {
      inTx(sessionId, (tx) => steps.sendDone(tx, job, effects))
    },
    /** A failed attempt: retried later, or (final) dropped with its message marked `error`. */
    sendFailed(sessionId: string, job: QueuedSend, error: string, final: boolean, notBefore: number): void {
      inTx(sessionId, (tx) => steps.sendFailed(tx, job, error, final, notBefore))
    },
    /** Applies a live-state change and appends `session.status` when the status or error changed. */
    session(sessionId: string, patch: SessionPatch): Session | null {
      return inTx(sessionId, (tx) => steps.session(tx, patch))
    },
    /** A new QR to scan: `session.qr` carries it so API clients can render it without polling. */
    qr(sessionId: string, qr: string, expiresAt: number): void {
      inTx(sessionId, (tx) => steps.qr(tx, qr, expiresAt))
    },
    /** Marks a channel row after a command (create/follow/unfollow/mute) and appends `channel.updated`. */
    channel(sessionId: string, jid: string, set: ChannelSet): void {
      inTx(sessionId, (tx) => steps.channel(tx, jid, set))
    },
    /** The stored text of a message, for Baileys' `getMessage` (retry receipts re-encrypt from it). */
    storedText: (sessionId: string, waId: string, fromMe: boolean) => read(reads.storedText(sessionId, waId, fromMe)),
    /** A media download ended (stored, or failed for good): job, message and `message.media` in one commit. */
    mediaSettled(sessionId: string, pk: number, attempts: number, outcome: MediaOutcome): void {
      inTx(sessionId, (tx) => steps.mediaSettled(tx, pk, attempts, outcome))
    },
    /** Due downloads of a session, and when the next one is due. */
    dueMedia: after((sessionId: string, limit: number) => ops.dueMedia(sessionId, clock(), limit)),
    nextMediaAt: (sessionId: string) => read(reads.nextMediaAt(sessionId)),
    /** A download attempt failed but will be retried (or its path changed after a re-upload); no event. */
    mediaRetry(
      _sessionId: string,
      pk: number,
      attempts: number,
      nextAttemptAt: number,
      error: string | null,
      path?: MediaPath,
    ) {
      // Its own statement, no transaction: it raises no event and touches one row.
      settled()
      ops.setMediaJob(
        pk,
        'pending',
        attempts,
        nextAttemptAt,
        error,
        path?.directPath ?? null,
        path?.url ?? null,
        clock(),
      )
    },
    sessionRow: after((id: string) => ops.sessionById(id)),
    /** One stored message by its key, for operations on it (react, edit, revoke, forward). */
    message: (sessionId: string, chatJid: string, waId: string) => read(reads.message(sessionId, chatJid, waId)),
    /** A stored message to quote in a reply. */
    quotable: (sessionId: string, waId: string) => read(reads.quotable(sessionId, waId)),
    /** Sessions whose desired state is running, to restore at boot. */
    runningSessions: () => read(reads.runningSessions()),
  }
}
