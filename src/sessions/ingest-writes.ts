// The engine's write transactions and reads, as steps (ingest-steps.ts): written once, run by the SQLite driver
// (ingest.ts) and the PostgreSQL one (ingest-pg.ts). Each write step runs in one transaction of the session, its
// events appended in it.
import { sessionFromRow } from '../store/sessions.ts'
import type { Session } from '../domain/session.ts'
import type { KeyWrites } from '../store/auth-state-sql.ts'
import type { SessionRow } from '../store/ingest-sql.ts'
import { messageFromRow } from '../store/messages.ts'
import type { QueuedSend } from '../store/outbound.ts'
import type { OutboundContent } from '../domain/outbound.ts'
import type { Message } from '../domain/message.ts'
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
import { applyPollVote, settleMedia, type MediaOutcome, type MediaPolicy } from './ingest-media.ts'
import { storeMessage } from './ingest-messages.ts'
import { applyReaction, applyUpdate } from './ingest-updates.ts'
import { q, type Q, type R, type Req, type Step } from './ingest-steps.ts'

export type SessionPatch = Partial<Omit<SessionRow, 'id' | 'orgId' | 'undecryptableCount' | 'createdAt' | 'updatedAt'>>

/** Context shared by the ingest steps during one transaction (see ingest-steps.ts: they run on either dialect). */
export type Tx = {
  q: Q
  mediaPolicy: MediaPolicy
  sessionId: string
  orgId: string
  now: number
  /**
   * The request appending an event in this transaction: `yield tx.emit(...)`. A dedupe key leads with a time that
   * every replay of the change repeats (`dedupeKey` in ingest-steps.ts).
   */
  emit(type: string, data: unknown, dedupeKey?: string): Req
  /** A media download became pending: the download queue is told after commit. */
  queueMedia(): void
}

export const toSession = (r: SessionRow): Session => sessionFromRow(r as Parameters<typeof sessionFromRow>[0])

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
      // Decrypted from a ratchet step of an earlier message that failed to commit: refused, so it is NACKed.
      if (keys.valid && !keys.valid()) throw new Error('key writes read an earlier message that was not stored')
      yield q.authApply(tx.sessionId, keys.ops)
      keys.stored = true
    }
    for (const m of b.lidMappings) yield applyContact(tx, { jid: m.pn, lid: m.lid })
    for (const c of b.contacts) yield applyContact(tx, c)
    for (const g of b.groups) yield applyGroup(tx, g)
    for (const c of b.participants) yield applyParticipants(tx, c)
    for (const c of b.chats) yield applyChatPatch(tx, c)
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
    if (c.chat) yield applyChatPatch(tx, c.chat)
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

export type MediaPath = { directPath: string | null; url: string | null }
