// Ingest: every Baileys event batch becomes ONE transaction (stored copy + outbox): synchronous on SQLite, fenced by
// the session's lease on PostgreSQL (ingest-pg.ts). The logic is written once, as steps (ingest-steps.ts).
//
// Called from inside the Baileys event handler before any `await`, so nothing WhatsApp considers delivered
// can be lost between emit and store. Idempotent: messages are keyed by (session, chat, wa id) and channel
// posts by server id; an event is appended only when its row was created or really changed, and message
// events also carry a dedupe key, so a replayed batch changes nothing and adds no event.
import { chatTypeOf } from '../domain/chat.ts'
import { ackOf, type Message } from '../domain/message.ts'
import { sessionFromRow } from '../store/sessions.ts'
import type { Session } from '../domain/session.ts'
import type { Db } from '../store/db.ts'
import type { EventStore } from '../store/events.ts'
import type { KeyWrites } from '../store/auth-state-sql.ts'
import type { SessionRow } from '../store/ingest-sql.ts'
import { messageFromRow, type MessageRow } from '../store/messages.ts'
import { createSqliteOps } from '../store/ops-sql.ts'
import type { QueuedSend } from '../store/outbound.ts'
import type { OutboundContent } from '../domain/outbound.ts'
import type {
  Batch,
  ChatPatch,
  GroupParticipantsChange,
  GroupRecord,
  MessageRecord,
  ParticipantRecord,
} from '../whatsapp/records.ts'
import { applyChatPatch, applyContact, chatJidOf, touchChannel, type ChannelSet } from './ingest-chats.ts'
import { applyBlock, applyChatDelete, applyGroup, applyParticipants, applyPresence } from './ingest-groups.ts'
import {
  applyPollVote,
  kindsJson,
  noDownloads,
  settleMedia,
  storeExtras,
  withMediaStatus,
  type MediaOutcome,
  type MediaPolicy,
} from './ingest-media.ts'
import { createGroupCommit } from './ingest-group.ts'
import { applyReaction, applyUpdate } from './ingest-updates.ts'
import { q, runSync, type Q, type R, type Req, type Step } from './ingest-steps.ts'

export type Ingest = ReturnType<typeof createIngest>
export type SessionPatch = Partial<Omit<SessionRow, 'id' | 'orgId' | 'undecryptableCount' | 'createdAt' | 'updatedAt'>>

/** Context shared by the ingest steps during one transaction (see ingest-steps.ts: they run on either dialect). */
export type Tx = {
  q: Q
  mediaPolicy: MediaPolicy
  sessionId: string
  orgId: string
  now: number
  /** The request appending an event in this transaction: `yield tx.emit(...)`. */
  emit(type: string, data: unknown, dedupeKey?: string): Req
  /** A media download became pending: the download queue is told after commit. */
  queueMedia(): void
}

export const toSession = (r: SessionRow): Session => sessionFromRow(r as Parameters<typeof sessionFromRow>[0])

export type IngestOptions = {
  db: Db
  events: EventStore
  clock?: () => number
  /** Which inbound media becomes a pending download (default: none). */
  mediaPolicy?: MediaPolicy
  /** Called after a commit that made a media download pending for the session. */
  onMediaQueued?: (sessionId: string) => void
}

/** What the transaction of one session's write knows before it starts. */
export type TxFrame = { sessionId: string; now: number; queued: boolean }

/**
 * Opens the ingest context of one transaction: the session's organisation (cached; read in the transaction the
 * first time) and `emit`, which appends the event in the same transaction. Shared by both dialects' drivers.
 */
export function createTxContext(mediaPolicy: MediaPolicy) {
  const orgOf = new Map<string, string>()
  return function* within<T>(f: TxFrame, work: (tx: Tx) => Step<T>): Step<T> {
    const { sessionId, now } = f
    let orgId = orgOf.get(sessionId)
    if (!orgId) {
      orgId = ((yield q.sessionById(sessionId)) as R<'sessionById'>)?.orgId
      if (!orgId) throw new Error(`session ${sessionId} does not exist`)
      orgOf.set(sessionId, orgId)
    }
    const org = orgId
    const tx: Tx = {
      q,
      mediaPolicy,
      sessionId,
      orgId: org,
      now,
      emit: (type, data, dedupeKey) => q.append({ type, orgId: org, sessionId, data, dedupeKey }, now),
      queueMedia: () => void (f.queued = true),
    }
    return (yield work(tx)) as T
  }
}

