// Pure: Baileys events → our records (research/baileys.md §3). No I/O, no clock; unit-tested on real protos.
import {
  getChatId,
  isLidUser,
  isPnUser,
  jidNormalizedUser,
  normalizeMessageContent,
  toNumber,
  WAMessageStubType,
  type BaileysEventMap,
  type Chat,
  type ChatUpdate,
  type Contact,
  type WAMessage,
  type WAMessageKey,
} from '@whiskeysockets/baileys'
import { chatTypeOf } from '../domain/chat.ts'
import { statusByAck, type MessageStatus } from '../domain/message.ts'
import { contentOf } from './content.ts'
import type {
  ChatPatch,
  ContactRecord,
  LidMapping,
  MessageRecord,
  MessageUpdate,
  PollVoteRecord,
  ReactionRecord,
} from './records.ts'

/** Who we are: to fill the sender of our own messages. */
export type Me = { jid: string | null; lid: string | null }

/** Muted "forever" as epoch ms (9999-12-31), so `mutedUntil` stays a plain timestamp. */
export const MUTED_FOREVER = 253_402_300_799_000

type Num = Parameters<typeof toNumber>[0]
const num = (v: Num): number | null => (v == null ? null : toNumber(v))

/** Seconds or milliseconds → ms (history uses seconds, app state ms). */
export const toMs = (v: number): number => (v > 1e12 ? v : v * 1000)

export const statusOfAck = (ack: number | null | undefined): MessageStatus | null =>
  ack == null ? null : (statusByAck[ack] ?? null)

/** The chat a message belongs to: received broadcast-list messages land in the sender's DM. */
export const chatJidOf = (key: WAMessageKey): string => jidNormalizedUser(getChatId(key))

/** Splits a pair of JIDs (one may be the PN, the other the LID, either may be missing) into PN and LID. */
export function pnAndLid(a: string | null | undefined, b: string | null | undefined): LidMapping | Partial<LidMapping> {
  const out: Partial<LidMapping> = {}
  for (const j of [a, b]) {
    if (!j) continue
    const n = jidNormalizedUser(j)
    if (isLidUser(n)) out.lid ??= n
    else if (isPnUser(n)) out.pn ??= n
  }
  return out
}

function senderOf(key: WAMessageKey, chatJid: string, me: Me): { pn: string | null; lid: string | null } {
  if (key.fromMe) return { pn: me.jid, lid: me.lid }
  const type = chatTypeOf(chatJid)
  if (type === 'channel') return { pn: null, lid: null }
  const ids = type === 'dm' ? pnAndLid(key.remoteJid, key.remoteJidAlt) : pnAndLid(key.participant, key.participantAlt)
  return { pn: ids.pn ?? null, lid: ids.lid ?? null }
}

/**
 * A system message's body: WhatsApp's stub name, then its parameters. rc14 gives a member as the JSON of
 * `{id, phoneNumber?, admin?}`; it reads as the member's JID, by phone number when given.
 */
function stubBody(msg: WAMessage): string | null {
  const name = WAMessageStubType[msg.messageStubType ?? 0] ?? String(msg.messageStubType)
  const params = (msg.messageStubParameters ?? []).map(stubParameter).join(' ')
  return params ? `${name}: ${params}` : name
}

function stubParameter(p: string): string {
  if (!p.startsWith('{')) return p
  try {
    const m = JSON.parse(p) as { id?: unknown; phoneNumber?: unknown }
    const ids = pnAndLid(
      typeof m.id === 'string' ? m.id : null,
      typeof m.phoneNumber === 'string' ? m.phoneNumber : null,
    )
    return ids.pn ?? ids.lid ?? p
  } catch {
    return p
  }
}

