// Contact, presence and chat-state operations on a live Baileys socket: usync lookups, pictures, blocks,
// presence, and app-state chat modifications.
import { jidNormalizedUser, type WAMessageKey, type WASocket } from '@whiskeysockets/baileys'
import { AppError } from '../errors.ts'
import { upstream } from './commands.ts'
import { upstreamError } from './upstream.ts'

/** usync lookups per IQ; WhatsApp Web itself asks in batches of this order. */
const USYNC_BATCH = 50

/**
 * Which numbers are on WhatsApp. rc14's `onWhatsApp` drops numbers that are not (it returns only the found
 * ones, research/fakewa-media-groups.md §0 trap 9), so anything it does not return is reported missing.
 */
export async function checkPhones(
  sock: WASocket,
  phones: string[],
): Promise<Map<string, { jid: string; lid: string | null }>> {
  const found = new Map<string, { jid: string; lid: string | null }>()
  for (let i = 0; i < phones.length; i += USYNC_BATCH) {
    const batch = phones.slice(i, i + USYNC_BATCH)
    const answers = (await upstream('usync', () => sock.onWhatsApp(...batch))) ?? []
    const jids = answers.filter((a) => a.exists).map((a) => jidNormalizedUser(a.jid))
    const lids = jids.length
      ? ((await sock.signalRepository.lidMapping.getLIDsForPNs(jids).catch(() => null)) ?? [])
      : []
    for (const jid of jids) {
      const lid = lids.find((l) => jidNormalizedUser(l.pn) === jid)?.lid
      found.set(jid.split('@')[0]!, { jid, lid: lid ? jidNormalizedUser(lid) : null })
    }
  }
  return found
}

/** The picture URL, or null when there is none or it is hidden from us (WhatsApp answers 404 / 401). */
export async function pictureUrl(sock: WASocket, jid: string): Promise<string | null> {
  try {
    return (await sock.profilePictureUrl(jid, 'image')) ?? null
  } catch (e) {
    const err = e as { data?: unknown; output?: { statusCode?: number }; message?: string }
    const code = Number(err.data ?? err.output?.statusCode)
    if (code === 404 || code === 401 || /item-not-found|not-authorized/.test(err.message ?? '')) return null
    throw upstreamError('picture request', e)
  }
}

export const setBlocked = (sock: WASocket, jid: string, blocked: boolean) =>
  upstream(blocked ? 'block' : 'unblock', () => sock.updateBlockStatus(jid, blocked ? 'block' : 'unblock'))

/**
 * `available` / `unavailable`: Baileys silently drops them while it does not know our push name (trap 8), so
 * that is refused here rather than reported as done.
 */
export async function setPresence(sock: WASocket, state: 'available' | 'unavailable'): Promise<void> {
  if (!sock.authState.creds.me?.name)
    throw new AppError('conflict', 'WhatsApp has not told this session its push name yet; presence cannot be sent')
  await upstream('presence', () => sock.sendPresenceUpdate(state))
}

export const setTyping = (sock: WASocket, jid: string, state: 'composing' | 'recording' | 'paused') =>
  upstream('typing', () => sock.sendPresenceUpdate(state, jid))

export const subscribePresence = (sock: WASocket, jid: string) =>
  upstream('presence subscribe', () => sock.presenceSubscribe(jid))

/** A stored message as the key app-state message ranges and read receipts need. */
export type StoredKey = {
  chatJid: string
  waId: string
  fromMe: boolean
  participant: string | null
  timestamp: number
}

const keyOf = (m: StoredKey): WAMessageKey => ({
  remoteJid: m.chatJid,
  id: m.waId,
  fromMe: m.fromMe,
  ...(m.participant && !m.fromMe ? { participant: m.participant } : {}),
})

export type ChatAction =
  { archive: boolean } | { pin: boolean } | { mute: number | null } | { markRead: boolean } | { delete: true }

/**
 * One app-state patch (research/fakewa-media-groups.md §4.5). `lastMessages` (newest first) is the chat's
 * message range, which archive, markRead and delete need. Mute takes an end time, never a duration (trap 12).
 */
export async function chatModify(sock: WASocket, jid: string, action: ChatAction, lastMessages: StoredKey[]) {
  const last = lastMessages[0]
  const range = last ? [{ key: keyOf(last), messageTimestamp: Math.floor(last.timestamp / 1000) }] : []
  const mod =
    'archive' in action || 'markRead' in action || 'delete' in action ? { ...action, lastMessages: range } : action
  await upstream('chat modify', () => sock.chatModify(mod as Parameters<WASocket['chatModify']>[0], jid))
}

/** Read receipts for received messages. */
export const readMessages = (sock: WASocket, keys: StoredKey[]) =>
  keys.length ? upstream('read receipts', () => sock.readMessages(keys.map(keyOf))) : Promise.resolve()
