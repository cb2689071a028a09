// Contacts repository on PostgreSQL (src/store/contacts.ts is the SQLite one): paged by id, found by PN or LID.
import { contactFromRow, type ContactRow, type ContactStore } from '../contacts.ts'
import type { Async } from '../contract.ts'
import type { CursorCodec } from '../cursor.ts'
import { afterKey, toPage, type PageQuery } from '../paging.ts'
import type { PgDb } from './db.ts'
import { bit, num } from './rows.ts'

const row = (r: Record<string, unknown>): ContactRow => ({
  ...(r as ContactRow),
  id: num(r.id),
  blocked: bit(r.blocked),
})

export function createPgContactStore(pg: PgDb, codec: CursorCodec): Async<ContactStore> {
  const { sql } = pg
  const cols = sql.unsafe('id, jid, lid, name, notify, verified_name, blocked')
  const listing = (sessionId: string) => `contacts:${sessionId}`

  return {
    async page(sessionId: string, q: PageQuery) {
      const after = afterKey(codec, listing(sessionId), q, ['number'])
      const rows = await sql`SELECT ${cols} FROM contacts WHERE session_id = ${sessionId}
        AND id > ${(after?.[0] as number | undefined) ?? 0} ORDER BY id LIMIT ${q.limit + 1}`
      return toPage(codec, listing(sessionId), rows.map(row), q.limit, (r) => [r.id], contactFromRow)
    },
    async get(sessionId: string, jid: string) {
      const [r] = await sql`SELECT ${cols} FROM contacts WHERE session_id = ${sessionId}
        AND (jid = ${jid} OR lid = ${jid}) ORDER BY id LIMIT 1`
      return r ? contactFromRow(row(r)) : null
    },
  }
}
