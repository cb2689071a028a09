// The ingest under test on both dialects: organisation `o` with session `s`, fresh for every test. SQLite: a new
// in-memory store per test, the synchronous ingest behind its promise face (asyncRepo). PostgreSQL: one database per
// file on 127.0.0.1:5432 (test/helpers/pg.ts: failing, never skipping, when it is down), emptied before every test,
// and the fenced-capable PostgreSQL ingest without leases.
//
//   describe.each(dialects)('%s', (dialect) => {
//     useIngest(dialect, (x) => (h = x))
//     it('…', async () => { await h.ingest.batch('s', …) })
//   })
import { afterAll, afterEach, beforeAll, beforeEach } from 'bun:test'
import { createIngest } from '../../src/sessions/ingest.ts'
import { createPgIngest, type PgIngest } from '../../src/sessions/ingest-pg.ts'
import { chatFromRow } from '../../src/store/chats.ts'
import { createChatStore } from '../../src/store/chats.ts'
import { asyncRepo } from '../../src/store/contract.ts'
import { createCursorCodec } from '../../src/store/cursor.ts'
import { openDb, type Db } from '../../src/store/db.ts'
import { createEventStore } from '../../src/store/events.ts'
import { migratePg, openPg, type PgDb } from '../../src/store/pg/db.ts'
import { pgOps } from '../../src/store/pg/ingest.ts'
import { orgs, sessions } from '../../src/store/schema.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts'

export const me = { jid: '15550000001@s.whatsapp.net', lid: '900000000001@lid' }
export const BOB = '15550000002@s.whatsapp.net'

export const dialects = ['sqlite', 'postgres'] as const
export type DialectName = (typeof dialects)[number]

/** The ingest as the engine sees it on either dialect: every method answers a promise. */
export type AnyIngest = Omit<PgIngest, 'idle'>

export type Harness = {
  dialect: DialectName
  ingest: AnyIngest
  /** Rows of a query written with `?` placeholders, in SQLite's shape (flags 0/1, numbers for integer columns). */
  all(text: string, ...params: unknown[]): Promise<Record<string, any>[]>
  /** The first row, or null. */
  one(text: string, ...params: unknown[]): Promise<Record<string, any> | null>
  /** Runs a statement written with `?` placeholders. */
  exec(text: string, ...params: unknown[]): Promise<void>
  /** The chat as the API serves it (by its JID, or by the LID of a person kept under the phone number). */
  served(jid: string): Promise<ReturnType<typeof chatFromRow> | null>
  /** Makes every insert of a message with this WhatsApp id fail ("boom"), to test rollbacks. */
  failOnMessage(waId: string): Promise<void>
  /** The SQLite store (SQLite only). */
  db: Db | null
  pg: PgDb | null
}

// Integer columns Bun.SQL answers as strings (int8) that the tests compare as numbers.
const BIG =
  /^(n|id|pk|seq|server_id|timestamp|created_at|updated_at|pinned_at|muted_until|last_message_at|synced_at|wa_created_at|last_post_at|message_pk|size|next_attempt_at|not_before)$/
const shape = (r: Record<string, unknown>) => {
  for (const k in r) {
    const v = r[k]
    if (typeof v === 'boolean') r[k] = v ? 1 : 0
    else if (typeof v === 'string' && BIG.test(k)) r[k] = Number(v)
  }
  return r
}
const numbered = (text: string) => {
  let i = 0
  return text.replace(/\?/g, () => `$${++i}`).replace(/\browid\b/g, 'ctid')
}
const codec = createCursorCodec(new Uint8Array(32))

