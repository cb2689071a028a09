// Chat statements for ingest (inside its transaction): the served view of a row, for events, and the PN/LID merge.
import type { Database } from 'bun:sqlite'
import { chatViewColumns, type ChatRow } from './chats.ts'

export type ChatSql = ReturnType<typeof createChatSql>

const rowColumns = 'id, session_id, jid, type, name, unread_count, archived, pinned_at, muted_until, last_message_at'

export function createChatSql(sqlite: Database) {
  const q = sqlite.query.bind(sqlite)
  return {
    byJid: q<ChatRow, [string, string]>(`SELECT ${rowColumns} FROM chats WHERE session_id = ? AND jid = ?`),
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

/**
 * Moves the person's LID chat into their PN chat (mapping just learned): its messages move over (the sender's phone
 * number filled in; a copy already under the PN chat wins), unread counts add up, the latest activity wins, the chat
 * stays pinned or muted if either was (the later pin, the longer mute) and archived only if both were. Without a PN
 * chat the LID chat becomes it (same id). Returns what happened, for the caller's events; null without a LID chat.
 */
export function mergeLidChat(sql: ChatSql, sessionId: string, pn: string, lid: string, now: number) {
  const from = sql.byJid.get(sessionId, lid)
  if (!from) return null
  const into = sql.byJid.get(sessionId, pn)
  sql.moveMessages.run(sessionId, lid, pn)
  sql.dropMessages.run(sessionId, lid)
  if (!into) {
    sql.rekey.run(from.id, pn, now)
    return { chatId: from.id, absorbed: null }
  }
  const absorbed = sql.view.get(from.id)
  sql.remove.run(from.id)
  const muted = [into.muted_until, from.muted_until].filter((m): m is number => m !== null)
  sql.setMerged.run(
    into.id,
    into.name ?? from.name,
    into.unread_count + from.unread_count,
    into.archived && from.archived ? 1 : 0,
    Math.max(into.pinned_at, from.pinned_at),
    muted.length ? Math.max(...muted) : null,
    Math.max(into.last_message_at, from.last_message_at),
    now,
  )
  return { chatId: into.id, absorbed }
}

/** Joins every LID chat whose mapping is known to its PN chat (chats stored before wagate kept one per person). */
export function mergeKnownLidChats(sqlite: Database, now: number): number {
  const sql = createChatSql(sqlite)
  const pairs = sqlite
    .query<{ session_id: string; pn: string; lid: string }, []>(
      `SELECT c.session_id, k.jid AS pn, c.jid AS lid FROM chats c
       JOIN contacts k ON k.session_id = c.session_id AND k.lid = c.jid
       WHERE c.jid LIKE '%@lid' AND k.jid IS NOT NULL`,
    )
    .all()
  for (const p of pairs) mergeLidChat(sql, p.session_id, p.pn, p.lid, now)
  return pairs.length
}
