// The PostgreSQL ingest statements of messages, chats, contacts and channels (the rest are in ingest.ts), run by
// ingest-tx.ts on one transaction's connection.
import type { AsyncOps } from '../../sessions/ingest-steps.ts'
import { chatViewColumns } from '../chats.ts'
import { bindMessage, messageInsertColumns } from '../ingest-sql.ts'
import { messageColumns } from '../messages.ts'
import { all, bool, exec, one, type PgTx } from './ingest-tx.ts'

const chatColumns = 'id, session_id, jid, type, name, unread_count, archived, pinned_at, muted_until, last_message_at'
const channelColumns = 'id, session_id, jid, name, description, role, following, muted, subscribers, last_post_at'

export const messageOps = {
  insertMessage: (c, r) =>
    one(
      c,
      `INSERT INTO messages (${messageInsertColumns})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23,
         $24)
       ON CONFLICT DO NOTHING RETURNING ${messageColumns}`,
      bindMessage(r, bool),
    ),
  messageByKey: (c, s, chat, waId) =>
    one(c, `SELECT ${messageColumns}, server_id FROM messages WHERE session_id = $1 AND chat_jid = $2 AND wa_id = $3`, [
      s,
      chat,
      waId,
    ]),
  messageByServerId: (c, s, chat, serverId) =>
    one(c, 'SELECT pk FROM messages WHERE session_id = $1 AND chat_jid = $2 AND server_id = $3', [s, chat, serverId]),
  messageByWaId: (c, s, waId, fromMe) =>
    one(
      c,
      `SELECT ${messageColumns}, reactions FROM messages WHERE session_id = $1 AND wa_id = $2 AND from_me = $3 LIMIT 1`,
      [s, waId, bool(fromMe)],
    ),
  replaceContent: (c, r) =>
    one(
      c,
      `UPDATE messages SET type = $2, body = $3, media = $4, mentions = $5, mention_names = $6, quoted_id = $7,
         location = $8, contacts = $9, poll = $10, sender_name = coalesce($11::text, sender_name)
       WHERE pk = $1 RETURNING ${messageColumns}`,
      [
        r.pk,
        r.type,
        r.body,
        r.media,
        r.mentions,
        r.mention_names,
        r.quoted_id,
        r.location,
        r.contacts,
        r.poll,
        r.sender_name,
      ],
    ),
  setMessage: (c, pk, status, ack, error, body, edited, deleted, reactions) =>
    one(
      c,
      `UPDATE messages SET status = $2, ack_level = $3, error = coalesce($4::text, error), body = coalesce($5::text, body),
         edited = $6, deleted = $7, reactions = $8 WHERE pk = $1 RETURNING ${messageColumns}`,
      [pk, status, ack, error, body, bool(edited), bool(deleted), reactions],
    ),
  messageByPk: (c, pk) => one(c, `SELECT ${messageColumns} FROM messages WHERE pk = $1`, [pk]),
  countUndecryptable: (c, s) =>
    exec(c, 'UPDATE sessions SET undecryptable_count = undecryptable_count + 1 WHERE id = $1', [s]),
  messageForGet: (c, s, waId, fromMe) =>
    one(c, 'SELECT body, type FROM messages WHERE session_id = $1 AND wa_id = $2 AND from_me = $3 LIMIT 1', [
      s,
      waId,
      bool(fromMe),
    ]),
  quotable: (c, s, waId) =>
    one(
      c,
      'SELECT chat_jid, wa_id, from_me, sender_jid, body FROM messages WHERE session_id = $1 AND wa_id = $2 LIMIT 1',
      [s, waId],
    ),
  lastMessages: (c, s, chat, limit) =>
    all(
      c,
      `SELECT chat_jid, wa_id, from_me, sender_jid, sender_lid, timestamp FROM messages
       WHERE session_id = $1 AND chat_jid = $2 ORDER BY timestamp DESC, pk DESC LIMIT $3`,
      [s, chat, limit],
    ),
  chatByJid: (c, s, jid) => one(c, `SELECT ${chatColumns} FROM chats WHERE session_id = $1 AND jid = $2`, [s, jid]),
  upsertChat: (c, s, jid, type, name, unread, archived, pinnedAt, mutedUntil, lastMessageAt, now) =>
    one(
      c,
      `INSERT INTO chats (session_id, jid, type, name, unread_count, archived, pinned_at, muted_until, last_message_at,
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
       ON CONFLICT (session_id, jid) DO UPDATE SET name = excluded.name, unread_count = excluded.unread_count,
         archived = excluded.archived, pinned_at = excluded.pinned_at, muted_until = excluded.muted_until,
         last_message_at = excluded.last_message_at, updated_at = excluded.updated_at
       RETURNING ${chatColumns}`,
      [s, jid, type, name, unread, bool(archived), pinnedAt, mutedUntil, lastMessageAt, now],
    ),
  bumpChat: (c, s, jid, type, unread, lastMessageAt, now) =>
    exec(
      c,
      `INSERT INTO chats (session_id, jid, type, unread_count, last_message_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4::integer, greatest($5::bigint, 0), $6, $6)
       ON CONFLICT (session_id, jid) DO UPDATE SET unread_count = chats.unread_count + $4::integer,
         last_message_at = greatest(chats.last_message_at, $5::bigint), updated_at = $6
       WHERE $4::integer <> 0 OR chats.last_message_at < $5::bigint`,
      [s, jid, type, unread, lastMessageAt, now],
    ),
  chatView: (c, id) => one(c, `SELECT ${chatViewColumns} FROM chats c WHERE c.id = $1`, [id]),
  chatViewByJid: (c, s, jid) =>
    one(c, `SELECT ${chatViewColumns} FROM chats c WHERE c.session_id = $1 AND c.jid = $2`, [s, jid]),
  pnOfLid: (c, s, lid) =>
    one(c, 'SELECT jid FROM contacts WHERE session_id = $1 AND lid = $2 AND jid IS NOT NULL', [s, lid]),
  // SQLite's UPDATE OR IGNORE: a message already stored under the PN chat (same id) stays where it is.
  moveMessages: (c, s, lid, pn) =>
    exec(
      c,
      `UPDATE messages m SET chat_jid = $3,
         sender_jid = CASE WHEN NOT m.from_me AND m.sender_lid = $2 THEN coalesce(m.sender_jid, $3) ELSE m.sender_jid END
       WHERE m.session_id = $1 AND m.chat_jid = $2 AND NOT EXISTS (
         SELECT 1 FROM messages x WHERE x.session_id = $1 AND x.chat_jid = $3 AND x.wa_id = m.wa_id)`,
      [s, lid, pn],
    ),
  dropMessages: (c, s, chat) => exec(c, 'DELETE FROM messages WHERE session_id = $1 AND chat_jid = $2', [s, chat]),
  rekeyChat: (c, id, jid, now) => exec(c, 'UPDATE chats SET jid = $2, updated_at = $3 WHERE id = $1', [id, jid, now]),
  removeChat: (c, id) => exec(c, 'DELETE FROM chats WHERE id = $1', [id]),
  setMergedChat: (c, id, name, unread, archived, pinnedAt, mutedUntil, lastMessageAt, now) =>
    exec(
      c,
      `UPDATE chats SET name = $2, unread_count = $3, archived = $4, pinned_at = $5, muted_until = $6,
         last_message_at = $7, updated_at = $8 WHERE id = $1`,
      [id, name, unread, bool(archived), pinnedAt, mutedUntil, lastMessageAt, now],
    ),
  deleteChat: (c, s, jid) =>
    one(c, `DELETE FROM chats WHERE session_id = $1 AND jid = $2 RETURNING ${chatColumns}`, [s, jid]),
  contactBy: (c, s, jid, lid) =>
    all(
      c,
      'SELECT id, jid, lid, name, notify FROM contacts WHERE session_id = $1 AND (jid = $2 OR lid = $3) ORDER BY id LIMIT 2',
      [s, jid, lid],
    ),
  contactName: (c, s, jid, lid) =>
    one(c, 'SELECT name, notify FROM contacts WHERE session_id = $1 AND (jid = $2 OR lid = $3) ORDER BY id LIMIT 1', [
      s,
      jid,
      lid,
    ]),
  insertContact: (c, s, jid, lid, name, notify, verified, now) =>
    exec(
      c,
      'INSERT INTO contacts (session_id, jid, lid, name, notify, verified_name, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [s, jid, lid, name, notify, verified, now],
    ),
  // Only when something changed (see store/ingest-sql.ts).
  updateContact: (c, id, jid, lid, name, notify, verified, now) =>
    exec(
      c,
      `UPDATE contacts SET jid = coalesce(jid, $2::text), lid = coalesce(lid, $3::text), name = coalesce($4::text, name),
         notify = coalesce($5::text, notify), verified_name = coalesce($6::text, verified_name), updated_at = $7
       WHERE id = $1 AND (jid IS DISTINCT FROM coalesce(jid, $2::text) OR lid IS DISTINCT FROM coalesce(lid, $3::text)
         OR name IS DISTINCT FROM coalesce($4::text, name) OR notify IS DISTINCT FROM coalesce($5::text, notify)
         OR verified_name IS DISTINCT FROM coalesce($6::text, verified_name))`,
      [id, jid, lid, name, notify, verified, now],
    ),
  deleteContact: (c, id) => exec(c, 'DELETE FROM contacts WHERE id = $1', [id]),
  setBlocked: (c, s, jid, blocked, now) =>
    all(
      c,
      'UPDATE contacts SET blocked = $3, updated_at = $4 WHERE session_id = $1 AND (jid = $2 OR lid = $2) RETURNING id',
      [s, jid, bool(blocked), now],
    ),
  insertBlocked: (c, s, jid, lid, blocked, now) =>
    exec(c, 'INSERT INTO contacts (session_id, jid, lid, blocked, updated_at) VALUES ($1, $2, $3, $4, $5)', [
      s,
      jid,
      lid,
      bool(blocked),
      now,
    ]),
  mappingOf: (c, s, id) =>
    one(c, 'SELECT jid, lid FROM contacts WHERE session_id = $1 AND (jid = $2 OR lid = $2) LIMIT 1', [s, id]),
  channelByJid: (c, s, jid) =>
    one(c, `SELECT ${channelColumns} FROM channels WHERE session_id = $1 AND jid = $2`, [s, jid]),
  upsertChannel: (c, s, jid, name, description, role, following, muted, lastPostAt, now) =>
    one(
      c,
      `INSERT INTO channels (session_id, jid, name, description, role, following, muted, last_post_at, created_at,
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
       ON CONFLICT (session_id, jid) DO UPDATE SET name = coalesce(excluded.name, channels.name),
         description = coalesce(excluded.description, channels.description),
         role = coalesce(excluded.role, channels.role), following = excluded.following, muted = excluded.muted,
         last_post_at = greatest(coalesce(channels.last_post_at, 0), coalesce(excluded.last_post_at, 0)),
         updated_at = excluded.updated_at
       RETURNING ${channelColumns}`,
      [s, jid, name, description, role, bool(following), bool(muted), lastPostAt, now],
    ),
} satisfies Partial<AsyncOps<PgTx>>
