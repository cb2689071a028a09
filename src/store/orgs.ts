// Organisations repository.
import type { Db } from './db.ts'

export type Org = { id: string; name: string; createdAt: number }

export type OrgStore = ReturnType<typeof createOrgStore>

export function createOrgStore(db: Db) {
  const insert = db.sqlite.query<Org, [string, string, number]>(
    'INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING id, name, created_at AS createdAt',
  )
  const one = db.sqlite.query<Org, [string]>('SELECT id, name, created_at AS createdAt FROM orgs WHERE id = ?')
  const all = db.sqlite.query<Org, []>('SELECT id, name, created_at AS createdAt FROM orgs ORDER BY created_at, id')
  const count = db.sqlite.query<{ n: number }, []>('SELECT count(*) AS n FROM orgs')

  return {
    /** Creates the org; null if the id is taken. */
    create(id: string, name = id): Org | null {
      return insert.get(id, name, Date.now())
    },
    /** Returns the org, creating it on first sight (organisations named by login JWTs). */
    ensure(id: string): Org {
      return one.get(id) ?? insert.get(id, id, Date.now()) ?? one.get(id)!
    },
    get: (id: string) => one.get(id),
    list: () => all.all(),
    isEmpty: () => (count.get()?.n ?? 0) === 0,
  }
}
