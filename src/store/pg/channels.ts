// Channels repository on PostgreSQL (src/store/channels.ts is the SQLite one): oldest known first, by id.
import { channelFromRow, type ChannelRow, type ChannelStore } from '../channels.ts'
import type { Async } from '../contract.ts'
import type { CursorCodec } from '../cursor.ts'
import { afterKey, toPage, type PageQuery } from '../paging.ts'
import type { PgDb } from './db.ts'
import { bit, num, numOrNull } from './rows.ts'

const row = (r: Record<string, unknown>): ChannelRow => ({
  ...(r as ChannelRow),
  id: num(r.id),
  following: bit(r.following),
  muted: bit(r.muted),
  subscribers: numOrNull(r.subscribers),
  last_post_at: numOrNull(r.last_post_at),
})

export function createPgChannelStore(pg: PgDb, codec: CursorCodec): Async<ChannelStore> {
  const { sql } = pg
  const cols = sql.unsafe('id, session_id, jid, name, description, role, following, muted, subscribers, last_post_at')
  const listing = (sessionId: string) => `channels:${sessionId}`

  return {
    async page(sessionId: string, q: PageQuery) {
      const after = afterKey(codec, listing(sessionId), q, ['number'])
      const rows = await sql`SELECT ${cols} FROM channels WHERE session_id = ${sessionId}
        AND id > ${(after?.[0] as number | undefined) ?? 0} ORDER BY id LIMIT ${q.limit + 1}`
      return toPage(codec, listing(sessionId), rows.map(row), q.limit, (r) => [r.id], channelFromRow)
    },
    async get(sessionId: string, jid: string) {
      const [r] = await sql`SELECT ${cols} FROM channels WHERE session_id = ${sessionId} AND jid = ${jid}`
      return r ? channelFromRow(row(r)) : null
    },
  }
}