/** A change WhatsApp accepted for a command (group create/update/members, chat actions, block). */
export type Accepted = {
  group?: GroupRecord
  participants?: GroupParticipantsChange
  chat?: ChatPatch
  chatDelete?: string
  block?: { jid: string; blocked: boolean }
}

/** An outbound operation to accept: its queue row (and its pending message, see `steps.accept`). */
export type AcceptJob = { chatJid: string; waId: string; content: OutboundContent }

/**
 * The write transactions of the engine, as steps: each runs in one transaction of the session (SQLite: one
 * synchronous immediate transaction; PostgreSQL: one fenced transaction), its events appended in it.
 */
export const steps = {
  /**
   * Stores one normalized event batch, with the Signal key writes of the decrypt that produced it (the receipt
   * hook's message) in the same transaction.
   */
  *batch(tx: Tx, b: Batch, keys: KeyWrites | null | undefined): Step<void> {
    if (keys) {
      yield q.authApply(tx.sessionId, keys.ops)
      keys.stored = true
    }
    for (const m of b.lidMappings) yield applyContact(tx, { jid: m.pn, lid: m.lid })
    for (const c of b.contacts) yield applyContact(tx, c)
    for (const g of b.groups) yield applyGroup(tx, g)
    for (const c of b.participants) yield applyParticipants(tx, c)
    for (const c of b.chats) yield applyChatPatch(tx, c, true)
    for (const { record, live } of b.messages) yield storeMessage(tx, record, live)
    for (const u of b.updates) yield applyUpdate(tx, u)
    for (const r of b.reactions) yield applyReaction(tx, r)
    for (const p of b.presences) yield applyPresence(tx, p)
    for (const jid of b.chatDeletes) yield applyChatDelete(tx, jid)
    for (const x of b.blocks) yield applyBlock(tx, x.jid, x.blocked)
    for (const v of b.pollVotes) yield applyPollVote(tx, v)
  },
  *accepted(tx: Tx, c: Accepted): Step<void> {
    if (c.group) yield applyGroup(tx, c.group)
    if (c.participants) yield applyParticipants(tx, c.participants)
    if (c.chat) yield applyChatPatch(tx, c.chat, true)
    if (c.chatDelete) yield applyChatDelete(tx, c.chatDelete)
    if (c.block) yield applyBlock(tx, c.block.jid, c.block.blocked)
  },
  *accept(tx: Tx, record: MessageRecord | null, job: AcceptJob): Step<Message | null> {
    yield q.queueAdd(tx.sessionId, job.chatJid, job.waId, job.content, tx.now)
    if (!record) return null
    yield storeMessage(tx, record, true)
    const chatJid = (yield chatJidOf(tx, record.chatJid)) as string
    const row = (yield q.messageByKey(tx.sessionId, chatJid, record.waId)) as R<'messageByKey'>
    if (!row) throw new Error('accepted message was not stored')
    return messageFromRow(row)
  },
  *sendDone(tx: Tx, job: QueuedSend, effects: Batch): Step<void> {
    yield q.queueRemove(job.pk)
    for (const u of effects.updates) yield applyUpdate(tx, u)
    for (const r of effects.reactions) yield applyReaction(tx, r)
  },
  *sendFailed(tx: Tx, job: QueuedSend, error: string, final: boolean, notBefore: number): Step<void> {
    if (!final) return void (yield q.queueRetryLater(job.pk, job.attempts + 1, error, notBefore))
    yield q.queueRemove(job.pk)
    yield applyUpdate(tx, { chatJid: job.chatJid, waId: job.waId, fromMe: true, status: 'error', error })
  },
  *session(tx: Tx, patch: SessionPatch): Step<Session | null> {
    const before = (yield q.sessionById(tx.sessionId)) as R<'sessionById'>
    if (patch.status && patch.status !== before?.status) patch = { ...patch, statusChangedAt: tx.now }
    const row = (yield q.setSession(tx.sessionId, patch, tx.now)) as R<'setSession'>
    if (!row) return null
    const session = toSession(row)
    if (row.status !== before?.status || row.lastError !== before?.lastError) yield tx.emit('session.status', session)
    return session
  },
  *qr(tx: Tx, qr: string, expiresAt: number): Step<void> {
    yield tx.emit('session.qr', { sessionId: tx.sessionId, qr, expiresAt }, `qr:${tx.sessionId}:${qr}`)
  },
  *channel(tx: Tx, jid: string, set: ChannelSet): Step<void> {
    yield touchChannel(tx, jid, set, true)
  },
  *mediaSettled(tx: Tx, pk: number, attempts: number, outcome: MediaOutcome): Step<void> {
    yield settleMedia(tx, pk, attempts, outcome)
  },
  /** A download attempt failed but will be retried (or its path changed after a re-upload); no event. */
  *mediaRetry(tx: Tx, r: MediaRetry): Step<void> {
    const { pk, attempts, nextAttemptAt, error, path } = r
    yield q.setMediaJob(
      pk,
      'pending',
      attempts,
      nextAttemptAt,
      error,
      path?.directPath ?? null,
      path?.url ?? null,
      tx.now,
    )
  },
}

