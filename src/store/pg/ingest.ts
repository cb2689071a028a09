// The PostgreSQL statement set of the engine's write path (sessions/ingest-steps.ts `Ops`), run on the connection of
// one transaction (fenced by the session's lease; see sessions/ingest-pg.ts). Arguments and rows have the SQLite
// shape the ingest steps compare against: flags are 0/1 (boolean columns here), times and ids numbers (bigint here,
// which Bun.SQL reads as strings; all are below 2^53).
import type { SQL } from 'bun'
import type { AsyncOps } from '../../sessions/ingest-steps.ts'
import { chatViewColumns } from '../chats.ts'
import { groupColumns } from '../groups.ts'
import { messageColumns } from '../messages.ts'
import { applyAuthOps } from './auth-state.ts'
import { appendPg } from './events.ts'
import { toQueued, type QueuedRow } from '../outbound.ts'

/** One transaction's connection, and the types of the events it appended (to wake subscribers after commit). */
export type PgTx = { tx: SQL; appended: string[] }

// Bigint columns (and aliases) the steps read as numbers.
const BIG = new Set([
  'pk',
  'id',
  'seq',
  'server_id',
  'timestamp',
  'created_at',
  'updated_at',
  'pinned_at',
  'muted_until',
  'last_message_at',
  'last_post_at',
  'subscribers',
  'wa_created_at',
  'synced_at',
  'message_pk',
  'size',
  'next_attempt_at',
  'not_before',
  'createdAt',
  'updatedAt',
  'statusChangedAt',
  'connectedAt',
  'at',
])

/** A row in the SQLite shape: booleans as 0/1, bigint strings as numbers. */
function norm<T>(r: Record<string, unknown>): T {
  for (const k in r) {
    const v = r[k]
    if (typeof v === 'boolean') r[k] = v ? 1 : 0
    // `id` is a bigint in some tables (the send queue) and text in others (sessions): only digits are a number.
    else if (typeof v === 'string' && BIG.has(k) && (k !== 'id' || /^\d+$/.test(v))) r[k] = Number(v)
  }
  return r as T
}

const all = async <T>(c: PgTx, text: string, params: unknown[]): Promise<T[]> => {
  const rows = (await c.tx.unsafe(text, params)) as Record<string, unknown>[]
  return Array.from(rows, (r) => norm<T>(r))
}
const one = async <T>(c: PgTx, text: string, params: unknown[]): Promise<T | null> =>
  (await all<T>(c, text, params))[0] ?? null
const exec = async (c: PgTx, text: string, params: unknown[]): Promise<void> => {
  await c.tx.unsafe(text, params)
}
const bool = (v: number) => v === 1

const chatColumns = 'id, session_id, jid, type, name, unread_count, archived, pinned_at, muted_until, last_message_at'
const channelColumns = 'id, session_id, jid, name, description, role, following, muted, subscribers, last_post_at'
const sessionColumns = `id, org_id AS "orgId", name, metadata, desired_state AS "desiredState", status,
  last_error AS "lastError", phone, jid, lid, push_name AS "pushName", undecryptable_count AS "undecryptableCount",
  created_at AS "createdAt", updated_at AS "updatedAt", status_changed_at AS "statusChangedAt",
  connected_at AS "connectedAt"`
const jobColumns =
  'message_pk, session_id, kind, media_key, direct_path, url, file_sha256, file_enc_sha256, size, status, attempts, ' +
  'next_attempt_at, error'
const sessionCols: Record<string, string> = {
  status: 'status',
  lastError: 'last_error',
  phone: 'phone',
  jid: 'jid',
  lid: 'lid',
  pushName: 'push_name',
  connectedAt: 'connected_at',
  desiredState: 'desired_state',
  statusChangedAt: 'status_changed_at',
}
// Group members in the order they were stored (`position`, set when a member is first stored), as SQLite's.
const participantsSql = `SELECT p.jid, coalesce(p.lid, k.lid) AS lid, coalesce(p.pn, k.jid) AS pn, p.admin
  FROM group_participants p LEFT JOIN contacts k ON k.session_id = p.session_id AND (k.jid = p.jid OR k.lid = p.jid)
  WHERE p.session_id = $1 AND p.group_jid = $2 ORDER BY p.position`

