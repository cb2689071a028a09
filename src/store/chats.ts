// Chats repository (read side): the display-ordered listing and single-chat lookup.
import type { Chat, ChatType } from '../domain/chat.ts'
import type { CursorCodec } from './cursor.ts'
import type { Db } from './db.ts'
import { afterKey, toPage, type PageQuery } from './paging.ts'

export type ChatRow = {
  id: number
  session_id: string
  jid: string
  /** Only in served rows (chatViewColumns). */
  lid?: string | null
  type: string
  name: string | null
  unread_count: number
  archived: number
  pinned_at: number
  muted_until: number | null
  last_message_at: number
}

/**
 * A chat without a name of its own shows the contact's address-book name, push name or business name (by PN or
 * LID), or the group's subject: one indexed lookup per served row.
 */
export const displayName = `coalesce(c.name,
  (SELECT coalesce(k.name, k.notify, k.verified_name) FROM contacts k
    WHERE k.session_id = c.session_id AND (k.jid = c.jid OR k.lid = c.jid) LIMIT 1),
  (SELECT g.subject FROM groups g WHERE g.session_id = c.session_id AND g.jid = c.jid))`

/** A DM's LID: the chat's own JID while the person is known by LID only, else the contact's LID (PN↔LID mapping). */
export const lidOf = `CASE WHEN c.jid LIKE '%@lid' THEN c.jid WHEN c.type = 'dm' THEN
  (SELECT k.lid FROM contacts k WHERE k.session_id = c.session_id AND k.jid = c.jid) END`

/** A chat as served (API and events): the display name and the LID resolved. Alias `c` for `chats`. */
export const chatViewColumns = `c.id, c.session_id, c.jid, ${lidOf} AS lid, c.type, ${displayName} AS name,
  c.unread_count, c.archived, c.pinned_at, c.muted_until, c.last_message_at`

export const chatFromRow = (r: ChatRow): Chat => ({
  id: r.id,
  sessionId: r.session_id,
  jid: r.jid,
  lid: r.lid ?? null,
  type: r.type as ChatType,
  name: r.name,
  unreadCount: r.unread_count,
  archived: r.archived === 1,
  pinned: r.pinned_at > 0,
  mutedUntil: r.muted_until,
  lastMessageAt: r.last_message_at > 0 ? r.last_message_at : null,
})

export type ChatStore = ReturnType<typeof createChatStore>

/**
 * Display order is pinned first (most recently pinned on top), then most recent activity, ties by id —
 * one descending range of the `chats_display` index, continued with a row-value keyset predicate.
 */
export function createChatStore(db: Db, codec: CursorCodec) {
  const first = db.sqlite.query<ChatRow, [string, number]>(
    `SELECT ${chatViewColumns} FROM chats c WHERE session_id = ?
     ORDER BY pinned_at DESC, last_message_at DESC, id DESC LIMIT ?`,
  )
  const next = db.sqlite.query<ChatRow, [string, number, number, number, number]>(
    `SELECT ${chatViewColumns} FROM chats c WHERE session_id = ? AND (pinned_at, last_message_at, id) < (?, ?, ?)
     ORDER BY pinned_at DESC, last_message_at DESC, id DESC LIMIT ?`,
  )
  // By the chat's JID (one unique-index probe), or else by the LID of a person whose chat is kept under the phone
  // number (one chat per person): two statements, so the common case does not pay for the LID's lookups.
  const byJid = (columns: string) =>
    db.sqlite.query<ChatRow, [string, string]>(`SELECT ${columns} FROM chats c WHERE c.session_id = ?1 AND c.jid = ?2`)
  const byLid = (columns: string) =>
    db.sqlite.query<ChatRow, [string, string]>(
      `SELECT ${columns} FROM chats c WHERE c.session_id = ?1
         AND c.jid = (SELECT k.jid FROM contacts k WHERE k.session_id = ?1 AND k.lid = ?2)`,
    )
  const resolved = (columns: string) => {
    const [direct, viaLid] = [byJid(columns), byLid(columns)]
    return (sessionId: string, jid: string): ChatRow | null =>
      direct.get(sessionId, jid) ?? (jid.endsWith('@lid') ? viaLid.get(sessionId, jid) : null)
  }
  const one = resolved(chatViewColumns)
  // The same resolution, without the display name: what a chat's message listing needs.
  const ref = resolved(`c.jid, ${lidOf} AS lid`)
  const exists = db.sqlite.query<{ 1: number }, [string, string]>(
    'SELECT 1 FROM chats WHERE session_id = ? AND jid = ?',
  )
  const listing = (sessionId: string) => `chats:${sessionId}`

  return {
    page(sessionId: string, q: PageQuery) {
      const after = afterKey(codec, listing(sessionId), q, ['number', 'number', 'number']) as number[] | null
      const rows = after
        ? next.all(sessionId, after[0]!, after[1]!, after[2]!, q.limit + 1)
        : first.all(sessionId, q.limit + 1)
      return toPage(
        codec,
        listing(sessionId),
        rows,
        q.limit,
        (r) => [r.pinned_at, r.last_message_at, r.id],
        chatFromRow,
      )
    },
    /** By PN or LID JID: both answer the same chat once the mapping is known. */
    get(sessionId: string, jid: string): Chat | null {
      const row = one(sessionId, jid)
      return row ? chatFromRow(row) : null
    },
    /** Whether the chat is stored (one unique-index probe, none of the display-name lookups `get` makes). */
    has: (sessionId: string, jid: string) => exists.get(sessionId, jid) !== null,
    /** The stored chat's JID and LID, by PN or LID JID (no display-name lookups), or null. */
    ref: (sessionId: string, jid: string): { jid: string; lid: string | null } | null => {
      const row = ref(sessionId, jid)
      return row ? { jid: row.jid, lid: row.lid ?? null } : null
    },
  }
}
