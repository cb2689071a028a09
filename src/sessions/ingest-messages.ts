// Storing one message in the ingest transaction: a new row with its event and chat bump, a decryption placeholder
// filled, or an echo of a stored message that only adds what it carries (media keys).
import { chatTypeOf } from '../domain/chat.ts'
import { ackOf, type Message } from '../domain/message.ts'
import { messageFromRow, type MessageRow } from '../store/messages.ts'
import type { MessageRecord } from '../whatsapp/records.ts'
import { chatJidOf, touchChannel } from './ingest-chats.ts'
import { hasExtras, kindsJson, storeExtras, withMediaStatus, type KindsJson } from './ingest-media.ts'
import { dedupeKey, q, type R, type Step } from './ingest-steps.ts'
import type { Tx } from './ingest-writes.ts'

/** Most messages carry no location, contacts or poll: their columns, without serialising anything. */
const NO_KINDS: KindsJson = { location: null, contacts: null, poll: null }

/** A record's row; the JSON of empty mention lists is a constant (history sync stores thousands of rows a second). */
function rowOf(tx: Tx, r: MessageRecord) {
  const kinds = r.location || r.contacts || r.poll ? kindsJson(r) : NO_KINDS
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
    mentions: r.mentions.length ? JSON.stringify(r.mentions) : '[]',
    mention_names: hasKeys(r.mentionNames) ? JSON.stringify(r.mentionNames) : '{}',
    quoted_id: r.quotedId,
    status: r.status,
    ack_level: ackOf(r.status),
    error: null,
    edited: 0,
    deleted: 0,
    location: kinds.location,
    contacts: kinds.contacts,
    poll: kinds.poll,
    timestamp: r.timestamp,
    created_at: tx.now,
  }
}

const hasKeys = (o: object) => {
  for (const _ in o) return true
  return false
}

/** Inserts a message if new (and its event), or fills a decryption placeholder with the real content. */
export function* storeMessage(tx: Tx, r: MessageRecord, live: boolean): Step<void> {
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
  if (hasExtras(r) && ((yield storeExtras(tx, row, r, null)) as boolean)) tx.queueMedia()
  const chat = r.chatJid
  // History sync fills the stored copy without events: a first link must not replay a year of webhooks.
  if (live) yield announce(tx, r, messageFromRow(row), channel)
  if (channel) yield touchChannel(tx, chat, { lastPostAt: r.timestamp }, false)
  // The message events already tell a new message's effect on its chat (lastMessageAt, unread + 1): no chat event.
  const bump = live && inserted && !r.fromMe && r.type !== 'system' && !r.undecryptable
  yield q.bumpChat(tx.sessionId, chat, chatTypeOf(chat), bump ? 1 : 0, r.timestamp, tx.now)
}

/** Appends the event for a newly stored message; the dedupe key makes a replay a no-op even if a row check missed it. */
function* announce(tx: Tx, r: MessageRecord, message: Message, channel: boolean): Step<void> {
  const key = (type: string, id: string | number) => dedupeKey(type, r.timestamp, tx.sessionId, r.chatJid, id)
  if (r.undecryptable) {
    yield q.countUndecryptable(tx.sessionId)
    yield tx.emit('message.undecryptable', message, key('message.undecryptable', r.waId))
  } else if (channel) {
    yield tx.emit('channel.post', message, key('channel.post', r.serverId!))
  } else {
    const type = r.fromMe ? 'message.sent' : 'message.received'
    yield tx.emit(type, message, key(type, r.waId))
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