export type MediaRetry = {
  pk: number
  attempts: number
  nextAttemptAt: number
  error: string | null
  path?: MediaPath | undefined
}

/** The engine's reads of its own store, as steps (no transaction needed). */
export const reads = {
  /** A stored group's metadata with members as WhatsApp named them (null while members are unknown). */
  *cachedGroup(sessionId: string, jid: string): Step<(GroupRecord & { participants: ParticipantRecord[] }) | null> {
    const row = (yield q.groupByJid(sessionId, jid)) as R<'groupByJid'>
    if (!row || row.synced_at === null) return null
    const participants = ((yield q.participants(sessionId, jid)) as R<'participants'>).map((p) => ({
      jid: p.jid,
      lid: p.lid,
      pn: p.pn,
      admin: (p.admin ?? null) as ParticipantRecord['admin'],
    }))
    return {
      jid,
      subject: row.subject,
      description: row.description,
      descriptionId: row.description_id,
      owner: row.owner,
      ownerPn: row.owner_pn,
      createdAt: row.wa_created_at,
      announce: row.announce === 1,
      locked: row.locked === 1,
      ephemeralSeconds: row.ephemeral_seconds,
      addressingMode: row.addressing_mode === 'lid' ? 'lid' : row.addressing_mode === 'pn' ? 'pn' : null,
      participants,
    }
  },
  *storedText(sessionId: string, waId: string, fromMe: boolean): Step<string | null> {
    return ((yield q.messageForGet(sessionId, waId, fromMe ? 1 : 0)) as R<'messageForGet'>)?.body ?? null
  },
  *message(sessionId: string, chatJid: string, waId: string): Step<Message | null> {
    const row = (yield q.messageByKey(sessionId, chatJid, waId)) as R<'messageByKey'>
    return row ? messageFromRow(row) : null
  },
  *quotable(sessionId: string, waId: string) {
    const r = (yield q.quotable(sessionId, waId)) as R<'quotable'>
    return r
      ? { chatJid: r.chat_jid, waId: r.wa_id, fromMe: r.from_me === 1, senderJid: r.sender_jid, body: r.body }
      : null
  },
  *nextMediaAt(sessionId: string): Step<number | null> {
    return ((yield q.nextMediaDue(sessionId)) as R<'nextMediaDue'>)?.at ?? null
  },
  *runningSessions(): Step<string[]> {
    return ((yield q.runningSessions()) as R<'runningSessions'>).map((r) => r.id)
  },
}

/** True when a batch has nothing to store (and no key writes to commit): no transaction is opened. */
export const emptyWrite = (b: Batch, keys?: KeyWrites | null) =>
  !keys && Object.values(b).every((list) => list.length === 0)

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

type MediaPath = { directPath: string | null; url: string | null }

function rowOf(tx: Tx, r: MessageRecord) {
  return {
    session_id: tx.sessionId,
    chat_jid: r.chatJid,
    wa_id: r.waId,
    server_id: r.serverId,
    from_me: r.fromMe ? 1 : 0,
    sender_jid: r.senderJid,
    sender_lid: r.senderLid,
    sender_name: r.senderName,
    type: r.type,
    body: r.body,
    media: r.media ? JSON.stringify(r.media) : null,
    mentions: JSON.stringify(r.mentions),
    mention_names: JSON.stringify(r.mentionNames),
    quoted_id: r.quotedId,
    status: r.status,
    ack_level: ackOf(r.status),
    error: null,
    edited: 0,
    deleted: 0,
    ...kindsJson(r),
    timestamp: r.timestamp,
    created_at: tx.now,
  }
}