/** A stored message from a WAMessage, or null when it is a protocol/reaction/poll-vote carrier (its effect comes as an update). */
export function messageRecord(msg: WAMessage, me: Me): MessageRecord | null {
  const key = msg.key
  if (!key?.remoteJid || !key.id) return null
  const chatJid = chatJidOf(key)
  const content = contentOf(msg.message)
  const stub = msg.messageStubType ?? 0
  const undecryptable = stub === WAMessageStubType.CIPHERTEXT
  if (!content && !stub) return null
  // Unwrapped first: WhatsApp sends an edit as `editedMessage: { message: { protocolMessage } }`, a carrier
  // whose effect comes as an update, not a message of its own.
  const inner = normalizeMessageContent(msg.message)
  if (content && (content.type === 'reaction' || inner?.protocolMessage || inner?.pollUpdateMessage)) return null
  // Actions on other messages and an album's header, which WhatsApp's app shows as no message of their own (an
  // album's photos arrive as messages of their own): stored, they were empty `unknown` messages counted unread.
  if (inner?.pinInChatMessage || inner?.keepInChatMessage || inner?.albumMessage) return null
  const sender = senderOf(key, chatJid, me)
  const fromMe = !!key.fromMe
  const serverId = key.server_id ? Number(key.server_id) : null
  return {
    chatJid,
    waId: key.id,
    serverId: Number.isFinite(serverId) ? serverId : null,
    fromMe,
    senderJid: sender.pn,
    senderLid: sender.lid,
    senderName: fromMe ? null : (msg.pushName ?? msg.verifiedBizName ?? null),
    type: content?.type ?? (undecryptable ? 'unknown' : 'system'),
    // A voice note, a sticker, a captionless image has no body; only a message without content is a stub's.
    body: content ? content.body : undecryptable ? null : stubBody(msg),
    media: content?.media ?? null,
    mediaSource: content?.mediaSource ?? null,
    location: content?.location ?? null,
    contacts: content?.contacts ?? null,
    poll: content?.poll ?? null,
    mentions: content?.mentions ?? [],
    mentionNames: {},
    quotedId: content?.quotedId ?? null,
    status: statusOfAck(msg.status) ?? (fromMe ? 'pending' : 'delivered'),
    timestamp: toMs(num(msg.messageTimestamp as Num) ?? 0),
    undecryptable,
  }
}

/** PN↔LID pairs carried on message keys (Baileys stores these without an event, §3.12). */
export function mappingsOfKey(key: WAMessageKey): LidMapping[] {
  const out: LidMapping[] = []
  for (const ids of [pnAndLid(key.remoteJid, key.remoteJidAlt), pnAndLid(key.participant, key.participantAlt)]) {
    if (ids.lid && ids.pn) out.push({ lid: ids.lid, pn: ids.pn })
  }
  return out
}

/** Chat snapshot (history sync, chats.upsert): unread is absolute. */
export function chatSnapshot(c: Chat): ChatPatch {
  const jid = jidNormalizedUser(c.id ?? undefined)
  const patch: ChatPatch = { jid, type: chatTypeOf(jid), ...chatFlags(c) }
  if (c.name ?? c.displayName) patch.name = c.name ?? c.displayName ?? null
  if (c.unreadCount != null) patch.unread = { set: Math.max(0, c.unreadCount) }
  const ts = num(c.conversationTimestamp as Num)
  if (ts) patch.lastMessageAt = toMs(ts)
  return patch
}

/** chats.update: a positive unread is a delta, 0 a reset, -1 "marked unread", null nothing (§3.4). */
export function chatUpdate(u: ChatUpdate): ChatPatch | null {
  if (!u.id) return null
  const jid = jidNormalizedUser(u.id)
  const patch: ChatPatch = { jid, type: chatTypeOf(jid), ...chatFlags(u) }
  if (u.name) patch.name = u.name
  const unread = u.unreadCount
  if (unread != null) patch.unread = unread > 0 ? { delta: unread } : unread === 0 ? { set: 0 } : { atLeast: 1 }
  const ts = num(u.conversationTimestamp as Num)
  if (ts) patch.lastMessageAt = toMs(ts)
  return patch
}

function chatFlags(c: Partial<Chat>): Pick<ChatPatch, 'archived' | 'pinnedAt' | 'mutedUntil'> {
  const out: Pick<ChatPatch, 'archived' | 'pinnedAt' | 'mutedUntil'> = {}
  if (c.archived != null) out.archived = !!c.archived
  if (c.pinned !== undefined) out.pinnedAt = c.pinned ? toMs(num(c.pinned as Num) ?? 0) : 0
  if (c.muteEndTime !== undefined) {
    const end = num(c.muteEndTime as Num)
    out.mutedUntil = end == null || end === 0 ? null : end < 0 ? MUTED_FOREVER : toMs(end)
  }
  return out
}

