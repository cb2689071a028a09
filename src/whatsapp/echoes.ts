// What the receipt hook already stored of each message, so the events Baileys emits for it after the receipt are
// not stored a second time. Per message, rc14 emits `messages.upsert` (lib/Socket/chats.js upsertMessage), a
// `contacts.update` with the sender's push name, and the event buffer adds a `chats.update` with the conversation
// timestamp and an unread delta. Ingest would find nothing to change in them, but only after a transaction of its
// own: a second commit per message (scripts/bench/inbound.ts). The hook stores the sender's contact with the
// message instead, and these echoes are dropped; anything else in those events still goes to ingest.
import { jidNormalizedUser, toNumber, type BaileysEventMap, type WAMessage } from '@whiskeysockets/baileys'
import type { Batch, ContactRecord } from './records.ts'
import { contactRecord, toMs } from './normalize.ts'

type Events = Partial<BaileysEventMap>
/** The sender's contact as the hook stored it, under the id Baileys' `contacts.update` will name. */
export type Sender = { id: string; record: ContactRecord }

/** What of a message the event buffer may still change after the hook stored it (lib/Utils/event-buffer.js). */
const foldable = (m: WAMessage) =>
  `${m.status ?? ''}|${m.messageStubType ?? ''}|${m.reactions?.length ?? 0}|${m.userReceipt?.length ?? 0}|` +
  `${m.pollUpdates?.length ?? 0}|${m.message ? 1 : 0}`

/** The fields of the event buffer's `chats.update` for a new message (lib/Utils/event-buffer.js). */
const MESSAGE_DRIVEN = new Set(['id', 'conversationTimestamp', 'unreadCount', 'messages'])
const MAX = 10_000
const bounded = <K, V>(m: Map<K, V>, k: K, v: V) => {
  if (m.size >= MAX && !m.has(k)) m.clear()
  m.set(k, v)
}
const names = (c: { notify?: string | null; verifiedName?: string | null }) =>
  `${c.notify ?? ''}|${c.verifiedName ?? ''}`

export function createEchoes() {
  const messages = new WeakMap<object, string>()
  /** Chat → newest message time (ms) the hook stored in it. */
  const chats = new Map<string, number>()
  /** Contact id as Baileys names it → the contact record the hook stored for it last. */
  const contacts = new Map<string, ContactRecord>()

  return {
    /**
     * Adds to the hook's batch the sender's contact as Baileys' later `contacts.update` names it (push name, verified
     * business name), folded together with the PN↔LID mapping of the key; leaves it out when this socket stored the
     * same record last time (every message names its sender: a write per message would buy nothing).
     */
    withSender(b: Batch, m: WAMessage): { batch: Batch; sender: Sender | null } {
      if (m.key.fromMe || !m.pushName) return { batch: b, sender: null }
      const id = jidNormalizedUser(m.key.participant || m.key.remoteJid || undefined)
      const c = contactRecord({ id, notify: m.pushName, verifiedName: m.verifiedBizName ?? undefined })
      if (!c) return { batch: b, sender: null }
      const mapping = b.lidMappings.find((x) => x.pn === c.jid || x.lid === c.lid)
      if (mapping) Object.assign(c, { jid: mapping.pn, lid: mapping.lid })
      const last = contacts.get(id)
      const same = !!last && last.jid === c.jid && last.lid === c.lid && names(last) === names(c)
      const batch = {
        ...b,
        lidMappings: mapping ? b.lidMappings.filter((x) => x !== mapping) : b.lidMappings,
        contacts: same ? b.contacts : [...b.contacts, c],
      }
      return { batch, sender: { id, record: c } }
    },
    /** The hook committed `b` for `msg`: its later echoes can go. */
    stored(msg: WAMessage, b: Batch, sender: Sender | null): void {
      messages.set(msg, foldable(msg))
      for (const { record } of b.messages)
        bounded(chats, record.chatJid, Math.max(chats.get(record.chatJid) ?? 0, record.timestamp))
      if (sender) bounded(contacts, sender.id, sender.record)
    },
    /** `events` without what the hook already stored; the same object when nothing was dropped. */
    filter(events: Events): Events {
      const upsert = events['messages.upsert']
      const chatUpdates = events['chats.update']
      const contactUpdates = events['contacts.update']
      if (!upsert && !chatUpdates && !contactUpdates) return events
      const out: Events = { ...events }
      let dropped = false
      if (upsert) {
        const fresh = upsert.messages.filter((m) => messages.get(m) !== foldable(m))
        if (fresh.length < upsert.messages.length) {
          dropped = true
          if (fresh.length) out['messages.upsert'] = { ...upsert, messages: fresh }
          else delete out['messages.upsert']
        }
      }
      if (chatUpdates) {
        // Only the buffer's message-driven update: a timestamp the hook stored, an unread delta, which ingest ignores
        // from WhatsApp (it counts unread itself), and the messages, which ingest takes from their own events. Names,
        // resets, archive, pin, mute and timers still go through.
        const rest = chatUpdates.filter((u) => {
          if (!u.id || Object.keys(u).some((k) => !MESSAGE_DRIVEN.has(k))) return true
          if (u.unreadCount != null && !(u.unreadCount > 0)) return true
          const ts = u.conversationTimestamp == null ? 0 : toMs(toNumber(u.conversationTimestamp))
          return ts > (chats.get(jidNormalizedUser(u.id)) ?? -1)
        })
        if (rest.length < chatUpdates.length) {
          dropped = true
          if (rest.length) out['chats.update'] = rest
          else delete out['chats.update']
        }
      }
      if (contactUpdates) {
        const rest = contactUpdates.filter((u) => {
          const keys = Object.keys(u).filter((k) => (u as Record<string, unknown>)[k] !== undefined)
          if (!u.id || keys.some((k) => k !== 'id' && k !== 'notify' && k !== 'verifiedName')) return true
          const last = contacts.get(jidNormalizedUser(u.id))
          return !last || names(last) !== names(u)
        })
        if (rest.length < contactUpdates.length) {
          dropped = true
          if (rest.length) out['contacts.update'] = rest
          else delete out['contacts.update']
        }
      }
      return dropped ? out : events
    },
  }
}
