// Raw prepared statements for group and member writes, chat deletes, block flags and PN↔LID lookups.
import { displayName } from './chats.ts'
import type { ChatRow } from './chats.ts'
import type { Db } from './db.ts'
import { groupColumns, participantsSql, type GroupRow, type ParticipantRow } from './groups.ts'

export type GroupSql = ReturnType<typeof createGroupSql>
export type GroupWrite = Omit<GroupRow, 'id' | 'session_id'>

/** Every statement runs inside the caller's transaction (see sessions/ingest.ts); none awaits. */
export function createGroupSql(db: Db) {
  const q = db.sqlite.query.bind(db.sqlite)
  return {
    groupByJid: q<GroupRow, [string, string]>(`SELECT ${groupColumns} FROM groups WHERE session_id = ? AND jid = ?`),
    upsertGroup: q<GroupRow, [Record<string, string | number | null>]>(
      `INSERT INTO groups (session_id, jid, subject, description, description_id, owner, owner_pn, wa_created_at,
         announce, locked, ephemeral_seconds, addressing_mode, synced_at, created_at, updated_at)
       VALUES ($session_id, $jid, $subject, $description, $description_id, $owner, $owner_pn, $wa_created_at,
         $announce, $locked, $ephemeral_seconds, $addressing_mode, $synced_at, $now, $now)
       ON CONFLICT (session_id, jid) DO UPDATE SET subject = excluded.subject, description = excluded.description,
         description_id = excluded.description_id, owner = excluded.owner, owner_pn = excluded.owner_pn,
         wa_created_at = excluded.wa_created_at, announce = excluded.announce, locked = excluded.locked,
         ephemeral_seconds = excluded.ephemeral_seconds, addressing_mode = excluded.addressing_mode,
         synced_at = excluded.synced_at, updated_at = excluded.updated_at
       RETURNING ${groupColumns}`,
    ),
    /** Members as stored (ids exactly as WhatsApp named them). */
    participants: q<ParticipantRow, [string, string]>(
      'SELECT jid, lid, pn, admin FROM group_participants WHERE session_id = ? AND group_jid = ? ORDER BY position',
    ),
    /** Members for the API (other id filled from contacts). */
    members: q<ParticipantRow, [string, string]>(participantsSql),
    upsertParticipant: q<unknown, [string, string, string, string | null, string | null, string | null]>(
      `INSERT INTO group_participants (session_id, group_jid, jid, lid, pn, admin, position)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT coalesce(max(position), 0) + 1 FROM group_participants
         WHERE session_id = ?1 AND group_jid = ?2))
       ON CONFLICT DO UPDATE SET lid = coalesce(excluded.lid, lid), pn = coalesce(excluded.pn, pn), admin = excluded.admin`,
    ),
    deleteParticipant: q<unknown, [string, string, string]>(
      'DELETE FROM group_participants WHERE session_id = ? AND group_jid = ? AND jid = ?',
    ),
    chatDisplayName: q<{ name: string | null }, [string, string]>(
      `SELECT ${displayName} AS name FROM chats c WHERE c.session_id = ? AND c.jid = ?`,
    ),
    deleteChat: q<ChatRow, [string, string]>(
      `DELETE FROM chats WHERE session_id = ? AND jid = ? RETURNING id, session_id, jid, type, name, unread_count,
         archived, pinned_at, muted_until, last_message_at`,
    ),
    deleteChatMessages: q<unknown, [string, string]>('DELETE FROM messages WHERE session_id = ? AND chat_jid = ?'),
    setBlocked: q<{ id: number }, [string, string, number, number]>(
      'UPDATE contacts SET blocked = ?3, updated_at = ?4 WHERE session_id = ?1 AND (jid = ?2 OR lid = ?2) RETURNING id',
    ),
    insertBlocked: q<unknown, [string, string | null, string | null, number, number]>(
      'INSERT INTO contacts (session_id, jid, lid, blocked, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)',
    ),
    /** The other half of a sender's identity, from the stored PN↔LID mapping. */
    mappingOf: q<{ jid: string | null; lid: string | null }, [string, string]>(
      'SELECT jid, lid FROM contacts WHERE session_id = ?1 AND (jid = ?2 OR lid = ?2) LIMIT 1',
    ),
  }
}
