// Chats repository on PostgreSQL (src/store/chats.ts is the SQLite one): the same display order, keyset and
// display-name/LID resolution (`chatViewColumns` runs unchanged: scalar subqueries, LIKE and row values mean the
// same here), rows converted to SQLite's shape and mapped by `chatFromRow`.
import { chatFromRow, chatViewColumns, lidOf, type ChatRow, type ChatStore } from '../chats.ts'
import type { Async } from '../contract.ts'
import type { CursorCodec } from '../cursor.ts'
import { afterKey, toPage, type PageQuery } from '../paging.ts'
import type { PgDb } from './db.ts'
import { bit, num, numOrNull } from './rows.ts'

/** A served chat row as SQLite answers it. */
export const pgChatRow = (r: Record<string, unknown>): ChatRow => ({
  ...(r as ChatRow),
  id: num(r.id),
  archived: bit(r.archived),
  pinned_at: num(r.pinned_at),
  muted_until: numOrNull(r.muted_until),
  last_message_at: num(r.last_message_at),
})

export function createPgChatStore(pg: PgDb, codec: CursorCodec): Async<ChatStore> {
  const { sql } = pg
  const view = sql.unsafe(chatViewColumns)
  const lid = sql.unsafe(lidOf)
  const listing = (sessionId: string) => `chats:${sessionId}`
  // By the chat's JID, or by the LID of a person whose chat is kept under the phone number (one chat per person).
  const resolved = (sessionId: string, jid: string) => sql`c.session_id = ${sessionId} AND c.jid = coalesce(
    (SELECT c2.jid FROM chats c2 WHERE c2.session_id = ${sessionId} AND c2.jid = ${jid}),
    (SELECT k.jid FROM contacts k WHERE k.session_id = ${sessionId} AND k.lid = ${jid} AND ${jid} LIKE '%@lid'))`

  return {
    async page(sessionId: string, q: PageQuery) {
      const after = afterKey(codec, listing(sessionId), q, ['number', 'number', 'number']) as number[] | null
      const rows = after
        ? await sql`SELECT ${view} FROM chats c WHERE session_id = ${sessionId}
            AND (pinned_at, last_message_at, id) < (${after[0]!}, ${after[1]!}, ${after[2]!})
            ORDER BY pinned_at DESC, last_message_at DESC, id DESC LIMIT ${q.limit + 1}`
        : await sql`SELECT ${view} FROM chats c WHERE session_id = ${sessionId}
            ORDER BY pinned_at DESC, last_message_at DESC, id DESC LIMIT ${q.limit + 1}`
      return toPage(
        codec,
        listing(sessionId),
        rows.map(pgChatRow),
        q.limit,
        (r) => [r.pinned_at, r.last_message_at, r.id],
        chatFromRow,
      )
    },
    async get(sessionId: string, jid: string) {
      const [r] = await sql`SELECT ${view} FROM chats c WHERE ${resolved(sessionId, jid)}`
      return r ? chatFromRow(pgChatRow(r)) : null
    },
    async has(sessionId: string, jid: string) {
      const [r] = await sql`SELECT 1 AS one FROM chats WHERE session_id = ${sessionId} AND jid = ${jid}`
      return r !== undefined
    },
    async ref(sessionId: string, jid: string) {
      const [r] = await sql`SELECT c.jid, ${lid} AS lid FROM chats c WHERE ${resolved(sessionId, jid)}`
      return r ? { jid: r.jid as string, lid: (r.lid as string | null) ?? null } : null
    },
  }
}
