// Messages repository on PostgreSQL (src/store/messages.ts is the SQLite one): newest first by (timestamp, pk),
// rows converted to SQLite's shape and mapped by `messageFromRow` (JSON columns are text on both: same shapes).
import { epochColumn } from '../auth-epoch.ts'
import type { Async } from '../contract.ts'
import type { CursorCodec } from '../cursor.ts'
import {
  messageColumns,
  messageFromRow,
  messageListing,
  messagesAfter,
  type MessageRow,
  type MessageStore,
} from '../messages.ts'
import { toPage, type PageQuery } from '../paging.ts'
import type { PgAuthEpoch } from './auth-epoch.ts'
import { pgChatRef } from './chats.ts'
import type { PgDb } from './db.ts'
import { bit, num } from './rows.ts'

/** A messages row as SQLite answers it. */
export const pgMessageRow = (r: Record<string, unknown>): MessageRow => ({
  ...(r as MessageRow),
  pk: num(r.pk),
  from_me: bit(r.from_me),
  edited: bit(r.edited),
  deleted: bit(r.deleted),
  timestamp: num(r.timestamp),
  created_at: num(r.created_at),
})

export function createPgMessageStore(
  pg: PgDb,
  codec: CursorCodec,
  epoch: Pick<PgAuthEpoch, 'observeListing'>,
): Async<MessageStore> {
  const { sql } = pg
  const cols = sql.unsafe(messageColumns)
  const listed = sql.unsafe(`${epochColumn}, ${messageColumns}`)
  const served = async (l: string, rows: Record<string, unknown>[], q: PageQuery) => {
    await epoch.observeListing(rows)
    return toPage(codec, l, rows.map(pgMessageRow), q.limit, (r) => [r.timestamp, r.pk], messageFromRow)
  }

  async function page(sessionId: string, chatJid: string, q: PageQuery, formerJid?: string | null) {
    const after = messagesAfter(codec, sessionId, chatJid, q, formerJid)
    const rows = after
      ? await sql`SELECT ${listed} FROM messages WHERE session_id = ${sessionId} AND chat_jid = ${chatJid}
          AND (timestamp, pk) < (${after[0]}, ${after[1]}) ORDER BY timestamp DESC, pk DESC LIMIT ${q.limit + 1}`
      : await sql`SELECT ${listed} FROM messages WHERE session_id = ${sessionId} AND chat_jid = ${chatJid}
          ORDER BY timestamp DESC, pk DESC LIMIT ${q.limit + 1}`
    return served(messageListing(sessionId, chatJid), rows, q)
  }

  return {
    page,
    async chatPage(sessionId: string, jid: string, q: PageQuery) {
      // As SQLite's: one query when the chat is stored under `jid` itself, its existence checked in the same query.
      const after = messagesAfter(codec, sessionId, jid, q, null, true)
      if (after !== undefined) {
        const stored = sql`session_id = ${sessionId} AND chat_jid = ${jid}
          AND EXISTS (SELECT 1 FROM chats WHERE session_id = ${sessionId} AND jid = ${jid})`
        const rows = after
          ? await sql`SELECT ${listed} FROM messages WHERE ${stored} AND (timestamp, pk) < (${after[0]}, ${after[1]})
              ORDER BY timestamp DESC, pk DESC LIMIT ${q.limit + 1}`
          : await sql`SELECT ${listed} FROM messages WHERE ${stored}
              ORDER BY timestamp DESC, pk DESC LIMIT ${q.limit + 1}`
        if (rows.length) return served(messageListing(sessionId, jid), rows, q)
      }
      const chat = await pgChatRef(pg, sessionId, jid)
      return chat ? page(sessionId, chat.jid, q, chat.lid) : null
    },
    async get(sessionId: string, chatJid: string, waId: string) {
      const [r] = await sql`SELECT ${cols} FROM messages
        WHERE session_id = ${sessionId} AND chat_jid = ${chatJid} AND wa_id = ${waId}`
      return r ? messageFromRow(pgMessageRow(r)) : null
    },
  }
}
