// Chat statements for ingest (inside its transaction): the served view of a row, for events.
import { chatViewColumns, type ChatRow } from './chats.ts'
import type { Db } from './db.ts'

export type ChatSql = ReturnType<typeof createChatSql>

export function createChatSql(db: Db) {
  const q = db.sqlite.query.bind(db.sqlite)
  return {
    /** The chat as the API serves it (display name): what chat events carry. */
    view: q<ChatRow, [number]>(`SELECT ${chatViewColumns} FROM chats c WHERE c.id = ?`),
    viewByJid: q<ChatRow, [string, string]>(
      `SELECT ${chatViewColumns} FROM chats c WHERE c.session_id = ? AND c.jid = ?`,
    ),
  }
}