export function contactRecord(c: Partial<Contact>): ContactRecord | null {
  const ids = pnAndLid(c.id, c.phoneNumber ?? c.lid)
  if (c.lid) ids.lid ??= jidNormalizedUser(c.lid)
  if (!ids.pn && !ids.lid) return null
  const r: ContactRecord = { jid: ids.pn ?? null, lid: ids.lid ?? null }
  if (c.name) r.name = c.name
  if (c.notify) r.notify = c.notify
  if (c.verifiedName) r.verifiedName = c.verifiedName
  return r
}

/** messages.update → status/edit/revoke changes (§3.7). Receipt timestamps are ignored on purpose. */
export function messageUpdate(e: BaileysEventMap['messages.update'][number], me: Me): MessageUpdate | null {
  const { key, update } = e
  if (!key.remoteJid || !key.id) return null
  const out: MessageUpdate = { chatJid: chatJidOf(key), waId: key.id, fromMe: !!key.fromMe }
  const status = statusOfAck(update.status)
  if (status) out.status = status
  if (status === 'error') out.error = (update.messageStubParameters ?? []).join(' ') || 'rejected by WhatsApp'
  if (update.messageStubType === WAMessageStubType.REVOKE && update.message === null) out.revoked = true
  const edited = update.message?.editedMessage?.message ?? update.message?.protocolMessage?.editedMessage
  if (edited) out.editedBody = contentOf(edited)?.body ?? ''
  // Baileys keys an edit or a delete by the message that carried it, with the target's id (rc14
  // lib/Utils/process-message.js): its sender is who made the change.
  if (out.revoked || edited) out.by = { fromMe: out.fromMe, ...senderOf(key, out.chatJid, me) }
  return out.status || out.revoked || out.editedBody !== undefined ? out : null
}

/** message-receipt.update (groups): a read receipt means at least read, a delivery receipt at least delivered. */
export function receiptUpdate(e: BaileysEventMap['message-receipt.update'][number]): MessageUpdate | null {
  const { key, receipt } = e
  if (!key.remoteJid || !key.id) return null
  const status: MessageStatus | null = receipt.readTimestamp ? 'read' : receipt.receiptTimestamp ? 'delivered' : null
  return status ? { chatJid: chatJidOf(key), waId: key.id, fromMe: !!key.fromMe, status } : null
}

/**
 * A reaction, by the JID of who reacted: its own key names the reactor as a message's key names its sender
 * (`senderOf`), by phone number when known, else by LID. Ours (sent by this gateway, whose echo this is, or by
 * another of our devices) is under our own JID, as the sender records the reactions it sends. In a direct chat
 * Baileys leaves the key's participant empty (""), not absent, so the chat's JID names the contact. Null when
 * nobody can be named.
 */
export function reactionRecord(e: BaileysEventMap['messages.reaction'][number], me: Me): ReactionRecord | null {
  const { key, reaction } = e
  if (!key.remoteJid || !key.id || !reaction.key) return null
  const chatJid = chatJidOf(key)
  const who = senderOf(reaction.key, chatJid, me)
  const reactor = who.pn ?? who.lid
  if (!reactor) return null
  return {
    chatJid,
    waId: key.id,
    reactor,
    text: reaction.text ?? '',
    timestamp: num(reaction.senderTimestampMs as Num) ?? 0, // already ms
  }
}

/** An encrypted poll vote carried by a message (`pollUpdateMessage`), or null. `msg` is already cleaned. */
export function pollVoteRecord(msg: WAMessage, me: Me): PollVoteRecord | null {
  const update = normalizeMessageContent(msg.message)?.pollUpdateMessage
  const target = update?.pollCreationMessageKey
  const vote = update?.vote
  if (!update || !msg.key?.remoteJid || !target?.id || !vote?.encPayload || !vote.encIv) return null
  const chatJid = chatJidOf(msg.key)
  const voter = senderOf(msg.key, chatJid, me)
  const ts = num(update.senderTimestampMs as Num) ?? toMs(num(msg.messageTimestamp as Num) ?? 0)
  return { chatJid, pollWaId: target.id, voter, encPayload: vote.encPayload, encIv: vote.encIv, timestamp: ts }
}
