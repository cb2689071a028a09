// Pure: one Baileys event map (as `ev.process` delivers it) → one Batch of records for one transaction.
import {
  normalizeMessageContent,
  proto,
  WAMessageStubType,
  type BaileysEventMap,
  type WAMessage,
} from '@whiskeysockets/baileys'
import { groupRecord, participantsChange, presenceRecords } from './group-records.ts'
import { emptyBatch, type Batch } from './records.ts'
import {
  chatSnapshot,
  chatUpdate,
  contactRecord,
  mappingsOfKey,
  messageRecord,
  messageUpdate,
  pnAndLid,
  pollVoteRecord,
  reactionRecord,
  receiptUpdate,
  type Me,
} from './normalize.ts'

const present = <T>(v: T | null | undefined): v is T => v != null

export function toBatch(events: Partial<BaileysEventMap>, me: Me): Batch {
  const b = emptyBatch()
  const history = events['messaging-history.set']
  if (history) {
    b.chats.push(...history.chats.map(chatSnapshot))
    b.contacts.push(...history.contacts.map(contactRecord).filter(present))
    for (const m of history.lidPnMappings ?? []) {
      const ids = pnAndLid(m.lid, m.pn)
      if (ids.lid && ids.pn) b.lidMappings.push({ lid: ids.lid, pn: ids.pn })
    }
    addMessages(b, history.messages, me, false)
  }
  b.chats.push(...(events['chats.upsert'] ?? []).map(chatSnapshot))
  b.chats.push(...(events['chats.update'] ?? []).map(chatUpdate).filter(present))
  b.contacts.push(...(events['contacts.upsert'] ?? []).map(contactRecord).filter(present))
  b.contacts.push(...(events['contacts.update'] ?? []).map(contactRecord).filter(present))
  const lid = events['lid-mapping.update']
  // rc14 emits one mapping per event; develop batches them (§3.12), so accept both.
  for (const m of Array.isArray(lid) ? lid : lid ? [lid] : []) {
    const ids = pnAndLid(m.lid, m.pn)
    if (ids.lid && ids.pn) b.lidMappings.push({ lid: ids.lid, pn: ids.pn })
  }
  const upsert = events['messages.upsert']
  // Both `notify` and `append` are new to us (offline backlog, own echoes, channel posts): store both.
  if (upsert) addMessages(b, upsert.messages, me, true)
  b.updates.push(...(events['messages.update'] ?? []).map((u) => messageUpdate(u, me)).filter(present))
  b.updates.push(...(events['message-receipt.update'] ?? []).map(receiptUpdate).filter(present))
  b.reactions.push(...(events['messages.reaction'] ?? []).map((r) => reactionRecord(r, me)).filter(present))
  addGroupsAndPresence(b, events)
  return b
}

/** Group metadata and membership, presence, chat deletes and block-list changes (research/baileys.md §3.11–3.15). */
function addGroupsAndPresence(b: Batch, events: Partial<BaileysEventMap>) {
  for (const m of [...(events['groups.upsert'] ?? []), ...(events['groups.update'] ?? [])]) {
    const g = groupRecord(m)
    if (!g) continue
    b.groups.push(g)
    for (const p of g.participants ?? []) if (p.lid && p.pn) b.lidMappings.push({ lid: p.lid, pn: p.pn })
  }
  // A group's disappearing-messages timer arrives as a chat update (EPHEMERAL_SETTING protocol message).
  for (const u of events['chats.update'] ?? []) {
    if (u.id?.endsWith('@g.us') && u.ephemeralExpiration !== undefined)
      b.groups.push({ jid: u.id, ephemeralSeconds: u.ephemeralExpiration ?? 0 })
  }
  const change = events['group-participants.update']
  const c = change ? participantsChange(change) : null
  if (c) {
    b.participants.push(c)
    for (const p of c.participants) if (p.lid && p.pn) b.lidMappings.push({ lid: p.lid, pn: p.pn })
  }
  const presence = events['presence.update']
  if (presence) b.presences.push(...presenceRecords(presence))
  b.chatDeletes.push(...(events['chats.delete'] ?? []))
  const blocks = events['blocklist.update']
  for (const jid of blocks?.blocklist ?? []) b.blocks.push({ jid, blocked: blocks!.type === 'add' })
}

/**
 * The one message Baileys is about to receipt (socket.ts `beforeReceipt`; `m` already cleaned), plus the effect
 * Baileys' processMessage emits for it only after the receipt: an edit, a revoke or a reaction it carries. The
 * records equal those of the later events (same keys, as in rc14 lib/Utils/process-message.js), so those are no-ops.
 */
export function receivedBatch(m: WAMessage, type: 'notify' | 'append', me: Me): Batch {
  const b = toBatch({ 'messages.upsert': { messages: [m], type } }, me)
  const content = normalizeMessageContent(m.message)
  const pm = content?.protocolMessage
  const target = pm?.key?.id ? { ...m.key, id: pm.key.id } : null
  const Type = proto.Message.ProtocolMessage.Type
  let u = null
  if (target && pm?.type === Type.REVOKE) {
    u = messageUpdate({ key: target, update: { message: null, messageStubType: WAMessageStubType.REVOKE } }, me)
  } else if (target && pm?.type === Type.MESSAGE_EDIT) {
    u = messageUpdate({ key: target, update: { message: { editedMessage: { message: pm.editedMessage } } } }, me)
  } else if (!pm && content?.reactionMessage?.key) {
    const r = reactionRecord(
      { key: content.reactionMessage.key, reaction: { ...content.reactionMessage, key: m.key } },
      me,
    )
    if (r) b.reactions.push(r)
  }
  if (u) b.updates.push(u)
  return b
}

function addMessages(b: Batch, messages: BaileysEventMap['messages.upsert']['messages'], me: Me, live: boolean) {
  for (const m of messages) {
    b.lidMappings.push(...mappingsOfKey(m.key))
    const record = messageRecord(m, me)
    if (record) b.messages.push({ record, live })
    const vote = live ? pollVoteRecord(m, me) : null
    if (vote) b.pollVotes.push(vote)
    if (record && live) addMerged(b, m, me)
  }
}

/**
 * Baileys' event buffer folds later updates, reactions and receipts of a buffered message into its upsert
 * (research/baileys.md §3.0). The message itself is usually stored already (before its receipt, or by an
 * earlier batch), so its insert is a no-op: carry the folded changes as updates, which are idempotent.
 */
function addMerged(b: Batch, m: BaileysEventMap['messages.upsert']['messages'][number], me: Me) {
  // Only its status: an edit or a delete folded into it came through the receipt hook keyed by the message that
  // carried it, naming who made it (receivedBatch); folded, it carries this message's own key, naming its author.
  const u = messageUpdate({ key: m.key, update: m }, me)
  if (u?.status)
    b.updates.push({ chatJid: u.chatJid, waId: u.waId, fromMe: u.fromMe, status: u.status, error: u.error })
  for (const receipt of m.userReceipt ?? []) {
    const r = receiptUpdate({ key: m.key, receipt })
    if (r) b.updates.push(r)
  }
  for (const reaction of m.reactions ?? []) {
    const r = reactionRecord({ key: m.key, reaction }, me)
    if (r) b.reactions.push(r)
  }
}
