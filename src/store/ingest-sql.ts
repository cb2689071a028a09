// Raw prepared statements for the engine's write path (stored copy + session live state), prepared once per db.
import type { ChannelRow } from './channels.ts'
import type { ChatRow } from './chats.ts'
import type { Db } from './db.ts'
import { messageColumns, type MessageRow } from './messages.ts'

const chatColumns = 'id, session_id, jid, type, name, unread_count, archived, pinned_at, muted_until, last_message_at'
const channelColumns = 'id, session_id, jid, name, description, role, following, muted, subscribers, last_post_at'
const sessionColumns = `id, org_id AS orgId, name, metadata, desired_state AS desiredState, status, last_error AS lastError,
  phone, jid, lid, push_name AS pushName, undecryptable_count AS undecryptableCount, created_at AS createdAt,
  updated_at AS updatedAt, status_changed_at AS statusChangedAt, connected_at AS connectedAt`

export type NewMessageRow = Omit<MessageRow, 'pk'> & { server_id: number | null }
export type SessionRow = {
  id: string
  orgId: string
  name: string
  metadata: string
  desiredState: string
  status: string
  lastError: string | null
  phone: string | null
  jid: string | null
  lid: string | null
  pushName: string | null
  undecryptableCount: number
  createdAt: number
  updatedAt: number
  statusChangedAt: number
  connectedAt: number | null
}

export type IngestSql = ReturnType<typeof createIngestSql>

/** The columns a new message is inserted with, in the order `bindMessage` gives their values (both dialects). */
export const messageInsertColumns = `session_id, chat_jid, wa_id, server_id, from_me, sender_jid, sender_lid,
  sender_name, type, body, media, mentions, mention_names, quoted_id, status, ack_level, error, edited, deleted,
  location, contacts, poll, timestamp, created_at`

/** A new message's values in `messageInsertColumns` order; `flag` maps the 0/1 columns (PostgreSQL binds booleans). */
export function bindMessage(r: NewMessageRow): MessageBindings
export function bindMessage<F>(r: NewMessageRow, flag: (v: number) => F): (string | number | F | null)[]
export function bindMessage(r: NewMessageRow, flag: (v: number) => unknown = (v) => v): unknown[] {
  return [
    r.session_id,
    r.chat_jid,
    r.wa_id,
    r.server_id,
    flag(r.from_me),
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
    flag(r.edited),
    flag(r.deleted),
    r.location,
    r.contacts,
    r.poll,
    r.timestamp,
    r.created_at,
  ]
}
type MessageBindings = (string | number | null)[]

