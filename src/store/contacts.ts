// Contacts repository (read side): one person per row, found by PN or LID JID, paged by id.
import { phoneOf, type Contact } from '../domain/contact.ts'
import type { CursorCodec } from './cursor.ts'
import type { Db } from './db.ts'
import { afterKey, toPage, type PageQuery } from './paging.ts'

export type ContactRow = {
  id: number
  jid: string | null
  lid: string | null
  name: string | null
  notify: string | null
  verified_name: string | null
  blocked: number
}

const columns = 'id, jid, lid, name, notify, verified_name, blocked'

export const contactFromRow = (r: ContactRow): Contact => ({
  jid: r.jid,
  lid: r.lid,
  phone: phoneOf(r.jid),
  name: r.name,
  pushName: r.notify,
  businessName: r.verified_name,
  verified: r.verified_name !== null,
  blocked: r.blocked === 1,
})

export type ContactStore = ReturnType<typeof createContactStore>

export function createContactStore(db: Db, codec: CursorCodec) {
  const page = db.sqlite.query<ContactRow, [string, number, number]>(
    `SELECT ${columns} FROM contacts WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?`,
  )
  const one = db.sqlite.query<ContactRow, [string, string]>(
    `SELECT ${columns} FROM contacts WHERE session_id = ?1 AND (jid = ?2 OR lid = ?2) ORDER BY id LIMIT 1`,
  )
  const listing = (sessionId: string) => `contacts:${sessionId}`

  return {
    page(sessionId: string, q: PageQuery) {
      const after = afterKey(codec, listing(sessionId), q, ['number'])
      const rows = page.all(sessionId, (after?.[0] as number | undefined) ?? 0, q.limit + 1)
      return toPage(codec, listing(sessionId), rows, q.limit, (r) => [r.id], contactFromRow)
    },
    /** By phone-number JID or LID: both name the same stored contact once the mapping is known. */
    get(sessionId: string, jid: string): Contact | null {
      const row = one.get(sessionId, jid)
      return row ? contactFromRow(row) : null
    },
  }
}
