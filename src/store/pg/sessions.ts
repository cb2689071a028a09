// Sessions repository on PostgreSQL (src/store/sessions.ts is the SQLite one): drizzle as there, whose bigint
// columns here read as numbers (columns.ts), so rows map with the same `sessionFromRow`.
import { and, desc, eq, lt } from 'drizzle-orm'
import { ulid } from 'ulid'
import type { Session } from '../../domain/session.ts'
import type { Async } from '../contract.ts'
import type { CursorCodec } from '../cursor.ts'
import { afterKey, toPage, type PageQuery } from '../paging.ts'
import { sessionFromRow, type SessionLive, type SessionStore } from '../sessions.ts'
import type { PgAuthEpoch } from './auth-epoch.ts'
import type { PgDb } from './db.ts'
import { sessions } from './schema.ts'

type Row = typeof sessions.$inferSelect

export function createPgSessionStore(pg: PgDb, codec: CursorCodec, epoch: PgAuthEpoch): Async<SessionStore> {
  // Ownership facts (org, session) → true, held while the auth epoch stands still: a deleted session bumps it.
  const owned = epoch.cache<string, true>()
  const { orm } = pg
  const listing = (orgId: string) => `sessions:${orgId}`
  const byOrg = async (orgId: string, id: string) =>
    (
      await orm
        .select()
        .from(sessions)
        .where(and(eq(sessions.orgId, orgId), eq(sessions.id, id)))
    )[0]

  return {
    async create(input: { orgId: string; name: string; metadata?: Record<string, unknown> }): Promise<Session> {
      const now = Date.now()
      const [row] = await orm
        .insert(sessions)
        .values({
          id: ulid(now),
          orgId: input.orgId,
          name: input.name,
          metadata: JSON.stringify(input.metadata ?? {}),
          createdAt: now,
          updatedAt: now,
          statusChangedAt: now,
        })
        .returning()
      return sessionFromRow(row!)
    },
    async get(orgId: string, id: string): Promise<Session | null> {
      const row = await byOrg(orgId, id)
      return row ? sessionFromRow(row) : null
    },
    async owns(orgId: string, id: string): Promise<boolean> {
      const k = `${orgId}\u0000${id}`
      if (owned.get(k)) return true
      const since = owned.mark()
      if (!(await byOrg(orgId, id))) return false
      owned.set(k, true, since)
      return true
    },
    async byId(id: string): Promise<Session | null> {
      const [row] = await orm.select().from(sessions).where(eq(sessions.id, id))
      return row ? sessionFromRow(row) : null
    },
    async page(orgId: string, q: PageQuery) {
      const after = afterKey(codec, listing(orgId), q, ['string'])
      const rows = await orm
        .select()
        .from(sessions)
        .where(and(eq(sessions.orgId, orgId), after ? lt(sessions.id, after[0] as string) : undefined))
        .orderBy(desc(sessions.id))
        .limit(q.limit + 1)
      return toPage(codec, listing(orgId), rows, q.limit, (r) => [r.id], sessionFromRow)
    },
    async update(orgId: string, id: string, patch: { name?: string; metadata?: Record<string, unknown> }) {
      const set: Partial<Row> = { updatedAt: Date.now() }
      if (patch.name !== undefined) set.name = patch.name
      if (patch.metadata !== undefined) set.metadata = JSON.stringify(patch.metadata)
      const [row] = await orm
        .update(sessions)
        .set(set)
        .where(and(eq(sessions.orgId, orgId), eq(sessions.id, id)))
        .returning()
      return row ? sessionFromRow(row) : null
    },
    async delete(orgId: string, id: string): Promise<boolean> {
      const gone = await orm
        .delete(sessions)
        .where(and(eq(sessions.orgId, orgId), eq(sessions.id, id)))
        .returning({ id: sessions.id })
      return gone.length > 0
    },
    async setLive(id: string, patch: SessionLive, now = Date.now()): Promise<Session | null> {
      const set: Partial<Row> = { ...patch, updatedAt: now }
      if (patch.status) set.statusChangedAt = now
      const [row] = await orm.update(sessions).set(set).where(eq(sessions.id, id)).returning()
      return row ? sessionFromRow(row) : null
    },
    // SQLite answers these in rowid (creation) order; ids are ULIDs, so id order is creation order here.
    async running(): Promise<string[]> {
      const rows = await orm
        .select({ id: sessions.id })
        .from(sessions)
        .where(eq(sessions.desiredState, 'running'))
        .orderBy(sessions.id)
      return rows.map((r) => r.id)
    },
  }
}
