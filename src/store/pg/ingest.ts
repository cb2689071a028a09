// The PostgreSQL statement set of the engine's write path (sessions/ingest-steps.ts `Ops`), run on the connection of
// one transaction (fenced by the session's lease; see sessions/ingest-pg.ts) through ingest-tx.ts, which pipelines
// the statements whose answers no step reads. Messages, chats,
// contacts and channels are in ingest-messages.ts; sessions, groups, media jobs, polls, the send queue, auth-state
// keys and events here.
import { runAsync, type AsyncOps, type Step } from '../../sessions/ingest-steps.ts'
import { groupColumns } from '../groups.ts'
import { messageColumns } from '../messages.ts'
import { toQueued, type QueuedRow } from '../outbound.ts'
import { applyAuthOps } from './auth-state.ts'
import { appendPg } from './events.ts'
import { messageOps } from './ingest-messages.ts'
import { all, bool, exec, later, one, settle, type PgTx } from './ingest-tx.ts'

export type { PgTx }

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
  ...messageOps,
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
  // Kept by trigger (migration 0009): counting the queue's rows cost time in proportion to the queue.
  queueSize: async (c, s) =>
    (await one<{ n: number }>(c, 'SELECT n::int AS n FROM outbound_queue_sizes WHERE session_id = $1', [s]))?.n ?? 0,
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
  authApply: (c, s, ops) => later(c, applyAuthOps(c.tx, s, ops)),
  // pgevents' append: inside this transaction, with the NOTIFY that wakes every node once it commits. Pipelined: no
  // step reads what an append answers (`yield tx.emit(...)`), so it answers null at once here.
  append: async (c, e, now) => {
    await later(
      c,
      appendPg(c.tx, e, now).then((stored) => stored && c.appended.push(e.type)),
    )
    return null
  },
}

/** Runs an ingest step in the transaction `c`, its answer-less statements pipelined and settled before it returns. */
export const runPgTx = <T>(step: Step<T>, c: PgTx): Promise<T> => settle(c, () => runAsync(step, pgOps, c))
