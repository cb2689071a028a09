// Ingest helpers for changes to stored messages: acks/receipts, edits, revokes and reactions.
import { ackOf, type MessageStatus } from '../domain/message.ts'
import { chatTypeOf } from '../domain/chat.ts'
import { messageFromRow, type MessageRow } from '../store/messages.ts'
import type { Changer, MessageUpdate, ReactionRecord } from '../whatsapp/records.ts'
import { chatJidOf } from './ingest-chats.ts'
import type { Tx } from './ingest-writes.ts'
import { dedupeKey, q, type R, type Step } from './ingest-steps.ts'

/** Never downgrade an ack; an error only replaces `pending` (a NACK after a later receipt is noise). */
function nextStatus(old: MessageStatus, incoming: MessageStatus | undefined): MessageStatus {
  if (!incoming) return old
  if (incoming === 'error') return old === 'pending' ? 'error' : old
  return ackOf(incoming) > ackOf(old) ? incoming : old
}

// Receipts name the chat as the receipt's `from`, which may be the LID while we stored the PN chat
// (research/baileys.md §3.7): try the chat first (indexed), then the id alone.
function* find(tx: Tx, chatJid: string, waId: string, fromMe: boolean) {
  const byKey = (yield q.messageByKey(tx.sessionId, chatJid, waId)) as R<'messageByKey'>
  if (byKey && byKey.from_me === (fromMe ? 1 : 0))
    return (yield q.messageByWaId(tx.sessionId, waId, byKey.from_me)) as R<'messageByWaId'>
  return (yield q.messageByWaId(tx.sessionId, waId, fromMe ? 1 : 0)) as R<'messageByWaId'>
}

/**
 * The message an edit or a delete names: by its chat and id whoever wrote it (an admin deletes others' messages),
 * else, for a DM addressed by the other id, by id alone among the changer's side (one edits and deletes one's own).
 */
function* target(tx: Tx, u: MessageUpdate, by: Changer) {
  const byKey = (yield q.messageByKey(tx.sessionId, u.chatJid, u.waId)) as R<'messageByKey'>
  if (byKey) return (yield q.messageByWaId(tx.sessionId, u.waId, byKey.from_me)) as R<'messageByWaId'>
  return (yield q.messageByWaId(tx.sessionId, u.waId, by.fromMe ? 1 : 0)) as R<'messageByWaId'>
}

/**
 * Whether `by` may make this change, as WhatsApp's own app decides, since WhatsApp's servers cannot read what they
 * pass on: an edit only by the message's author, a delete by its author or by an admin of the group it is in (any
 * member when the group's members are not stored: there is nothing to check against).
 */
function* mayChange(tx: Tx, u: MessageUpdate, by: Changer, old: MessageRow): Step<boolean> {
  const ids = new Set([by.pn, by.lid].filter((x): x is string => !!x))
  if (!by.fromMe && ids.size === 1) {
    const known = (yield q.mappingOf(tx.sessionId, [...ids][0]!)) as R<'mappingOf'>
    for (const x of [known?.jid, known?.lid]) if (x) ids.add(x)
  }
  const author =
    old.from_me === 1 ? by.fromMe : !by.fromMe && [old.sender_jid, old.sender_lid].some((x) => x && ids.has(x))
  if (author) return true
  if (u.editedBody !== undefined || old.chat_jid !== u.chatJid || chatTypeOf(old.chat_jid) !== 'group') return false
  const members = (yield q.members(tx.sessionId, old.chat_jid)) as R<'members'>
  return !members.length || members.some((p) => p.admin && [p.jid, p.lid, p.pn].some((x) => x && ids.has(x)))
}

export function* applyUpdate(tx: Tx, u: MessageUpdate): Step<void> {
  const by = u.by
  const old = (yield by ? target(tx, u, by) : find(tx, u.chatJid, u.waId, u.fromMe)) as R<'messageByWaId'>
  if (!old) return
  const status = nextStatus(old.status as MessageStatus, u.status)
  let edited = u.editedBody !== undefined && u.editedBody !== old.body
  let deleted = !!u.revoked && old.deleted === 0
  if ((edited || deleted) && by && !((yield mayChange(tx, u, by, old)) as boolean)) edited = deleted = false
  if (status === old.status && !edited && !deleted) return
  const row = (yield q.setMessage(
    old.pk,
    status,
    ackOf(status),
    status === 'error' ? (u.error ?? null) : null,
    edited ? u.editedBody! : null,
    edited ? 1 : old.edited,
    deleted ? 1 : old.deleted,
    old.reactions,
  )) as R<'setMessage'>
  if (!row) return
  const m = messageFromRow(row)
  const key = (type: string, ...change: string[]) =>
    dedupeKey(type, old.timestamp, tx.sessionId, old.chat_jid, old.wa_id, ...change)
  if (status !== old.status) yield tx.emit('message.status', m, key('message.status', status))
  if (edited) yield tx.emit('message.edited', m, key('message.edited', hash(u.editedBody!)))
  if (deleted) yield tx.emit('message.deleted', m, key('message.deleted'))
}

export function* applyReaction(tx: Tx, r: ReactionRecord): Step<void> {
  const old =
    ((yield q.messageByWaId(tx.sessionId, r.waId, 1)) as R<'messageByWaId'>) ??
    ((yield q.messageByWaId(tx.sessionId, r.waId, 0)) as R<'messageByWaId'>)
  if (!old) return
  // A reactor named by LID alone (no phone number in the key): by phone number when the mapping is known.
  const reactor = (yield chatJidOf(tx, r.reactor)) as string
  const reactions = JSON.parse(old.reactions) as Record<string, string>
  if ((reactions[reactor] ?? '') === r.text) return
  if (r.text) reactions[reactor] = r.text
  else delete reactions[reactor]
  const row = (yield q.setMessage(
    old.pk,
    old.status,
    old.ack_level,
    null,
    null,
    old.edited,
    old.deleted,
    JSON.stringify(reactions),
  )) as R<'setMessage'>
  if (!row) return
  const data = { message: messageFromRow(row), reactor, reaction: r.text || null, timestamp: r.timestamp }
  yield tx.emit(
    'message.reaction',
    data,
    dedupeKey('message.reaction', r.timestamp, tx.sessionId, old.wa_id, reactor, r.text),
  )
}

const hash = (s: string) => new Bun.CryptoHasher('sha256').update(s).digest('hex').slice(0, 16)
