// Chat statements for ingest (inside its transaction): the served view of a row, for events, and the PN/LID merge.
import type { Database } from 'bun:sqlite'
import { q, runSync, type Ops, type R, type Step } from '../sessions/ingest-steps.ts'
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
 * A step of the ingest logic (sessions/ingest-steps.ts): it runs on either dialect.
 */
/** What mergeLidChat did: the PN chat's id, and the absorbed LID chat as it was served (null when rekeyed). */
export type Merged = { chatId: number; absorbed: ChatRow | null } | null

export function* mergeLidChat(sessionId: string, pn: string, lid: string, now: number): Step<Merged> {
  const from = (yield q.chatByJid(sessionId, lid)) as R<'chatByJid'>
  if (!from) return null
  const into = (yield q.chatByJid(sessionId, pn)) as R<'chatByJid'>
  yield q.moveMessages(sessionId, lid, pn)
  yield q.dropMessages(sessionId, lid)
  if (!into) {
    yield q.rekeyChat(from.id, pn, now)
    return { chatId: from.id, absorbed: null }
  }
  const absorbed = (yield q.chatView(from.id)) as R<'chatView'>
  yield q.removeChat(from.id)
  const muted = [into.muted_until, from.muted_until].filter((m): m is number => m !== null)
  yield q.setMergedChat(
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
  // Only the statements mergeLidChat asks for.
  const ops = {
    chatByJid: (s: string, j: string) => sql.byJid.get(s, j),
    moveMessages: (s: string, lid: string, pn: string) => void sql.moveMessages.run(s, lid, pn),
    dropMessages: (s: string, c: string) => void sql.dropMessages.run(s, c),
    rekeyChat: (id: number, jid: string, t: number) => void sql.rekey.run(id, jid, t),
    chatView: (id: number) => sql.view.get(id),
    removeChat: (id: number) => void sql.remove.run(id),
    setMergedChat: (...a: Parameters<Ops['setMergedChat']>) => void sql.setMerged.run(...a),
  } as Partial<Ops> as Ops
  const pairs = sqlite
    .query<{ session_id: string; pn: string; lid: string }, []>(
      `SELECT c.session_id, k.jid AS pn, c.jid AS lid FROM chats c
       JOIN contacts k ON k.session_id = c.session_id AND k.lid = c.jid
       WHERE c.jid LIKE '%@lid' AND k.jid IS NOT NULL`,
    )
    .all()
  for (const p of pairs) runSync(mergeLidChat(p.session_id, p.pn, p.lid, now), ops)
  return pairs.length
}