/** Every statement runs inside the caller's transaction (see sessions/ingest.ts); none awaits. */
export function createIngestSql(db: Db) {
  const q = db.sqlite.query.bind(db.sqlite)
  // Positional, and no RETURNING: the new row is the values bound plus its pk (`insertMessage` below). Reading 24
  // columns back and binding them by name cost the history ingest a fifth of its CPU per row (scripts/bench/ingest.ts).
  const insertMessageStmt = q<never, MessageBindings>(
    `INSERT INTO messages (${messageInsertColumns})
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT DO NOTHING`,
  )
  /**
   * Inserts a message unless its key is stored; the stored row (as RETURNING would give it), or null. The row given
   * becomes the answer, with its pk: copying its 24 fields into a new object showed in the history ingest profile.
   */
  function insertMessage(row: NewMessageRow): MessageRow | null {
    const { changes, lastInsertRowid } = insertMessageStmt.run(...bindMessage(row))
    if (!changes) return null
    return Object.assign(row, { pk: Number(lastInsertRowid) })
  }
  const messageByKey = q<MessageRow & { server_id: number | null }, [string, string, string]>(
    `SELECT ${messageColumns}, server_id FROM messages WHERE session_id = ? AND chat_jid = ? AND wa_id = ?`,
  )
  const messageByServerId = q<{ pk: number }, [string, string, number]>(
    'SELECT pk FROM messages WHERE session_id = ? AND chat_jid = ? AND server_id = ?',
  )
  const messageByWaId = q<MessageRow & { reactions: string }, [string, string, number]>(
    `SELECT ${messageColumns}, reactions FROM messages WHERE session_id = ? AND wa_id = ? AND from_me = ? LIMIT 1`,
  )
  const replaceContent = q<MessageRow, [Omit<NewMessageRow, 'created_at'> & { pk: number }]>(
    `UPDATE messages SET type = $type, body = $body, media = $media, mentions = $mentions, mention_names = $mention_names,
       quoted_id = $quoted_id, location = $location, contacts = $contacts, poll = $poll, sender_name = coalesce($sender_name, sender_name) WHERE pk = $pk RETURNING ${messageColumns}`,
  )
  const setMessage = q<MessageRow, [number, string, number, string | null, string | null, number, number, string]>(
    `UPDATE messages SET status = ?2, ack_level = ?3, error = coalesce(?4, error), body = coalesce(?5, body),
       edited = ?6, deleted = ?7, reactions = ?8 WHERE pk = ?1 RETURNING ${messageColumns}`,
  )
  const chatByJid = q<ChatRow, [string, string]>(`SELECT ${chatColumns} FROM chats WHERE session_id = ? AND jid = ?`)
  const upsertChat = q<
    ChatRow,
    [string, string, string, string | null, number, number, number, number | null, number, number]
  >(
    `INSERT INTO chats (session_id, jid, type, name, unread_count, archived, pinned_at, muted_until, last_message_at,
       created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
     ON CONFLICT (session_id, jid) DO UPDATE SET name = excluded.name, unread_count = excluded.unread_count,
       archived = excluded.archived, pinned_at = excluded.pinned_at, muted_until = excluded.muted_until,
       last_message_at = excluded.last_message_at, updated_at = excluded.updated_at
     RETURNING ${chatColumns}`,
  )
  // Inserted as applyChatPatch would (no name, not archived, pinned or muted); an update writes only a change.
  const bumpChat = q<unknown, [string, string, string, number, number, number]>(
    `INSERT INTO chats (session_id, jid, type, unread_count, last_message_at, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, max(?5, 0), ?6, ?6)
     ON CONFLICT (session_id, jid) DO UPDATE SET unread_count = unread_count + ?4,
       last_message_at = max(last_message_at, ?5), updated_at = ?6
     WHERE ?4 <> 0 OR last_message_at < ?5`,
  )
  const upsertContact = q<
    unknown,
    [string, string | null, string | null, string | null, string | null, string | null, number]
  >(
    `INSERT INTO contacts (session_id, jid, lid, name, notify, verified_name, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`,
  )
  type ContactRow = { id: number; jid: string | null; lid: string | null; name: string | null; notify: string | null }
  const contactBy = q<ContactRow, [string, string | null, string | null]>(
    'SELECT id, jid, lid, name, notify FROM contacts WHERE session_id = ?1 AND (jid = ?2 OR lid = ?3) ORDER BY id LIMIT 2',
  )
  const deleteContact = q<unknown, [number]>('DELETE FROM contacts WHERE id = ?1')
  // Only when something changed: every message names its sender, and a write per message costs a page.
  const updateContact = q<
    unknown,
    [number, string | null, string | null, string | null, string | null, string | null, number]
  >(
    `UPDATE contacts SET jid = coalesce(jid, ?2), lid = coalesce(lid, ?3), name = coalesce(?4, name),
       notify = coalesce(?5, notify), verified_name = coalesce(?6, verified_name), updated_at = ?7
     WHERE id = ?1 AND (jid IS NOT coalesce(jid, ?2) OR lid IS NOT coalesce(lid, ?3) OR name IS NOT coalesce(?4, name)
       OR notify IS NOT coalesce(?5, notify) OR verified_name IS NOT coalesce(?6, verified_name))`,
  )
  const channelByJid = q<ChannelRow, [string, string]>(
    `SELECT ${channelColumns} FROM channels WHERE session_id = ? AND jid = ?`,
  )
  const upsertChannel = q<
    ChannelRow,
    [string, string, string | null, string | null, string | null, number, number, number | null, number]
  >(
    `INSERT INTO channels (session_id, jid, name, description, role, following, muted, last_post_at, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
     ON CONFLICT (session_id, jid) DO UPDATE SET name = coalesce(excluded.name, name),
       description = coalesce(excluded.description, description), role = coalesce(excluded.role, role),
       following = excluded.following, muted = excluded.muted,
       last_post_at = max(coalesce(last_post_at, 0), coalesce(excluded.last_post_at, 0)), updated_at = excluded.updated_at
     RETURNING ${channelColumns}`,
  )
  const sessionById = q<SessionRow, [string]>(`SELECT ${sessionColumns} FROM sessions WHERE id = ?`)
  const countUndecryptable = q<unknown, [string]>(
    'UPDATE sessions SET undecryptable_count = undecryptable_count + 1 WHERE id = ?',
  )
  const messageForGet = q<{ body: string | null; type: string }, [string, string, number]>(
    'SELECT body, type FROM messages WHERE session_id = ? AND wa_id = ? AND from_me = ? LIMIT 1',
  )

  const contactName = q<{ name: string | null; notify: string | null }, [string, string, string]>(
    'SELECT name, notify FROM contacts WHERE session_id = ?1 AND (jid = ?2 OR lid = ?3) ORDER BY id LIMIT 1',
  )
  const quotable = q<
    { chat_jid: string; wa_id: string; from_me: number; sender_jid: string | null; body: string | null },
    [string, string]
  >('SELECT chat_jid, wa_id, from_me, sender_jid, body FROM messages WHERE session_id = ? AND wa_id = ? LIMIT 1')
  const lastMessages = q<
    {
      chat_jid: string
      wa_id: string
      from_me: number
      sender_jid: string | null
      sender_lid: string | null
      timestamp: number
    },
    [string, string, number]
  >(
    `SELECT chat_jid, wa_id, from_me, sender_jid, sender_lid, timestamp FROM messages
     WHERE session_id = ? AND chat_jid = ? ORDER BY timestamp DESC, pk DESC LIMIT ?`,
  )
  const running = q<{ id: string }, []>("SELECT id FROM sessions WHERE desired_state = 'running' ORDER BY id")

  return {
    contactName,
    lastMessages,
    quotable,
    running,
    insertMessage,
    messageByKey,
    messageByServerId,
    messageByWaId,
    replaceContent,
    setMessage,
    chatByJid,
    upsertChat,
    bumpChat,
    upsertContact,
    contactBy,
    deleteContact,
    updateContact,
    channelByJid,
    upsertChannel,
    sessionById,
    countUndecryptable,
    messageForGet,
    /** Writes the live-state columns the supervisor owns; returns the new row. */
    setSession(id: string, set: Partial<Omit<SessionRow, 'id' | 'orgId'>>, now: number): SessionRow | null {
      const cols: Record<string, string> = {
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
      const entries = Object.entries(set).filter(([k, v]) => cols[k] && v !== undefined)
      const assigns = [...entries.map(([k]) => `${cols[k]} = ?`), 'updated_at = ?'].join(', ')
      const values = [...entries.map(([, v]) => v as string | number | null), now, id]
      return db.sqlite
        .query<SessionRow, (string | number | null)[]>(
          `UPDATE sessions SET ${assigns} WHERE id = ? RETURNING ${sessionColumns}`,
        )
        .get(...values)
    },
  }
}