/** Inserts a message if new (and its event), or fills a decryption placeholder with the real content. */
function* storeMessage(tx: Tx, r: MessageRecord, live: boolean): Step<void> {
  // A DM addressed by LID is stored in the person's phone-number chat once the mapping is known.
  if (r.chatJid.endsWith('@lid')) r = { ...r, chatJid: (yield chatJidOf(tx, r.chatJid)) as string }
  const channel = r.serverId !== null && r.chatJid.endsWith('@newsletter')
  if (channel && ((yield q.messageByServerId(tx.sessionId, r.chatJid, r.serverId!)) as R<'messageByServerId'>)) return
  // A sender named by one id only (a LID group member): the other from the stored PN↔LID mapping.
  if (!r.fromMe && (r.senderJid === null) !== (r.senderLid === null)) {
    const known = (yield q.mappingOf(tx.sessionId, (r.senderJid ?? r.senderLid)!)) as R<'mappingOf'>
    if (known) r = { ...r, senderJid: r.senderJid ?? known.jid, senderLid: r.senderLid ?? known.lid }
  }
  if (r.mentions.length) r = { ...r, mentionNames: (yield namesOf(tx, r.mentions)) as Record<string, string> }
  r = withMediaStatus(r, live, tx.mediaPolicy)
  const inserted = (yield q.insertMessage(rowOf(tx, r))) as R<'insertMessage'>
  let row: MessageRow | null = inserted
  if (!inserted) {
    const existing = (yield q.messageByKey(tx.sessionId, r.chatJid, r.waId)) as R<'messageByKey'>
    if (existing && !r.undecryptable && (existing.type !== 'unknown' || existing.body !== null)) {
      // Already stored (our own send's echo, a replay): only what the echo adds, such as media keys.
      if ((yield storeExtras(tx, existing, r, kindsJson(r))) as boolean) tx.queueMedia()
      return
    }
    // A retry that decrypted replaces the CIPHERTEXT placeholder stored under the same key (§3.6 step 4).
    if (!existing || r.undecryptable) return
    const { created_at: _, ...fields } = rowOf(tx, r)
    row = (yield q.replaceContent({ ...fields, pk: existing.pk })) as R<'replaceContent'>
  }
  if (!row) return
  if ((yield storeExtras(tx, row, r, null)) as boolean) tx.queueMedia()
  const chat = r.chatJid
  // History sync fills the stored copy without events: a first link must not replay a year of webhooks.
  if (live) yield announce(tx, r, messageFromRow(row), channel)
  if (channel) yield touchChannel(tx, chat, { lastPostAt: r.timestamp }, false)
  const bump = live && inserted && !r.fromMe && r.type !== 'system' && !r.undecryptable
  yield applyChatPatch(
    tx,
    { jid: chat, type: chatTypeOf(chat), lastMessageAt: r.timestamp, ...(bump ? { unread: { delta: 1 } } : {}) },
    false,
  )
}

/** Appends the event for a newly stored message; the dedupe key makes a replay a no-op even if a row check missed it. */
function* announce(tx: Tx, r: MessageRecord, message: Message, channel: boolean): Step<void> {
  const id = `${tx.sessionId}:${r.chatJid}:${r.waId}`
  if (r.undecryptable) {
    yield q.countUndecryptable(tx.sessionId)
    yield tx.emit('message.undecryptable', message, `message.undecryptable:${id}`)
  } else if (channel) {
    yield tx.emit('channel.post', message, `channel.post:${tx.sessionId}:${r.chatJid}:${r.serverId}`)
  } else {
    const type = r.fromMe ? 'message.sent' : 'message.received'
    yield tx.emit(type, message, `${type}:${id}`)
  }
}

/** Display names for mentioned JIDs (PN or LID), from the contacts we know; unknown ones are left out. */
function* namesOf(tx: Tx, jids: string[]): Step<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const jid of jids) {
    const c = (yield q.contactName(tx.sessionId, jid, jid)) as R<'contactName'>
    const name = c?.name ?? c?.notify
    if (name) out[jid] = name
  }
  return out
}
