// Ingest helpers for chats, contacts (incl. PN↔LID mappings) and channel rows; run inside the batch transaction.
import { chatFromRow } from '../store/chats.ts'
import { channelFromRow } from '../store/channels.ts'
import { mergeLidChat, type Merged } from '../store/chats-sql.ts'
import type { ChatPatch, ContactRecord } from '../whatsapp/records.ts'
import type { Tx } from './ingest-writes.ts'
import { q, type R, type Step } from './ingest-steps.ts'

/**
 * Applies a chat change from WhatsApp (chats.upsert/update, history, a group's subject, a command's effect): these
 * carry snapshots and resets; their unread *deltas* are ignored because we count unread ourselves when an incoming
 * message row is first inserted (`bumpChat`), which stays right when a batch is replayed. A visible change (name,
 * unread reset, archive, pin, mute) emits `chat.updated`.
 */
export function* applyChatPatch(tx: Tx, p: ChatPatch): Step<void> {
  if (p.type === 'dm') p = { ...p, jid: (yield chatJidOf(tx, p.jid)) as string }
  const old = (yield q.chatByJid(tx.sessionId, p.jid)) as R<'chatByJid'>
  let unread = old?.unread_count ?? 0
  if (p.unread && 'set' in p.unread) unread = p.unread.set
  else if (p.unread && 'atLeast' in p.unread) unread = Math.max(unread, p.unread.atLeast)
  const next = {
    name: p.name !== undefined ? p.name : (old?.name ?? null),
    unread,
    archived: p.archived !== undefined ? (p.archived ? 1 : 0) : (old?.archived ?? 0),
    pinnedAt: p.pinnedAt ?? old?.pinned_at ?? 0,
    mutedUntil: p.mutedUntil !== undefined ? p.mutedUntil : (old?.muted_until ?? null),
    lastMessageAt: Math.max(old?.last_message_at ?? 0, p.lastMessageAt ?? 0),
  }
  if (
    old &&
    old.name === next.name &&
    old.unread_count === next.unread &&
    old.archived === next.archived &&
    old.pinned_at === next.pinnedAt &&
    old.muted_until === next.mutedUntil &&
    old.last_message_at === next.lastMessageAt
  ) {
    return
  }
  const row = (yield q.upsertChat(
    tx.sessionId,
    p.jid,
    p.type,
    next.name,
    next.unread,
    next.archived,
    next.pinnedAt,
    next.mutedUntil,
    next.lastMessageAt,
    tx.now,
  )) as R<'upsertChat'>
  const visible =
    (old?.name ?? null) !== next.name ||
    (old?.archived ?? 0) !== next.archived ||
    // The API shows `pinned`, not the pin time: WhatsApp's echo of our own pin carries a slightly different time.
    (old?.pinned_at ?? 0) > 0 !== next.pinnedAt > 0 ||
    (old?.muted_until ?? null) !== next.mutedUntil ||
    (old?.unread_count ?? 0) !== next.unread
  if (row && visible) yield emitChat(tx, 'chat.updated', row.id)
}

/** Appends a chat event carrying the chat as the API serves it (the name falls back to the contact's or subject). */
export function* emitChat(tx: Tx, type: 'chat.updated' | 'chat.deleted', id: number): Step<void> {
  const row = (yield q.chatView(id)) as R<'chatView'>
  if (row) yield tx.emit(type, chatFromRow(row))
}

/**
 * Upserts a contact by PN or LID, merging the other id and names in; never blanks a known name. When the PN and
 * the LID were first seen on two rows (history sync, then a message naming both), the two are merged once; the
 * alternative, a unique-constraint failure caught on every later message from that contact, cost a third of
 * the ingest time (scripts/bench/inbound.ts).
 */
export function* applyContact(tx: Tx, c: ContactRecord): Step<void> {
  const [first, second] = (yield q.contactBy(tx.sessionId, c.jid, c.lid)) as R<'contactBy'>
  let ids = [c.jid, c.lid] as const
  // Whether this record teaches the PN↔LID pair: both ids, and no row already holding either with another partner.
  let learns = !!c.jid && !!c.lid && !(first?.jid === c.jid && first?.lid === c.lid)
  if (first && second) {
    const halves = (!first.lid && !second.jid) || (!first.jid && !second.lid)
    if (halves) {
      yield q.deleteContact(second.id)
      yield q.updateContact(first.id, second.jid, second.lid, second.name, second.notify, null, tx.now)
    } else {
      ids = [null, null] // two distinct contacts claim these ids: update names only, move no id
      learns = false
    }
  } else if (first && ((first.jid && first.jid !== c.jid) || (first.lid && first.lid !== c.lid))) learns = false
  const rest = [c.name ?? null, c.notify ?? null, c.verifiedName ?? null, tx.now] as const
  if (first) yield q.updateContact(first.id, ...ids, ...rest)
  else yield q.insertContact(tx.sessionId, ...ids, ...rest)
  if (learns) yield joinLidChat(tx, c.jid!, c.lid!)
}

/** The chat a DM JID is kept under: a LID's chat is the phone number's once the mapping is known. */
export function* chatJidOf(tx: Tx, jid: string): Step<string> {
  if (!jid.endsWith('@lid')) return jid
  return ((yield q.pnOfLid(tx.sessionId, jid)) as R<'pnOfLid'>)?.jid ?? jid
}

/**
 * The mapping of a LID to its phone number was just learned: the person's LID chat (messages stored while only the
 * LID was known) joins the PN chat, so there is one chat per person (store/chats-sql.ts `mergeLidChat`). Events:
 * `chat.deleted` for the absorbed LID chat, then `chat.updated` for the PN chat; a LID chat that became the PN chat
 * (there was none) raises only `chat.updated`. Moved messages raise no message events again.
 */
function* joinLidChat(tx: Tx, pn: string, lid: string): Step<void> {
  const merged = (yield mergeLidChat(tx.sessionId, pn, lid, tx.now)) as Merged
  if (!merged) return
  if (merged.absorbed) yield tx.emit('chat.deleted', chatFromRow(merged.absorbed))
  yield emitChat(tx, 'chat.updated', merged.chatId)
}

export type ChannelSet = {
  name?: string | null
  description?: string | null
  role?: string | null
  following?: boolean
  muted?: boolean
  lastPostAt?: number
}

/** Upserts the channel row; `emit` appends `channel.updated` (commands) — posts only bump lastPostAt. */
export function* touchChannel(tx: Tx, jid: string, set: ChannelSet, emit: boolean): Step<void> {
  const old = (yield q.channelByJid(tx.sessionId, jid)) as R<'channelByJid'>
  const following = set.following ?? (old ? old.following === 1 : false)
  const muted = set.muted ?? (old ? old.muted === 1 : false)
  const row = (yield q.upsertChannel(
    tx.sessionId,
    jid,
    set.name ?? null,
    set.description ?? null,
    set.role ?? null,
    following ? 1 : 0,
    muted ? 1 : 0,
    set.lastPostAt ?? null,
    tx.now,
  )) as R<'upsertChannel'>
  if (row && emit) yield tx.emit('channel.updated', channelFromRow(row))
}