function sqliteHarness(): Harness & { close(): void } {
  const db = openDb(':memory:')
  db.orm.insert(orgs).values({ id: 'o', name: 'o' }).run()
  db.orm.insert(sessions).values({ id: 's', orgId: 'o', name: 's' }).run()
  const ingest = createIngest({ db, events: createEventStore(db) })
  const all = async (text: string, ...params: unknown[]) =>
    db.sqlite.query<Record<string, any>, never[]>(text).all(...(params as never[]))
  return {
    dialect: 'sqlite',
    ingest: { ...asyncRepo(ingest), queue: asyncRepo(ingest.queue) } as unknown as AnyIngest,
    all,
    one: async (text, ...params) => (await all(text, ...params))[0] ?? null,
    exec: async (text, ...params) => void db.sqlite.query(text).run(...(params as never[])),
    served: async (jid) => createChatStore(db, codec).get('s', jid),
    async failOnMessage(waId) {
      db.sqlite.run(
        `CREATE TRIGGER boom BEFORE INSERT ON messages WHEN NEW.wa_id = '${waId}' BEGIN SELECT RAISE(ABORT, 'boom'); END`,
      )
    },
    db,
    pg: null,
    close: () => db.close(),
  }
}

function pgHarness(pg: PgDb): Harness {
  const ingest = createPgIngest({ sql: pg.sql })
  const all = async (text: string, ...params: unknown[]) =>
    [...((await pg.sql.unsafe(numbered(text), params)) as Record<string, unknown>[])].map(shape)
  const pool = { tx: pg.sql, appended: [] }
  return {
    dialect: 'postgres',
    ingest,
    all,
    one: async (text, ...params) => (await all(text, ...params))[0] ?? null,
    exec: async (text, ...params) => void (await pg.sql.unsafe(numbered(text), params)),
    async served(jid) {
      const pn = jid.endsWith('@lid') ? ((await pgOps.pnOfLid(pool, 's', jid))?.jid ?? null) : null
      const own = await pgOps.chatViewByJid(pool, 's', jid)
      const row = own ?? (pn ? await pgOps.chatViewByJid(pool, 's', pn) : null)
      return row ? chatFromRow(row) : null
    },
    async failOnMessage(waId) {
      await pg.sql.unsafe(`CREATE OR REPLACE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.wa_id = '${waId}' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$`)
      await pg.sql.unsafe('CREATE TRIGGER boom BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION boom()')
    },
    db: null,
    pg,
  }
}

/** Every table of the PostgreSQL schema but the migration log, emptied between tests. */
async function emptyPg(pg: PgDb): Promise<void> {
  const tables: { tablename: string }[] = await pg.sql`
    SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'wagate_migrations'`
  await pg.sql.unsafe(`TRUNCATE ${tables.map((t) => `"${t.tablename}"`).join(', ')} RESTART IDENTITY CASCADE`)
  await pg.sql.unsafe('DROP TRIGGER IF EXISTS boom ON messages')
  await pg.sql`INSERT INTO orgs (id, name) VALUES ('o', 'o')`
  await pg.sql`INSERT INTO sessions (id, org_id, name) VALUES ('s', 'o', 's')`
}

/** Registers the hooks giving each test of the enclosing describe a fresh harness of `dialect`. */
export function useIngest(dialect: DialectName, set: (h: Harness) => void): void {
  let tdb: TestDatabase | null = null
  let pg: PgDb | null = null
  let current: (Harness & { close?: () => void }) | null = null
  if (dialect === 'postgres') {
    beforeAll(async () => {
      tdb = await createTestDatabase()
      pg = openPg(tdb.url, { max: 4 })
      await migratePg(pg.sql)
    })
    afterAll(async () => {
      await pg?.close()
      await tdb?.drop()
    })
  }
  beforeEach(async () => {
    if (dialect === 'sqlite') current = sqliteHarness()
    else {
      await emptyPg(pg!)
      current = pgHarness(pg!)
    }
    set(current)
  })
  afterEach(async () => {
    if (current?.dialect === 'postgres') await (current.ingest as PgIngest).idle()
    current?.close?.()
  })
}

/** The data of the stored events of one type, oldest first. */
export const eventsOf = async (h: Harness, type: string) =>
  (await h.all('SELECT data FROM events WHERE type = ? ORDER BY seq', type)).map((e) => JSON.parse(e.data))
