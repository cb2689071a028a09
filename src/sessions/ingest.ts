// Ingest: every Baileys event batch becomes ONE synchronous SQLite transaction (stored copy + outbox).
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
import { createAuthStateSql, type KeyWrites } from '../store/auth-state-sql.ts'
import { createChatSql, type ChatSql } from '../store/chats-sql.ts'
import { createGroupSql } from '../store/groups-sql.ts'
import { createIngestSql, type SessionRow } from '../store/ingest-sql.ts'
import { createMediaSql, type MediaSql } from '../store/media-sql.ts'
import { messageFromRow, type MessageRow } from '../store/messages.ts'
import { createOutboundQueue, type QueuedSend } from '../store/outbound.ts'
import type { OutboundContent } from '../domain/outbound.ts'
import type {
  Batch,
  ChatPatch,
  GroupParticipantsChange,
  GroupRecord,
  MessageRecord,
  ParticipantRecord,
} from '../whatsapp/records.ts'
import { applyChatPatch, applyContact, chatJidOf, touchChannel } from './ingest-chats.ts'
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
import { applyReaction, applyUpdate } from './ingest-updates.ts'

export type Ingest = ReturnType<typeof createIngest>
export type SessionPatch = Partial<Omit<SessionRow, 'id' | 'orgId' | 'undecryptableCount' | 'createdAt' | 'updatedAt'>>

