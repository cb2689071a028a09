// Groups repository (read side): stored group metadata with members, paged by id.
import type { CursorCodec } from './cursor.ts'
import { phoneOf } from '../domain/contact.ts'
import type { Group, GroupAdmin, GroupParticipant } from '../domain/group.ts'
import type { Db } from './db.ts'
import { afterKey, toPage, type PageQuery } from './paging.ts'

export type GroupRow = {
  id: number
  session_id: string
  jid: string
  subject: string | null
  description: string | null
  description_id: string | null
  owner: string | null
  owner_pn: string | null
  wa_created_at: number | null
  announce: number
  locked: number
  ephemeral_seconds: number
  addressing_mode: string | null
  synced_at: number | null
}

export type ParticipantRow = { jid: string; lid: string | null; pn: string | null; admin: string | null }

export const groupColumns =
  'id, session_id, jid, subject, description, description_id, owner, owner_pn, wa_created_at, announce, locked, ' +
  'ephemeral_seconds, addressing_mode, synced_at'

/** Members with the other half of their identity filled from the contacts' PN↔LID mapping. */
export const participantsSql = `SELECT p.jid, coalesce(p.lid, k.lid) AS lid, coalesce(p.pn, k.jid) AS pn, p.admin
  FROM group_participants p LEFT JOIN contacts k ON k.session_id = p.session_id AND (k.jid = p.jid OR k.lid = p.jid)
  WHERE p.session_id = ? AND p.group_jid = ? ORDER BY p.position`

export const participantFromRow = (p: ParticipantRow): GroupParticipant => ({
  jid: p.jid,
  lid: p.lid ?? (p.jid.endsWith('@lid') ? p.jid : null),
  phone: phoneOf(p.pn ?? p.jid),
  admin: (p.admin as GroupAdmin) ?? null,
})

export const groupFromRow = (r: GroupRow, members: ParticipantRow[]): Group => ({
  id: r.id,
  sessionId: r.session_id,
  jid: r.jid,
  subject: r.subject,
  description: r.description,
  owner: r.owner_pn ?? r.owner,
  createdAt: r.wa_created_at,
  announce: r.announce === 1,
  locked: r.locked === 1,
  ephemeralSeconds: r.ephemeral_seconds,
  size: members.length,
  participants: members.map(participantFromRow),
})

export type GroupStore = ReturnType<typeof createGroupStore>

export function createGroupStore(db: Db, codec: CursorCodec) {
  const page = db.sqlite.query<GroupRow, [string, number, number]>(
    `SELECT ${groupColumns} FROM groups WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?`,
  )
  const one = db.sqlite.query<GroupRow, [string, string]>(
    `SELECT ${groupColumns} FROM groups WHERE session_id = ? AND jid = ?`,
  )
  const members = db.sqlite.query<ParticipantRow, [string, string]>(participantsSql)
  const listing = (sessionId: string) => `groups:${sessionId}`

  return {
    page(sessionId: string, q: PageQuery) {
      const after = afterKey(codec, listing(sessionId), q, ['number'])
      const rows = page.all(sessionId, (after?.[0] as number | undefined) ?? 0, q.limit + 1)
      return toPage(
        codec,
        listing(sessionId),
        rows,
        q.limit,
        (r) => [r.id],
        (r) => groupFromRow(r, members.all(sessionId, r.jid)),
      )
    },
    get(sessionId: string, jid: string): Group | null {
      const row = one.get(sessionId, jid)
      return row ? groupFromRow(row, members.all(sessionId, jid)) : null
    },
  }
}
