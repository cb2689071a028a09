// The conformance harness: every store test runs against both dialects through the one async interface. For each
// dialect a test file gets a fresh migrated database (SQLite in memory; PostgreSQL a database of its own on
// 127.0.0.1:5432, created once per file and dropped afterwards — failing, never skipping, when it is down), the
// repositories (SQLite's wrapped by `asyncRepo`, PostgreSQL's from createPgRepos), and dialect-neutral helpers to
// seed rows the read-only repositories serve and to look at the tables directly.
//
//   describe.each(dialects)('%s', (name) => {
//     const d = useDialect(name)
//     it('…', async () => { const { repos } = d(); … })
//   })
import { afterAll, beforeAll } from 'bun:test'
import { randomBytes } from 'node:crypto'
import { createApiKeyStore } from '../../../src/store/api-keys.ts'
import { createAuthEpoch } from '../../../src/store/auth-epoch.ts'
import { createChannelStore } from '../../../src/store/channels.ts'
import { createChatStore } from '../../../src/store/chats.ts'
import { createContactStore } from '../../../src/store/contacts.ts'
import { asyncRepo, type Async } from '../../../src/store/contract.ts'
import { createSealer } from '../../../src/domain/sealer.ts'
import { createCursorCodec, cursorKeyOf } from '../../../src/store/cursor.ts'
import { createDeliveryStore, type DeliveryStore } from '../../../src/store/deliveries.ts'
import { createEventStore } from '../../../src/store/events.ts'
import { createWebhookStore } from '../../../src/store/webhooks.ts'
import { openDb, type Db } from '../../../src/store/db.ts'
import { createGroupStore } from '../../../src/store/groups.ts'
import { createIdempotencyStore } from '../../../src/store/idempotency.ts'
import { createMediaRepo } from '../../../src/store/media.ts'
import { createMessageStore } from '../../../src/store/messages.ts'
import { createOrgStore } from '../../../src/store/orgs.ts'
import { createSessionStore } from '../../../src/store/sessions.ts'
import { migratePg, openPg, type PgDb } from '../../../src/store/pg/db.ts'
import { createPgRepos, type PgRepos } from '../../../src/store/pg/index.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.ts'

export const dialects = ['sqlite', 'postgres'] as const
export type DialectName = (typeof dialects)[number]

/** The same key on both dialects, so cursors come out identical and tests can compare them exactly. */
export const secretKey = new Uint8Array(32).fill(7)

/** The repositories under test: what both dialects answer (PostgreSQL's bundle type is the contract). */
export type Repos = Omit<PgRepos, 'pg' | 'deliveries'> & { deliveries: Async<DeliveryStore> }

export type Dialect = {
  name: DialectName
  repos: Repos
  /**
   * Inserts one row (snake_case columns, flags as booleans) and answers the value of `key` (default `id`) as a
   * number, for tables with a generated integer key; pass `key: null` for tables without one.
   */
  insert(table: string, row: Record<string, unknown>, key?: string | null): Promise<number>
  /** Rows of a query written with `?` placeholders (the same text runs on both). Values as the driver gives them. */
  query(text: string, ...params: unknown[]): Promise<Record<string, unknown>[]>
  /** The first column of the first row as a number (counts, the auth epoch…); null without a row. */
  scalar(text: string, ...params: unknown[]): Promise<number | null>
  /** Runs a statement written with `?` placeholders (e.g. what another process would do). */
  exec(text: string, ...params: unknown[]): Promise<void>
  /** A fresh organisation with one session, so tests never see each other's rows. */
  tenant(): Promise<{ orgId: string; sessionId: string }>
}