export const pgOps: AsyncOps<PgTx> = {
  insertMessage: (c, r) =>
    one(
      c,
      `INSERT INTO messages (session_id, chat_jid, wa_id, server_id, from_me, sender_jid, sender_lid, sender_name, type,
         body, media, mentions, mention_names, quoted_id, status, ack_level, error, edited, deleted, location, contacts,
         poll, timestamp, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23,
         $24)
       ON CONFLICT DO NOTHING RETURNING ${messageColumns}`,
      [
        r.session_id,
        r.chat_jid,
        r.wa_id,
        r.server_id,
        bool(r.from_me),
        r.sender_jid,
        r.sender_lid,
        r.sender_name,
        r.type,
        r.body,
        r.media,
        r.mentions,
        r.mention_names,
        r.quoted_id,
        r.status,
        r.ack_level,
        r.error,
        bool(r.edited),
        bool(r.deleted),
        r.location,
        r.contacts,
        r.poll,
        r.timestamp,
        r.created_at,
      ],
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
  sessionById: (c, id) => one(c, `SELECT ${sessionColumns} FROM sessions WHERE id = $1`, [id]),
  setSession: (c, id, set, now) => {
    const entries = Object.entries(set).filter(([k, v]) => sessionCols[k] && v !== undefined)
    const assigns = [...entries.map(([k], i) => `${sessionCols[k]} = $${i + 1}`), `updated_at = $${entries.length + 1}`]
    const values = [...entries.map(([, v]) => v), now, id]
    return one(
      c,
      `UPDATE sessions SET ${assigns.join(', ')} WHERE id = $${values.length} RETURNING ${sessionColumns}`,
      values,
    )
  },
  runningSessions: (c) => all(c, "SELECT id FROM sessions WHERE desired_state = 'running' ORDER BY id", []),
  groupByJid: (c, s, jid) => one(c, `SELECT ${groupColumns} FROM groups WHERE session_id = $1 AND jid = $2`, [s, jid]),
  upsertGroup: (c, w) =>
    one(
      c,
      `INSERT INTO groups (session_id, jid, subject, description, description_id, owner, owner_pn, wa_created_at,
         announce, locked, ephemeral_seconds, addressing_mode, synced_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)
       ON CONFLICT (session_id, jid) DO UPDATE SET subject = excluded.subject, description = excluded.description,
         description_id = excluded.description_id, owner = excluded.owner, owner_pn = excluded.owner_pn,
         wa_created_at = excluded.wa_created_at, announce = excluded.announce, locked = excluded.locked,
         ephemeral_seconds = excluded.ephemeral_seconds, addressing_mode = excluded.addressing_mode,
         synced_at = excluded.synced_at, updated_at = excluded.updated_at
       RETURNING ${groupColumns}`,
      [
        w.session_id,
        w.jid,
        w.subject,
        w.description,
        w.description_id,
        w.owner,
        w.owner_pn,
        w.wa_created_at,
        bool(w.announce),
        bool(w.locked),
        w.ephemeral_seconds,
        w.addressing_mode,
        w.synced_at,
        w.now,
      ],
    ),
  participants: (c, s, g) =>
    all(
      c,
      'SELECT jid, lid, pn, admin FROM group_participants WHERE session_id = $1 AND group_jid = $2 ORDER BY position',
      [s, g],
    ),
  members: (c, s, g) => all(c, participantsSql, [s, g]),
  upsertParticipant: (c, s, g, jid, lid, pn, admin) =>
    exec(
      c,
      `INSERT INTO group_participants (session_id, group_jid, jid, lid, pn, admin, position)
       VALUES ($1, $2, $3, $4, $5, $6, (SELECT coalesce(max(position), 0) + 1 FROM group_participants
         WHERE session_id = $1 AND group_jid = $2))
       ON CONFLICT (session_id, group_jid, jid) DO UPDATE SET lid = coalesce(excluded.lid, group_participants.lid),
         pn = coalesce(excluded.pn, group_participants.pn), admin = excluded.admin`,
      [s, g, jid, lid, pn, admin],
    ),
  deleteParticipant: (c, s, g, jid) =>
    exec(c, 'DELETE FROM group_participants WHERE session_id = $1 AND group_jid = $2 AND jid = $3', [s, g, jid]),
  insertMediaJob: (c, j) =>
    exec(
      c,
      `INSERT INTO message_media (message_pk, session_id, kind, media_key, direct_path, url, file_sha256,
         file_enc_sha256, size, status, next_attempt_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (message_pk) DO NOTHING`,
      [
        j.message_pk,
        j.session_id,
        j.kind,
        j.media_key,
        j.direct_path,
        j.url,
        j.file_sha256,
        j.file_enc_sha256,
        j.size,
        j.status,
        j.next_attempt_at,
        j.updated_at,
      ],
    ),
  mediaJob: (c, pk) => one(c, `SELECT ${jobColumns} FROM message_media WHERE message_pk = $1`, [pk]),
  setMediaJob: (c, pk, status, attempts, next, error, directPath, url, now) =>
    exec(
      c,
      `UPDATE message_media SET status = $2, attempts = $3, next_attempt_at = $4, error = $5,
         direct_path = coalesce($6::text, direct_path), url = coalesce($7::text, url), updated_at = $8
       WHERE message_pk = $1`,
      [pk, status, attempts, next, error, directPath, url, now],
    ),
  dueMedia: (c, s, now, limit) =>
    all(
      c,
      `SELECT ${jobColumns.replace(/(^|, )/g, '$1j.')}, m.chat_jid, m.wa_id, m.from_me, m.sender_jid
       FROM message_media j JOIN messages m ON m.pk = j.message_pk
       WHERE j.session_id = $1 AND j.status = 'pending' AND j.next_attempt_at <= $2
       ORDER BY j.next_attempt_at, j.message_pk LIMIT $3`,
      [s, now, limit],
    ),
  nextMediaDue: (c, s) =>
    one(c, "SELECT min(next_attempt_at) AS at FROM message_media WHERE session_id = $1 AND status = 'pending'", [s]),
  setMediaJson: (c, json, pk) =>
    one(c, `UPDATE messages SET media = $1 WHERE pk = $2 RETURNING ${messageColumns}`, [json, pk]),
  mediaRef: (c, sha, s, owner, now) =>
    exec(
      c,
      'INSERT INTO media_refs (sha256, session_id, owner, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [sha, s, owner, now],
    ),
  fillKinds: (c, location, contacts, poll, pk) =>
    exec(
      c,
      `UPDATE messages SET location = coalesce(location, $1::text), contacts = coalesce(contacts, $2::text),
         poll = coalesce(poll, $3::text)
       WHERE pk = $4 AND (location IS NULL AND $1::text IS NOT NULL OR contacts IS NULL AND $2::text IS NOT NULL
         OR poll IS NULL AND $3::text IS NOT NULL)`,
      [location, contacts, poll, pk],
    ),
  upsertPoll: (c, pk, secret, options) =>
    exec(
      c,
      `INSERT INTO polls (message_pk, secret, options) VALUES ($1, $2, $3)
       ON CONFLICT (message_pk) DO UPDATE SET secret = coalesce(polls.secret, excluded.secret)`,
      [pk, secret, options],
    ),
  poll: (c, pk) => one(c, 'SELECT secret, options FROM polls WHERE message_pk = $1', [pk]),
  vote: (c, pk, voter) =>
    one(c, 'SELECT timestamp, options FROM poll_votes WHERE message_pk = $1 AND voter = $2', [pk, voter]),
  upsertVote: (c, pk, voter, options, timestamp) =>
    exec(
      c,
      `INSERT INTO poll_votes (message_pk, voter, options, timestamp) VALUES ($1, $2, $3, $4)
       ON CONFLICT (message_pk, voter) DO UPDATE SET options = excluded.options, timestamp = excluded.timestamp`,
      [pk, voter, options, timestamp],
    ),
  votes: (c, pk) =>
    all(c, 'SELECT voter, options FROM poll_votes WHERE message_pk = $1 ORDER BY timestamp, voter', [pk]),
  setPollJson: (c, json, pk) =>
    one(c, `UPDATE messages SET poll = $1 WHERE pk = $2 RETURNING ${messageColumns}`, [json, pk]),
  queueAdd: async (c, s, chat, waId, content, now) =>
    (await one<{ pk: number }>(
      c,
      'INSERT INTO outbound_queue (session_id, chat_jid, wa_id, content, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING pk',
      [s, chat, waId, JSON.stringify(content), now],
    ))!.pk,
  queueHead: async (c, s) => {
    const r = await one<QueuedRow>(c, 'SELECT * FROM outbound_queue WHERE session_id = $1 ORDER BY pk LIMIT 1', [s])
    return r ? toQueued(r) : null
  },
  queueSize: async (c, s) =>
    (await one<{ n: number }>(c, 'SELECT count(*)::int AS n FROM outbound_queue WHERE session_id = $1', [s]))!.n,
  queueRemove: (c, pk) => exec(c, 'DELETE FROM outbound_queue WHERE pk = $1', [pk]),
  queueRetryLater: (c, pk, attempts, error, notBefore) =>
    exec(c, 'UPDATE outbound_queue SET attempts = $2, not_before = $4, last_error = $3 WHERE pk = $1', [
      pk,
      attempts,
      error,
      notBefore,
    ]),
  queueSessions: async (c) =>
    (await all<{ session_id: string }>(c, 'SELECT DISTINCT session_id FROM outbound_queue', [])).map(
      (r) => r.session_id,
    ),
  authApply: (c, s, ops) => applyAuthOps(c.tx, s, ops),
  // pgevents' append: inside this transaction, with the NOTIFY that wakes every node once it commits.
  append: async (c, e, now) => {
    const stored = await appendPg(c.tx, e, now)
    if (stored) c.appended.push(e.type)
    return stored
  },
}
