// Groups repository on PostgreSQL (src/store/groups.ts is the SQLite one): stored group metadata with members,
// paged by id. A page's members come in one query for all its groups (SQLite asks per group: there a query is a
// function call, here a round trip).
import type { Async } from '../contract.ts'
import type { CursorCodec } from '../cursor.ts'
import { groupColumns, groupFromRow, type GroupRow, type GroupStore, type ParticipantRow } from '../groups.ts'
import { afterKey, toPage, type PageQuery } from '../paging.ts'
import type { PgDb } from './db.ts'
import { bit, num, numOrNull } from './rows.ts'

const row = (r: Record<string, unknown>): GroupRow => ({
  ...(r as GroupRow),
  id: num(r.id),
  wa_created_at: numOrNull(r.wa_created_at),
  announce: bit(r.announce),
  locked: bit(r.locked),
  synced_at: numOrNull(r.synced_at),
})

export function createPgGroupStore(pg: PgDb, codec: CursorCodec): Async<GroupStore> {
  const { sql } = pg
  const cols = sql.unsafe(groupColumns)
  const listing = (sessionId: string) => `groups:${sessionId}`

  /**
   * Members of `groupJids` with the other half of their identity filled from the contacts' PN↔LID mapping, as
   * SQLite's `participantsSql`, in the order they were stored (`position`).
   */
  async function membersOf(sessionId: string, groupJids: string[]): Promise<Map<string, ParticipantRow[]>> {
    const out = new Map<string, ParticipantRow[]>(groupJids.map((j) => [j, []]))
    if (groupJids.length === 0) return out
    const rows = await sql`SELECT p.group_jid, p.jid, coalesce(p.lid, k.lid) AS lid, coalesce(p.pn, k.jid) AS pn,
        p.admin
      FROM group_participants p
      LEFT JOIN contacts k ON k.session_id = p.session_id AND (k.jid = p.jid OR k.lid = p.jid)
      WHERE p.session_id = ${sessionId} AND p.group_jid = ANY(${groupJids}::text[]) ORDER BY p.group_jid, p.position`
    for (const r of rows as (ParticipantRow & { group_jid: string })[])
      out.get(r.group_jid)?.push({ jid: r.jid, lid: r.lid, pn: r.pn, admin: r.admin })
    return out
  }

  return {
    async page(sessionId: string, q: PageQuery) {
      const after = afterKey(codec, listing(sessionId), q, ['number'])
      const rows: GroupRow[] = (
        await sql`SELECT ${cols} FROM groups WHERE session_id = ${sessionId}
          AND id > ${(after?.[0] as number | undefined) ?? 0} ORDER BY id LIMIT ${q.limit + 1}`
      ).map(row)
      const members = await membersOf(
        sessionId,
        rows.slice(0, q.limit).map((r: GroupRow) => r.jid),
      )
      return toPage(
        codec,
        listing(sessionId),
        rows,
        q.limit,
        (r) => [r.id],
        (r) => groupFromRow(r, members.get(r.jid)!),
      )
    },
    async get(sessionId: string, jid: string) {
      const [r] = await sql`SELECT ${cols} FROM groups WHERE session_id = ${sessionId} AND jid = ${jid}`
      if (!r) return null
      return groupFromRow(row(r), (await membersOf(sessionId, [jid])).get(jid)!)
    },
  }
}
