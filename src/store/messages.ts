// Messages repository (read side): a chat's or channel's messages, newest first.
import type { CursorCodec } from './cursor.ts'
import {
  mediaUrlOf,
  type ContactCard,
  type Location,
  type MediaInfo,
  type Message,
  type MessageStatus,
  type MessageType,
  type Poll,
} from '../domain/message.ts'
import type { Db } from './db.ts'
import { afterKey, toPage, type PageQuery } from './paging.ts'

export type MessageRow = {
  pk: number
  session_id: string
  chat_jid: string
  wa_id: string
  from_me: number
  sender_jid: string | null
  sender_lid: string | null
  sender_name: string | null
  type: string
  body: string | null
  media: string | null
  mentions: string
  mention_names: string
  quoted_id: string | null
  status: string
  ack_level: number
  error: string | null
  edited: number
  deleted: number
  location: string | null
  contacts: string | null
  poll: string | null
  timestamp: number
  created_at: number
}

export const messageColumns =
  'pk, session_id, chat_jid, wa_id, from_me, sender_jid, sender_lid, sender_name, type, body, media, mentions, ' +
  'mention_names, quoted_id, status, ack_level, error, edited, deleted, location, contacts, poll, timestamp, created_at'

/** The stored media JSON as the API serves it; rows stored before media downloads existed read as `skipped`. */
function mediaOf(r: MessageRow) {
  if (r.media === null) return null
  const m = JSON.parse(r.media) as MediaInfo
  return {
    ...m,
    sha256: m.sha256 ?? null,
    status: m.status ?? 'skipped',
    url: mediaUrlOf(r.session_id, r.chat_jid, r.wa_id),
  }
}

export const messageFromRow = (r: MessageRow): Message => ({
  id: r.wa_id,
  waMessageId: r.wa_id,
  sessionId: r.session_id,
  chatJid: r.chat_jid,
  fromMe: r.from_me === 1,
  direction: r.from_me === 1 ? 'out' : 'in',
  senderJid: r.sender_jid,
  senderLid: r.sender_lid,
  senderName: r.sender_name,
  type: r.type as MessageType,
  body: r.body,
  hasMedia: r.media !== null,
  media: mediaOf(r),
  ...(r.location === null ? {} : { location: JSON.parse(r.location) as Location }),
  ...(r.contacts === null ? {} : { contacts: JSON.parse(r.contacts) as ContactCard[] }),
  ...(r.poll === null ? {} : { poll: JSON.parse(r.poll) as Poll }),
  mentions: JSON.parse(r.mentions) as string[],
  mentionNames: JSON.parse(r.mention_names) as Record<string, string>,
  quotedMessageId: r.quoted_id,
  status: r.status as MessageStatus,
  ackLevel: r.ack_level,
  error: r.error,
  edited: r.edited === 1,
  deleted: r.deleted === 1,
  timestamp: r.timestamp,
  createdAt: r.created_at,
})

export type MessageStore = ReturnType<typeof createMessageStore>

export function createMessageStore(db: Db, codec: CursorCodec) {
  const first = db.sqlite.query<MessageRow, [string, string, number]>(
    `SELECT ${messageColumns} FROM messages WHERE session_id = ? AND chat_jid = ?
     ORDER BY timestamp DESC, pk DESC LIMIT ?`,
  )
  const next = db.sqlite.query<MessageRow, [string, string, number, number, number]>(
    `SELECT ${messageColumns} FROM messages WHERE session_id = ? AND chat_jid = ? AND (timestamp, pk) < (?, ?)
     ORDER BY timestamp DESC, pk DESC LIMIT ?`,
  )
  const one = db.sqlite.query<MessageRow, [string, string, string]>(
    `SELECT ${messageColumns} FROM messages WHERE session_id = ? AND chat_jid = ? AND wa_id = ?`,
  )
  const listing = (sessionId: string, chatJid: string) => `messages:${sessionId}:${chatJid}`

  return {
    /**
     * Newest first; the same listing serves chats and channels (channel posts are keyed by the channel JID).
     * `formerJid`: the JID the chat was listed under before (its LID, until it joined the phone number's chat):
     * a cursor issued then continues the joined chat's listing.
     */
    page(sessionId: string, chatJid: string, q: PageQuery, formerJid?: string | null) {
      const l = listing(sessionId, chatJid)
      const kinds: ('number' | 'string')[] = ['number', 'number']
      let after: number[] | null
      try {
        after = afterKey(codec, l, q, kinds) as number[] | null
      } catch (e) {
        if (!formerJid || formerJid === chatJid) throw e
        after = afterKey(codec, listing(sessionId, formerJid), q, kinds) as number[] | null
      }
      const rows = after
        ? next.all(sessionId, chatJid, after[0]!, after[1]!, q.limit + 1)
        : first.all(sessionId, chatJid, q.limit + 1)
      return toPage(codec, l, rows, q.limit, (r) => [r.timestamp, r.pk], messageFromRow)
    },
    get(sessionId: string, chatJid: string, waId: string): Message | null {
      const row = one.get(sessionId, chatJid, waId)
      return row ? messageFromRow(row) : null
    },
  }
}
