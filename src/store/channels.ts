// Channels repository (read side): the session's known channels, oldest known first.
import type { Channel } from '../domain/channel.ts'
import type { CursorCodec } from './cursor.ts'
import type { Db } from './db.ts'
import { afterKey, toPage, type PageQuery } from './paging.ts'

export type ChannelRow = {
  id: number
  session_id: string
  jid: string
  name: string | null
  description: string | null
  role: string | null
  following: number
  muted: number
  subscribers: number | null
  last_post_at: number | null
}

const columns = 'id, session_id, jid, name, description, role, following, muted, subscribers, last_post_at'

export const channelFromRow = (r: ChannelRow): Channel => ({
  id: r.id,
  sessionId: r.session_id,
  jid: r.jid,
  name: r.name,
  description: r.description,
  role: r.role,
  following: r.following === 1,
  muted: r.muted === 1,
  subscribers: r.subscribers,
  lastPostAt: r.last_post_at,
})

export type ChannelStore = ReturnType<typeof createChannelStore>

export function createChannelStore(db: Db, codec: CursorCodec) {
  const page = db.sqlite.query<ChannelRow, [string, number, number]>(
    `SELECT ${columns} FROM channels WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?`,
  )
  const one = db.sqlite.query<ChannelRow, [string, string]>(
    `SELECT ${columns} FROM channels WHERE session_id = ? AND jid = ?`,
  )
  const listing = (sessionId: string) => `channels:${sessionId}`

  return {
    page(sessionId: string, q: PageQuery) {
      const after = afterKey(codec, listing(sessionId), q, ['number'])
      const rows = page.all(sessionId, (after?.[0] as number | undefined) ?? 0, q.limit + 1)
      return toPage(codec, listing(sessionId), rows, q.limit, (r) => [r.id], channelFromRow)
    },
    get(sessionId: string, jid: string): Channel | null {
      const row = one.get(sessionId, jid)
      return row ? channelFromRow(row) : null
    },
  }
}
