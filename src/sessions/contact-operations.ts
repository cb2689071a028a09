// Contact, presence and chat-action operations on a connected session; chat changes are stored once accepted.
import type { ChatAction } from '../domain/chat.ts'
import type { PhoneCheck } from '../domain/contact.ts'
import { AppError } from '../errors.ts'
import { MUTED_FOREVER } from '../whatsapp/normalize.ts'
import type { ChatPatch } from '../whatsapp/records.ts'
import { emptyBatch } from '../whatsapp/records.ts'
import type { WaSocket } from '../whatsapp/socket.ts'
import type { ChatAction as WaChatAction, StoredKey } from '../whatsapp/socket-ops.ts'
import type { SessionEngine } from './engine.ts'
import type { EngineIngest } from './engine-store.ts'

type ContactOperations = Pick<
  SessionEngine,
  'checkPhones' | 'contactPicture' | 'setBlocked' | 'setPresence' | 'sendTyping' | 'subscribePresence' | 'chatAction'
>

/** How long a usync answer is reused: numbers do not join or leave WhatsApp by the minute. */
const CHECK_TTL_MS = 5 * 60_000
const CHECK_CACHE_MAX = 20_000

export function createContactOperations(deps: {
  ingest: EngineIngest
  connectedSock(sessionId: string): WaSocket
  clock(): number
}): ContactOperations {
  const { ingest, connectedSock, clock } = deps
  const checked = new Map<string, { at: number; result: PhoneCheck }>()

  const keysOf = async (sessionId: string, chatJid: string, limit: number): Promise<StoredKey[]> =>
    (await ingest.lastMessages(sessionId, chatJid, limit)).map((m) => ({
      chatJid: m.chat_jid,
      waId: m.wa_id,
      fromMe: m.from_me === 1,
      participant: m.sender_jid ?? m.sender_lid,
      timestamp: m.timestamp,
    }))

  /** The app-state patch and the stored change for each action. */
  function plan(action: ChatAction, unread: number, now: number): { mod: WaChatAction; set: Partial<ChatPatch> } {
    switch (action.kind) {
      case 'archive':
      case 'unarchive':
        return { mod: { archive: action.kind === 'archive' }, set: { archived: action.kind === 'archive' } }
      case 'pin':
      case 'unpin':
        return { mod: { pin: action.kind === 'pin' }, set: { pinnedAt: action.kind === 'pin' ? now : 0 } }
      case 'mute':
        // WhatsApp takes the end time (-1 = forever); Baileys passes it through unchanged (trap 12).
        return { mod: { mute: action.until ?? -1 }, set: { mutedUntil: action.until ?? MUTED_FOREVER } }
      case 'unmute':
        return { mod: { mute: null }, set: { mutedUntil: null } }
      case 'markRead':
        return { mod: { markRead: true }, set: { unread: { set: 0 } } }
      case 'markUnread':
        return { mod: { markRead: false }, set: { unread: { atLeast: Math.max(1, unread) } } }
      case 'delete':
        return { mod: { delete: true }, set: {} }
    }
  }

  return {
    async checkPhones(sessionId, phones) {
      const sock = connectedSock(sessionId)
      const now = clock()
      const digits = phones.map((p) => p.replace(/\D/g, ''))
      const key = (d: string) => `${sessionId}:${d}`
      const missing = [...new Set(digits.filter((d) => (checked.get(key(d))?.at ?? -Infinity) + CHECK_TTL_MS < now))]
      if (missing.length) {
        const found = await sock.checkPhones(missing)
        const learned = emptyBatch()
        for (const d of missing) {
          const f = found.get(d)
          if (checked.size >= CHECK_CACHE_MAX) checked.delete(checked.keys().next().value as string)
          checked.set(key(d), { at: now, result: { phone: d, exists: !!f, jid: f?.jid ?? null, lid: f?.lid ?? null } })
          if (f?.lid) learned.lidMappings.push({ lid: f.lid, pn: f.jid })
        }
        await ingest.batch(sessionId, learned)
      }
      return phones.map((phone, i) => ({ ...checked.get(key(digits[i]!))!.result, phone }))
    },
    contactPicture: (sessionId, jid) => connectedSock(sessionId).pictureUrl(jid),
    async setBlocked(sessionId, jid, blocked) {
      await connectedSock(sessionId).setBlocked(jid, blocked)
      await ingest.accepted(sessionId, { block: { jid, blocked } })
    },
    setPresence: (sessionId, state) => connectedSock(sessionId).setPresence(state),
    sendTyping: (sessionId, chatJid, state) => connectedSock(sessionId).setTyping(chatJid, state),
    subscribePresence: (sessionId, jid) => connectedSock(sessionId).subscribePresence(jid),
    async chatAction(sessionId, chatJid, action) {
      const sock = connectedSock(sessionId)
      const chat = await ingest.chatRow(sessionId, chatJid)
      if (!chat) throw new AppError('not_found', 'chat not found')
      const { mod, set } = plan(action, chat.unread_count, clock())
      if (action.kind === 'markRead' && chat.unread_count > 0) {
        const unread = (await keysOf(sessionId, chatJid, chat.unread_count)).filter((k) => !k.fromMe)
        await sock.readMessages(unread)
      }
      await sock.chatModify(chatJid, mod, await keysOf(sessionId, chatJid, 1))
      if (action.kind === 'delete') await ingest.accepted(sessionId, { chatDelete: chatJid })
      else await ingest.accepted(sessionId, { chat: { jid: chatJid, type: chat.type as ChatPatch['type'], ...set } })
    },
  }
}