/** Context shared by the ingest helpers during one transaction. */
export type Tx = {
  sql: ReturnType<typeof createIngestSql>
  groupSql: ReturnType<typeof createGroupSql>
  chats: ChatSql
  media: MediaSql
  mediaPolicy: MediaPolicy
  sessionId: string
  orgId: string
  now: number
  emit(type: string, data: unknown, dedupeKey?: string): void
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

export function createIngest(opts: IngestOptions) {
  const { db, events } = opts
  const clock = opts.clock ?? Date.now
  const sql = createIngestSql(db)
  const groupSql = createGroupSql(db)
  const chats = createChatSql(db.sqlite)
  const media = createMediaSql(db)
  const mediaPolicy = opts.mediaPolicy ?? noDownloads
  const queue = createOutboundQueue(db)
  const authSql = createAuthStateSql(db)
  const orgOf = new Map<string, string>()

  /** Runs `work` in one event-store transaction (deliverers are woken after commit), with the session's context. */
  function inTx<T>(sessionId: string, work: (tx: Tx) => T): T {
    let queued = false
    const out = events.transaction((append) => {
      let orgId = orgOf.get(sessionId)
      if (!orgId) {
        orgId = sql.sessionById.get(sessionId)?.orgId
        if (!orgId) throw new Error(`session ${sessionId} does not exist`)
        orgOf.set(sessionId, orgId)
      }
      const now = clock()
      const tx: Tx = {
        sql,
        groupSql,
        chats,
        media,
        mediaPolicy,
        sessionId,
        orgId,
        now,
        emit(type, data, dedupeKey) {
          append({ type, orgId, sessionId, data, dedupeKey }, now)
        },
        queueMedia: () => void (queued = true),
      }
      return work(tx)
    })
    if (queued) opts.onMediaQueued?.(sessionId)
    return out
  }

  return {
    /**
     * Stores one normalized event batch, with the Signal key writes of the decrypt that produced it (the receipt
     * hook's message) in the same transaction. Throws (and rolls back) on any failure.
     */
    batch(sessionId: string, b: Batch, keys?: KeyWrites | null): void {
      if (!keys && Object.values(b).every((list) => list.length === 0)) return
      inTx(sessionId, (tx) => {
        if (keys) {
          authSql.apply(sessionId, keys.ops)
          keys.stored = true
        }
        for (const m of b.lidMappings) applyContact(tx, { jid: m.pn, lid: m.lid })
        for (const c of b.contacts) applyContact(tx, c)
        for (const g of b.groups) applyGroup(tx, g)
        for (const c of b.participants) applyParticipants(tx, c)
        for (const c of b.chats) applyChatPatch(tx, c, true)
        for (const { record, live } of b.messages) storeMessage(tx, record, live)
        for (const u of b.updates) applyUpdate(tx, u)
        for (const r of b.reactions) applyReaction(tx, r)
        for (const p of b.presences) applyPresence(tx, p)
        for (const jid of b.chatDeletes) applyChatDelete(tx, jid)
        for (const x of b.blocks) applyBlock(tx, x.jid, x.blocked)
        for (const v of b.pollVotes) applyPollVote(tx, v)
      })
    },
    /**
     * The effect of a command WhatsApp accepted (group create/update/members, chat actions, block), stored
     * with its events; WhatsApp's own echo of the same change later finds nothing to change.
     */
    accepted(
      sessionId: string,
      c: {
        group?: GroupRecord
        participants?: GroupParticipantsChange
        chat?: ChatPatch
        chatDelete?: string
        block?: { jid: string; blocked: boolean }
      },
    ): void {
      inTx(sessionId, (tx) => {
        if (c.group) applyGroup(tx, c.group)
        if (c.participants) applyParticipants(tx, c.participants)
        if (c.chat) applyChatPatch(tx, c.chat, true)
        if (c.chatDelete) applyChatDelete(tx, c.chatDelete)
        if (c.block) applyBlock(tx, c.block.jid, c.block.blocked)
      })
    },
    /** A stored group's metadata with members as WhatsApp named them (null while members are unknown). */
    cachedGroup(sessionId: string, jid: string): (GroupRecord & { participants: ParticipantRecord[] }) | null {
      const row = groupSql.groupByJid.get(sessionId, jid)
      if (!row || row.synced_at === null) return null
      const participants = groupSql.participants.all(sessionId, jid).map((p) => ({
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
    chatRow: (sessionId: string, jid: string) => sql.chatByJid.get(sessionId, jid),
    /** The newest stored messages of a chat (keys for app-state message ranges and read receipts). */
    lastMessages(sessionId: string, chatJid: string, limit: number) {
      return sql.lastMessages.all(sessionId, chatJid, limit)
    },
    /** The send queue, read by the sender. */
    queue,
    /**
     * Accepts an outbound operation: its `pending` message (none for react/edit/revoke) with `message.sent`, and
     * its queue row, in one transaction. Returns the stored message.
     */
    accept(
      sessionId: string,
      record: MessageRecord | null,
      job: { chatJid: string; waId: string; content: OutboundContent },
    ) {
      return inTx(sessionId, (tx) => {
        queue.add(sessionId, job.chatJid, job.waId, job.content, tx.now)
        if (!record) return null
        storeMessage(tx, record, true)
        const row = sql.messageByKey.get(sessionId, chatJidOf(tx, record.chatJid), record.waId)
        if (!row) throw new Error('accepted message was not stored')
        return messageFromRow(row)
      })
    },
    /** WhatsApp has the stanza: the row leaves the queue, with what the operation changed (edit, revoke, reaction). */
    sendDone(sessionId: string, job: QueuedSend, effects: Batch): void {
      inTx(sessionId, (tx) => {
        queue.remove(job.pk)
        for (const u of effects.updates) applyUpdate(tx, u)
        for (const r of effects.reactions) applyReaction(tx, r)
      })
    },
    /** A failed attempt: retried later, or (final) dropped with its message marked `error`. */
    sendFailed(sessionId: string, job: QueuedSend, error: string, final: boolean, notBefore: number): void {
      inTx(sessionId, (tx) => {
        if (!final) return queue.retryLater(job.pk, job.attempts + 1, error, notBefore)
        queue.remove(job.pk)
        applyUpdate(tx, { chatJid: job.chatJid, waId: job.waId, fromMe: true, status: 'error', error })
      })
    },
    /** Applies a live-state change and appends `session.status` when the status or error changed. */
    session(sessionId: string, patch: SessionPatch): Session | null {
      return inTx(sessionId, (tx) => {
        const before = sql.sessionById.get(sessionId)
        if (patch.status && patch.status !== before?.status) patch = { ...patch, statusChangedAt: tx.now }
        const row = sql.setSession(sessionId, patch, tx.now)
        if (!row) return null
        const session = toSession(row)
        if (row.status !== before?.status || row.lastError !== before?.lastError) tx.emit('session.status', session)
        return session
      })
    },
    /** A new QR to scan: `session.qr` carries it so API clients can render it without polling. */
    qr(sessionId: string, qr: string, expiresAt: number): void {
      inTx(sessionId, (tx) => tx.emit('session.qr', { sessionId, qr, expiresAt }, `qr:${sessionId}:${qr}`))
    },
    /** Marks a channel row after a command (create/follow/unfollow/mute) and appends `channel.updated`. */
    channel(sessionId: string, jid: string, set: Parameters<typeof touchChannel>[2]): void {
      inTx(sessionId, (tx) => touchChannel(tx, jid, set, true))
    },
    /** The stored text of a message, for Baileys' `getMessage` (retry receipts re-encrypt from it). */
    storedText(sessionId: string, waId: string, fromMe: boolean): string | null {
      return sql.messageForGet.get(sessionId, waId, fromMe ? 1 : 0)?.body ?? null
    },
    /** A media download ended (stored, or failed for good): job, message and `message.media` in one commit. */
    mediaSettled(sessionId: string, pk: number, attempts: number, outcome: MediaOutcome): void {
      inTx(sessionId, (tx) => settleMedia(tx, pk, attempts, outcome))
    },
    /** Due downloads of a session, and when the next one is due. */
    dueMedia: (sessionId: string, limit: number) => media.due.all(sessionId, clock(), limit),
    nextMediaAt: (sessionId: string) => media.nextDue.get(sessionId)?.at ?? null,
    /** A download attempt failed but will be retried (or its path changed after a re-upload); no event. */
    mediaRetry(pk: number, attempts: number, nextAttemptAt: number, error: string | null, path?: MediaPath) {
      media.setJob.run(
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
    sessionRow: (id: string) => sql.sessionById.get(id),
    /** One stored message by its key, for operations on it (react, edit, revoke, forward). */
    message(sessionId: string, chatJid: string, waId: string): Message | null {
      const row = sql.messageByKey.get(sessionId, chatJid, waId)
      return row ? messageFromRow(row) : null
    },
    /** A stored message to quote in a reply. */
    quotable(sessionId: string, waId: string) {
      const r = sql.quotable.get(sessionId, waId)
      return r
        ? { chatJid: r.chat_jid, waId: r.wa_id, fromMe: r.from_me === 1, senderJid: r.sender_jid, body: r.body }
        : null
    },
    /** Sessions whose desired state is running, to restore at boot. */
    runningSessions: () => sql.running.all().map((r) => r.id),
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
function storeMessage(tx: Tx, r: MessageRecord, live: boolean): void {
  // A DM addressed by LID is stored in the person's phone-number chat once the mapping is known.
  if (r.chatJid.endsWith('@lid')) r = { ...r, chatJid: chatJidOf(tx, r.chatJid) }
  const channel = r.serverId !== null && r.chatJid.endsWith('@newsletter')
  if (channel && tx.sql.messageByServerId.get(tx.sessionId, r.chatJid, r.serverId!)) return
  // A sender named by one id only (a LID group member): the other from the stored PN↔LID mapping.
  if (!r.fromMe && (r.senderJid === null) !== (r.senderLid === null)) {
    const known = tx.groupSql.mappingOf.get(tx.sessionId, (r.senderJid ?? r.senderLid)!)
    if (known) r = { ...r, senderJid: r.senderJid ?? known.jid, senderLid: r.senderLid ?? known.lid }
  }
  if (r.mentions.length) r = { ...r, mentionNames: namesOf(tx, r.mentions) }
  r = withMediaStatus(r, live, tx.mediaPolicy)
  const inserted = tx.sql.insertMessage.get(rowOf(tx, r))
  let row: MessageRow | null = inserted
  if (!inserted) {
    const existing = tx.sql.messageByKey.get(tx.sessionId, r.chatJid, r.waId)
    if (existing && !r.undecryptable && (existing.type !== 'unknown' || existing.body !== null)) {
      // Already stored (our own send's echo, a replay): only what the echo adds, such as media keys.
      if (storeExtras(tx, existing, r, kindsJson(r))) tx.queueMedia()
      return
    }
    // A retry that decrypted replaces the CIPHERTEXT placeholder stored under the same key (§3.6 step 4).
    if (!existing || r.undecryptable) return
    const { created_at: _, ...fields } = rowOf(tx, r)
    row = tx.sql.replaceContent.get({ ...fields, pk: existing.pk })
  }
  if (!row) return
  if (storeExtras(tx, row, r, null)) tx.queueMedia()
  const chat = r.chatJid
  // History sync fills the stored copy without events: a first link must not replay a year of webhooks.
  if (live) announce(tx, r, messageFromRow(row), channel)
  if (channel) touchChannel(tx, chat, { lastPostAt: r.timestamp }, false)
  const bump = live && inserted && !r.fromMe && r.type !== 'system' && !r.undecryptable
  applyChatPatch(
    tx,
    { jid: chat, type: chatTypeOf(chat), lastMessageAt: r.timestamp, ...(bump ? { unread: { delta: 1 } } : {}) },
    false,
  )
}

/** Appends the event for a newly stored message; the dedupe key makes a replay a no-op even if a row check missed it. */
function announce(tx: Tx, r: MessageRecord, message: Message, channel: boolean): void {
  const id = `${tx.sessionId}:${r.chatJid}:${r.waId}`
  if (r.undecryptable) {
    tx.sql.countUndecryptable.run(tx.sessionId)
    tx.emit('message.undecryptable', message, `message.undecryptable:${id}`)
  } else if (channel) {
    tx.emit('channel.post', message, `channel.post:${tx.sessionId}:${r.chatJid}:${r.serverId}`)
  } else {
    const type = r.fromMe ? 'message.sent' : 'message.received'
    tx.emit(type, message, `${type}:${id}`)
  }
}

/** Display names for mentioned JIDs (PN or LID), from the contacts we know; unknown ones are left out. */
function namesOf(tx: Tx, jids: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const jid of jids) {
    const c = tx.sql.contactName.get(tx.sessionId, jid, jid)
    const name = c?.name ?? c?.notify
    if (name) out[jid] = name
  }
  return out
}
