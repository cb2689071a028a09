// Chat statements for ingest (inside its transaction): the served view of a row, for events, and the PN/LID merge.
import { chatViewColumns, type ChatRow } from './chats.ts'
import type { Db } from './db.ts'

export type ChatSql = ReturnType<typeof createChatSql>

export function createChatSql(db: Db) {
  const q = db.sqlite.query.bind(db.sqlite)
  return {
    /** The chat as the API serves it (display name, LID): what chat events carry. */
    view: q<ChatRow, [number]>(`SELECT ${chatViewColumns} FROM chats c WHERE c.id = ?`),
    viewByJid: q<ChatRow, [string, string]>(
      `SELECT ${chatViewColumns} FROM chats c WHERE c.session_id = ? AND c.jid = ?`,
    ),
    /** The phone-number JID a LID is mapped to, when known. */
    pnOfLid: q<{ jid: string }, [string, string]>(
      'SELECT jid FROM contacts WHERE session_id = ? AND lid = ? AND jid IS NOT NULL',
    ),
    /**
     * Moves a LID chat's messages to the PN chat, naming the sender's phone number where only the LID was known. A
     * message already stored under the PN chat (same id) stays there; its LID copy is left for `dropMessages`.
     */
    moveMessages: q<unknown, [string, string, string]>(
      `UPDATE OR IGNORE messages SET chat_jid = ?3,
         sender_jid = CASE WHEN from_me = 0 AND sender_lid = ?2 THEN coalesce(sender_jid, ?3) ELSE sender_jid END
       WHERE session_id = ?1 AND chat_jid = ?2`,
    ),
    dropMessages: q<unknown, [string, string]>('DELETE FROM messages WHERE session_id = ? AND chat_jid = ?'),
    /** The LID chat becomes the PN chat (same id: clients holding it keep it). */
    rekey: q<unknown, [number, string, number]>('UPDATE chats SET jid = ?2, updated_at = ?3 WHERE id = ?1'),
    remove: q<unknown, [number]>('DELETE FROM chats WHERE id = ?'),
    setMerged: q<unknown, [number, string | null, number, number, number, number | null, number, number]>(
      `UPDATE chats SET name = ?2, unread_count = ?3, archived = ?4, pinned_at = ?5, muted_until = ?6,
         last_message_at = ?7, updated_at = ?8 WHERE id = ?1`,
    ),
  }
}