function sqliteRepos(db: Db): Repos {
  const codec = createCursorCodec(cursorKeyOf(secretKey))
  const epoch = createAuthEpoch(db)
  const events = createEventStore(db)
  const webhooks = createWebhookStore(db, codec, createSealer(secretKey))
  const { maxSeq, seqOf, scan, prune, onCommitted, observeTransactions } = events
  return {
    codec,
    authEpoch: { refresh: async () => epoch.refresh(), cache: epoch.cache },
    orgs: asyncRepo(createOrgStore(db)),
    apiKeys: asyncRepo(createApiKeyStore(db, codec, epoch)),
    sessions: asyncRepo(createSessionStore(db, codec, epoch)),
    chats: asyncRepo(createChatStore(db, codec)),
    messages: asyncRepo(createMessageStore(db, codec)),
    channels: asyncRepo(createChannelStore(db, codec)),
    groups: asyncRepo(createGroupStore(db, codec)),
    contacts: asyncRepo(createContactStore(db, codec)),
    idempotency: asyncRepo(createIdempotencyStore(db)),
    media: asyncRepo(createMediaRepo(db)),
    // Listener registrations stay synchronous.
    events: { ...asyncRepo({ maxSeq, seqOf, scan, prune }), onCommitted, observeTransactions },
    webhooks: { ...asyncRepo(webhooks), onChange: webhooks.onChange },
    deliveries: asyncRepo(createDeliveryStore(db, codec, events)),
  }
}

const sqliteValue = (v: unknown) => (v === true ? 1 : v === false ? 0 : v)
const numbered = (text: string) => {
  let i = 0
  return text.replace(/\?/g, () => `$${++i}`)
}
const firstNumber = (rows: Record<string, unknown>[]) => {
  const r = rows[0]
  if (!r) return null
  const v = Object.values(r)[0]
  return v === null || v === undefined ? null : Number(v)
}

function sqliteDialect(db: Db): Omit<Dialect, 'tenant'> {
  const query = async (text: string, ...params: unknown[]) =>
    db.sqlite.query<Record<string, unknown>, never[]>(text).all(...(params.map(sqliteValue) as never[]))
  return {
    name: 'sqlite',
    repos: sqliteRepos(db),
    async insert(table, row, key = 'id') {
      const cols = Object.keys(row)
      const text = `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})${
        key ? ` RETURNING ${key}` : ''
      }`
      return firstNumber(await query(text, ...Object.values(row))) ?? 0
    },
    query,
    scalar: async (text, ...params) => firstNumber(await query(text, ...params)),
    exec: async (text, ...params) => void db.sqlite.query(text).run(...(params.map(sqliteValue) as never[])),
  }
}

function postgresDialect(pg: PgDb): Omit<Dialect, 'tenant'> & { close(): void } {
  const { pg: _, ...repos } = createPgRepos(pg, secretKey, { nodeId: 'conformance' })
  const query = async (text: string, ...params: unknown[]) =>
    [...(await pg.sql.unsafe(numbered(text), params))] as Record<string, unknown>[]
  return {
    name: 'postgres',
    close: () => repos.deliveries.close(),
    repos,
    async insert(table, row, key = 'id') {
      const cols = Object.keys(row)
      const text = `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})${
        key ? ` RETURNING ${key}` : ''
      }`
      return firstNumber(await query(text, ...Object.values(row))) ?? 0
    },
    query,
    scalar: async (text, ...params) => firstNumber(await query(text, ...params)),
    exec: async (text, ...params) => void (await pg.sql.unsafe(numbered(text), params)),
  }
}

/**
 * Registers the file's database for `name` (created before its tests, removed after them) and answers a getter
 * for the dialect, valid inside tests and hooks.
 */
export function useDialect(name: DialectName): () => Dialect {
  let dialect: Dialect | null = null
  let close: () => Promise<void> = async () => {}
  beforeAll(async () => {
    let base: Omit<Dialect, 'tenant'>
    if (name === 'sqlite') {
      const db = openDb(':memory:')
      base = sqliteDialect(db)
      close = async () => db.close()
    } else {
      const tdb: TestDatabase = await createTestDatabase()
      const pg = openPg(tdb.url, { max: 4 })
      close = async () => {
        await pg.close()
        await tdb.drop()
      }
      await migratePg(pg.sql)
      const made = postgresDialect(pg)
      close = async () => {
        made.close() // the delivery claims' renewal timer
        await pg.close()
        await tdb.drop()
      }
      base = made
    }
    dialect = {
      ...base,
      async tenant() {
        const orgId = `org_${randomBytes(6).toString('hex')}`
        await base.repos.orgs.create(orgId)
        const session = await base.repos.sessions.create({ orgId, name: 'main' })
        return { orgId, sessionId: session.id }
      },
    }
  })
  afterAll(async () => {
    await close()
  })
  return () => {
    if (!dialect) throw new Error(`the ${name} database is not open (useDialect must be called inside describe)`)
    return dialect
  }
}
