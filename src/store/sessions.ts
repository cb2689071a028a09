// Sessions repository: org-scoped CRUD for the API, status writes for the supervisor.
import { and, eq } from 'drizzle-orm'
import { ulid } from 'ulid'
import type { AuthEpoch } from './auth-epoch.ts'
import type { CursorCodec } from './cursor.ts'
import type { Session, SessionStatus } from '../domain/session.ts'
import type { Db } from './db.ts'
import { afterKey, toPage, type PageQuery } from './paging.ts'
import { sessions } from './schema.ts'

type Row = typeof sessions.$inferSelect

/** The row in drizzle's camelCase shape, so raw statements and drizzle queries map the same way. */
const columns = `id, org_id AS orgId, name, metadata, desired_state AS desiredState, status, last_error AS lastError,
  phone, jid, lid, push_name AS pushName, undecryptable_count AS undecryptableCount, created_at AS createdAt,
  updated_at AS updatedAt, status_changed_at AS statusChangedAt, connected_at AS connectedAt`

export const sessionFromRow = (r: Row): Session => ({
  id: r.id,
  orgId: r.orgId,
  name: r.name,
  metadata: JSON.parse(r.metadata) as Record<string, unknown>,
  status: r.status as SessionStatus,
  desiredState: r.desiredState === 'running' ? 'running' : 'stopped',
  lastError: r.lastError,
  phone: r.phone,
  jid: r.jid,
  lid: r.lid,
  pushName: r.pushName,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
  statusChangedAt: r.statusChangedAt,
  connectedAt: r.connectedAt,
})

/** Fields the supervisor may change as a connection evolves. */
export type SessionLive = Partial<
  Pick<Session, 'status' | 'lastError' | 'phone' | 'jid' | 'lid' | 'pushName' | 'connectedAt' | 'desiredState'>
>

export type SessionStore = ReturnType<typeof createSessionStore>

export function createSessionStore(db: Db, codec: CursorCodec, epoch: AuthEpoch) {
  // Ownership facts (org, session) → true, held while the auth epoch stands still: a deleted session bumps it.
  const owned = epoch.cache<string, true>()
  const { sqlite, orm } = db
  const byOrg = sqlite.query<Row, [string, string]>(`SELECT ${columns} FROM sessions WHERE org_id = ? AND id = ?`)
  const listing = (orgId: string) => `sessions:${orgId}`

  return {
    create(input: { orgId: string; name: string; metadata?: Record<string, unknown> }): Session {
      const now = Date.now()
      const [row] = orm
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
        .all()
      return sessionFromRow(row!)
    },
    /** The session if it exists and belongs to `orgId`; null otherwise (callers answer 404 either way). */
    get(orgId: string, id: string): Session | null {
      const row = byOrg.get(orgId, id)
      return row ? sessionFromRow(row) : null
    },
    /**
     * Whether the session exists and belongs to `orgId`, from memory once seen (the read listings' ownership
     * check). Valid after the request refreshed the auth epoch; absent sessions are never cached.
     */
    owns(orgId: string, id: string): boolean {
      const k = `${orgId}\u0000${id}`
      if (owned.get(k)) return true
      if (!byOrg.get(orgId, id)) return false
      owned.set(k, true)
      return true
    },
    /** Unscoped lookup for the supervisor, which works on ids it already owns. */
    byId(id: string): Session | null {
      const row = orm.select().from(sessions).where(eq(sessions.id, id)).get()
      return row ? sessionFromRow(row) : null
    },
    /** Newest first. */
    page(orgId: string, q: PageQuery) {
      const after = afterKey(codec, listing(orgId), q, ['string'])
      const rows = sqlite
        .query<Row, [string, string, number]>(
          `SELECT ${columns} FROM sessions WHERE org_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
        )
        .all(orgId, (after?.[0] as string | undefined) ?? '\uffff', q.limit + 1)
      return toPage(codec, listing(orgId), rows, q.limit, (r) => [r.id], sessionFromRow)
    },
    update(orgId: string, id: string, patch: { name?: string; metadata?: Record<string, unknown> }): Session | null {
      const set: Partial<Row> = { updatedAt: Date.now() }
      if (patch.name !== undefined) set.name = patch.name
      if (patch.metadata !== undefined) set.metadata = JSON.stringify(patch.metadata)
      const row = orm
        .update(sessions)
        .set(set)
        .where(and(eq(sessions.orgId, orgId), eq(sessions.id, id)))
        .returning()
        .get()
      return row ? sessionFromRow(row) : null
    },
    /** Deletes the session and, by cascade, its stored copy and auth state. */
    delete(orgId: string, id: string): boolean {
      return (
        orm
          .delete(sessions)
          .where(and(eq(sessions.orgId, orgId), eq(sessions.id, id)))
          .returning({ id: sessions.id })
          .all().length > 0
      )
    },
    /** Applies a live-state change; returns the new session (or null if it was deleted meanwhile). */
    setLive(id: string, patch: SessionLive, now = Date.now()): Session | null {
      const set: Partial<Row> = { ...patch, updatedAt: now }
      if (patch.status) set.statusChangedAt = now
      const row = orm.update(sessions).set(set).where(eq(sessions.id, id)).returning().get()
      return row ? sessionFromRow(row) : null
    },
    /** Ids of sessions to reconnect at boot. */
    running(): string[] {
      return orm
        .select({ id: sessions.id })
        .from(sessions)
        .where(eq(sessions.desiredState, 'running'))
        .all()
        .map((r) => r.id)
    },
  }
}
