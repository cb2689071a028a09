// Prepared statements for message media download jobs and polls: the engine's write path (sessions/ingest-media.ts)
// and the download queue's reads. Every statement runs inside the caller's transaction when there is one.
import type { Db } from './db.ts'
import { messageColumns, type MessageRow } from './messages.ts'

export type MediaJobRow = {
  message_pk: number
  session_id: string
  kind: string
  media_key: Uint8Array | null
  direct_path: string | null
  url: string | null
  file_sha256: string | null
  file_enc_sha256: string | null
  size: number | null
  status: string
  attempts: number
  next_attempt_at: number
  error: string | null
}

/** A due job with what a re-upload request needs: the message's key. */
export type DueJob = MediaJobRow & { chat_jid: string; wa_id: string; from_me: number; sender_jid: string | null }

const jobColumns =
  'message_pk, session_id, kind, media_key, direct_path, url, file_sha256, file_enc_sha256, size, status, attempts, ' +
  'next_attempt_at, error'

export type MediaSql = ReturnType<typeof createMediaSql>

export function createMediaSql(db: Db) {
  const q = db.sqlite.query.bind(db.sqlite)
  return {
    insertJob: q<unknown, [Omit<MediaJobRow, 'attempts' | 'error'> & { updated_at: number }]>(
      `INSERT INTO message_media (message_pk, session_id, kind, media_key, direct_path, url, file_sha256,
         file_enc_sha256, size, status, next_attempt_at, updated_at)
       VALUES ($message_pk, $session_id, $kind, $media_key, $direct_path, $url, $file_sha256, $file_enc_sha256, $size,
         $status, $next_attempt_at, $updated_at)
       ON CONFLICT (message_pk) DO NOTHING`,
    ),
    job: q<MediaJobRow, [number]>(`SELECT ${jobColumns} FROM message_media WHERE message_pk = ?`),
    due: q<DueJob, [string, number, number]>(
      `SELECT ${jobColumns.replace(/(^|, )/g, '$1j.')}, m.chat_jid, m.wa_id, m.from_me, m.sender_jid
       FROM message_media j JOIN messages m ON m.pk = j.message_pk
       WHERE j.session_id = ? AND j.status = 'pending' AND j.next_attempt_at <= ?
       ORDER BY j.next_attempt_at, j.message_pk LIMIT ?`,
    ),
    /** When the next pending job of a session is due (null: none). */
    nextDue: q<{ at: number | null }, [string]>(
      "SELECT min(next_attempt_at) AS at FROM message_media WHERE session_id = ? AND status = 'pending'",
    ),
    setJob: q<unknown, [number, string, number, number, string | null, string | null, string | null, number]>(
      `UPDATE message_media SET status = ?2, attempts = ?3, next_attempt_at = ?4, error = ?5,
         direct_path = coalesce(?6, direct_path), url = coalesce(?7, url), updated_at = ?8 WHERE message_pk = ?1`,
    ),
    /** Replaces the message's media JSON; returns the row for the event. */
    setMediaJson: q<MessageRow, [string, number]>(
      `UPDATE messages SET media = ? WHERE pk = ? RETURNING ${messageColumns}`,
    ),
    /** A message holds its media file (see store/media.ts): the sweep keeps it. */
    ref: q<unknown, [string, string, string, number]>(
      'INSERT INTO media_refs (sha256, session_id, owner, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    /** What an echo adds to a message stored before it was sent (location, contacts, poll of our own sends). */
    fillKinds: q<unknown, [string | null, string | null, string | null, number]>(
      `UPDATE messages SET location = coalesce(location, ?1), contacts = coalesce(contacts, ?2), poll = coalesce(poll, ?3)
       WHERE pk = ?4 AND (location IS NULL AND ?1 IS NOT NULL OR contacts IS NULL AND ?2 IS NOT NULL
         OR poll IS NULL AND ?3 IS NOT NULL)`,
    ),
    messageByPk: q<MessageRow, [number]>(`SELECT ${messageColumns} FROM messages WHERE pk = ?`),
    upsertPoll: q<unknown, [number, Uint8Array | null, string]>(
      `INSERT INTO polls (message_pk, secret, options) VALUES (?, ?, ?)
       ON CONFLICT (message_pk) DO UPDATE SET secret = coalesce(polls.secret, excluded.secret)`,
    ),
    poll: q<{ secret: Uint8Array | null; options: string }, [number]>(
      'SELECT secret, options FROM polls WHERE message_pk = ?',
    ),
    vote: q<{ timestamp: number; options: string }, [number, string]>(
      'SELECT timestamp, options FROM poll_votes WHERE message_pk = ? AND voter = ?',
    ),
    upsertVote: q<unknown, [number, string, string, number]>(
      `INSERT INTO poll_votes (message_pk, voter, options, timestamp) VALUES (?, ?, ?, ?)
       ON CONFLICT (message_pk, voter) DO UPDATE SET options = excluded.options, timestamp = excluded.timestamp`,
    ),
    votes: q<{ voter: string; options: string }, [number]>(
      'SELECT voter, options FROM poll_votes WHERE message_pk = ? ORDER BY timestamp, voter',
    ),
    setPollJson: q<MessageRow, [string, number]>(
      `UPDATE messages SET poll = ? WHERE pk = ? RETURNING ${messageColumns}`,
    ),
  }
}
