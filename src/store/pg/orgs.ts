// Organisations repository on PostgreSQL (src/store/orgs.ts is the SQLite one; same answers).
import type { Async } from '../contract.ts'
import type { Org, OrgStore } from '../orgs.ts'
import type { PgDb } from './db.ts'
import { num } from './rows.ts'

type Row = { id: string; name: string; created_at: string | number }

const org = (r: Row): Org => ({ id: r.id, name: r.name, createdAt: num(r.created_at) })

export function createPgOrgStore(pg: PgDb): Async<OrgStore> {
  const { sql } = pg
  const insert = async (id: string, name: string) => {
    const [r] = await sql<Row[]>`INSERT INTO orgs (id, name, created_at) VALUES (${id}, ${name}, ${Date.now()})
      ON CONFLICT DO NOTHING RETURNING id, name, created_at`
    return r ? org(r) : null
  }
  const one = async (id: string) => {
    const [r] = await sql<Row[]>`SELECT id, name, created_at FROM orgs WHERE id = ${id}`
    return r ? org(r) : null
  }

  return {
    create: (id: string, name = id) => insert(id, name),
    async ensure(id: string) {
      return (await one(id)) ?? (await insert(id, id)) ?? (await one(id))!
    },
    get: one,
    async list() {
      // COLLATE "C": ties in SQLite's byte order whatever the database's collation (org ids are free-form).
      const rows = await sql<Row[]>`SELECT id, name, created_at FROM orgs ORDER BY created_at, id COLLATE "C"`
      return rows.map(org)
    },
    async isEmpty() {
      const [r] = await sql`SELECT NOT EXISTS (SELECT 1 FROM orgs) AS empty`
      return r.empty === true
    },
  }
}
