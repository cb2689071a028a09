// The PostgreSQL schema mirrors the SQLite one (same tables, columns, keys, indexes, foreign keys), and its
// embedded migrations build exactly that schema in a real PostgreSQL database.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { is, SQL as DrizzleSql } from 'drizzle-orm'
import { getTableConfig as pgConfig, PgTable } from 'drizzle-orm/pg-core'
import { getTableConfig as sqliteConfig, SQLiteTable } from 'drizzle-orm/sqlite-core'
import { migrations } from '../../db/pg/index.ts'
import { migratePg, openPg, type PgDb } from '../../src/store/pg/db.ts'
import * as pgSchema from '../../src/store/pg/schema.ts'
import * as sqliteSchema from '../../src/store/schema.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts'

/** Tables only PostgreSQL has (the cluster's). */
const clusterOnly = ['cluster_commands', 'cluster_meta', 'cluster_nodes', 'session_leases']

/**
 * Columns and indexes only PostgreSQL has in mirrored tables: what several nodes on one database need (the outbox's
 * writing transaction for commit-safe reads, delivery claims that belong to a node, the fan-out unique key).
 */
const pgOnly: Record<string, { columns: string[]; indexes: string[] }> = {
  events: { columns: ['xid'], indexes: ['events_org_xid', 'events_xid'] },
  webhook_deliveries: {
    columns: ['claimed_by', 'claimed_until', 'fanned_out'],
    indexes: ['deliveries_fanout', 'deliveries_claims'],
  },
}

/** The PostgreSQL shape of a mirrored table without its PostgreSQL-only parts (which must all exist). */
function mirrorOf(name: string, s: Shape): Shape {
  const only = pgOnly[name]
  if (!only) return s
  expect(only.columns.filter((c) => !(c in s.columns))).toEqual([])
  expect(only.indexes.filter((i) => !(i in s.indexes))).toEqual([])
  const columns = Object.fromEntries(Object.entries(s.columns).filter(([c]) => !only.columns.includes(c)))
  const indexes = Object.fromEntries(Object.entries(s.indexes).filter(([i]) => !only.indexes.includes(i)))
  return { ...s, columns, indexes }
}

type Column = { name: string; dataType: string; notNull: boolean; hasDefault: boolean; primary: boolean }
type Shape = {
  columns: Record<string, { kind: string; notNull: boolean; default: unknown; primary: boolean; generated: boolean }>
  primaryKeys: string[][]
  indexes: Record<string, { columns: string[]; unique: boolean; partial: boolean }>
  foreignKeys: string[]
}

const defaultOf = (v: unknown) => (is(v, DrizzleSql) ? 'sql' : v)

function shape(config: ReturnType<typeof sqliteConfig> | ReturnType<typeof pgConfig>, dialect: 'sqlite' | 'pg') {
  const columns: Shape['columns'] = {}
  for (const c of config.columns as unknown as (Column & {
    default: unknown
    autoIncrement?: boolean
    generatedIdentity?: unknown
    getSQLType(): string
  })[]) {
    const generated = dialect === 'sqlite' ? !!c.autoIncrement : !!c.generatedIdentity
    const kind = c.dataType === 'custom' ? (c.getSQLType() === 'bytea' ? 'buffer' : c.getSQLType()) : c.dataType
    columns[c.name] = {
      kind,
      notNull: c.notNull,
      default: generated ? 'generated' : defaultOf(c.default),
      primary: c.primary,
      generated,
    }
  }
  const indexes: Shape['indexes'] = {}
  for (const i of config.indexes) {
    const {
      name,
      columns: cols,
      unique,
      where,
    } = i.config as {
      name: string
      columns: { name: string }[]
      unique: boolean
      where?: unknown
    }
    indexes[name] = { columns: cols.map((c) => c.name), unique, partial: !!where }
  }
  return {
    columns,
    primaryKeys: config.primaryKeys.map((k) => k.columns.map((c) => c.name)),
    indexes,
    foreignKeys: config.foreignKeys
      .map((f) => {
        const r = f.reference()
        const target = (r.foreignTable as unknown as { [k: symbol]: string })[Symbol.for('drizzle:Name')]
        return `${r.columns.map((c) => c.name)} -> ${target}(${r.foreignColumns.map((c) => c.name)}) on delete ${f.onDelete}`
      })
      .sort(),
  } satisfies Shape
}

const sqliteTables = new Map(
  Object.values(sqliteSchema)
    .filter((v) => is(v, SQLiteTable))
    .map((t) => sqliteConfig(t as SQLiteTable))
    .map((c) => [c.name, shape(c, 'sqlite')] as const),
)
const pgTables = new Map(
  Object.values(pgSchema)
    .filter((v) => is(v, PgTable))
    .map((t) => pgConfig(t as PgTable))
    .map((c) => [c.name, shape(c, 'pg')] as const),
)

describe('PostgreSQL schema', () => {
  it('has every SQLite table and only the cluster tables besides', () => {
    const mirrored = [...pgTables.keys()].filter((n) => !clusterOnly.includes(n)).sort()
    expect(mirrored).toEqual([...sqliteTables.keys()].sort())
    expect(clusterOnly.every((n) => pgTables.has(n))).toBe(true)
  })

  for (const [name, sqlite] of sqliteTables) {
    it(`mirrors ${name}: columns, keys, indexes and foreign keys`, () => {
      expect(mirrorOf(name, pgTables.get(name)!)).toEqual(sqlite)
    })
  }
})

describe('PostgreSQL migrations', () => {
  let tdb: TestDatabase
  let db: PgDb
  beforeAll(async () => {
    tdb = await createTestDatabase()
    db = openPg(tdb.url, { max: 2 })
  })
  afterAll(async () => {
    await db?.close()
    await tdb?.drop()
  })

  it('builds every table with the schema columns, then applies nothing on a second run', async () => {
    expect(await migratePg(db.sql)).toEqual({ applied: migrations.map((m) => m.name), total: migrations.length })
    // auth_epoch and outbound_queue_sizes are written by triggers only and, as in SQLite, kept out of the drizzle
    // schema.
    const rows: { table_name: string; column_name: string }[] = await db.sql`
      SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'
      AND table_name NOT IN ('wagate_migrations', 'auth_epoch', 'outbound_queue_sizes') ORDER BY table_name, column_name`
    const inDb: Record<string, string[]> = {}
    for (const r of rows) (inDb[r.table_name] ??= []).push(r.column_name)
    const expected: Record<string, string[]> = {}
    for (const [t, s] of pgTables) expected[t] = Object.keys(s.columns).sort()
    expect(inDb).toEqual(expected)
    expect(await migratePg(db.sql)).toEqual({ applied: [], total: migrations.length })
  })
})
