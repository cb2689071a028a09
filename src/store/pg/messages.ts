// Messages repository on PostgreSQL (src/store/messages.ts is the SQLite one): newest first by (timestamp, pk),
// rows converted to SQLite's shape and mapped by `messageFromRow` (JSON columns are text on both: same shapes).
import type { Async } from '../contract.ts'
import type { CursorCodec } from '../cursor.ts'
import { messageColumns, messageFromRow, type MessageRow, type MessageStore } from '../messages.ts'
import { afterKey, toPage, type PageQuery } from '../paging.ts'
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

export function createPgMessageStore(pg: PgDb, codec: CursorCodec): Async<MessageStore> {
  const { sql } = pg
  const cols = sql.unsafe(messageColumns)
  const listing = (sessionId: string, chatJid: string) => `messages:${sessionId}:${chatJid}`

  return {
    async page(sessionId: string, chatJid: string, q: PageQuery, formerJid?: string | null) {
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
        ? await sql`SELECT ${cols} FROM messages WHERE session_id = ${sessionId} AND chat_jid = ${chatJid}
            AND (timestamp, pk) < (${after[0]!}, ${after[1]!}) ORDER BY timestamp DESC, pk DESC LIMIT ${q.limit + 1}`
        : await sql`SELECT ${cols} FROM messages WHERE session_id = ${sessionId} AND chat_jid = ${chatJid}
            ORDER BY timestamp DESC, pk DESC LIMIT ${q.limit + 1}`
      return toPage(codec, l, rows.map(pgMessageRow), q.limit, (r) => [r.timestamp, r.pk], messageFromRow)
    },
    async get(sessionId: string, chatJid: string, waId: string) {
      const [r] = await sql`SELECT ${cols} FROM messages
        WHERE session_id = ${sessionId} AND chat_jid = ${chatJid} AND wa_id = ${waId}`
      return r ? messageFromRow(pgMessageRow(r)) : null
    },
  }
}
