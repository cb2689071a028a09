// The PostgreSQL ingest's pipelining (store/pg/ingest-tx.ts): statements whose answers nobody reads are sent without
// waiting inside a transaction. They run in the order issued, the transaction reports the first one that failed (not
// the "transaction is aborted" of the statements after it), and on the pool they are awaited as before.
import { afterAll, beforeAll, beforeEach, expect, it } from 'bun:test'
import { all, exec, settle, type PgTx } from '../../src/store/pg/ingest-tx.ts'
import { migratePg, openPg, type PgDb } from '../../src/store/pg/db.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts'

let tdb: TestDatabase
let pg: PgDb

beforeAll(async () => {
  tdb = await createTestDatabase()
  pg = openPg(tdb.url, { max: 2 })
  await migratePg(pg.sql)
})
afterAll(async () => {
  await pg.close()
  await tdb.drop()
})
beforeEach(async () => {
  await pg.sql`TRUNCATE orgs CASCADE`
})

const names = async () => ((await pg.sql`SELECT name FROM orgs ORDER BY id`) as { name: string }[]).map((r) => r.name)
const inTx = <T>(work: (c: PgTx) => Promise<T>) =>
  pg.sql.begin((tx) => {
    const c: PgTx = { tx, appended: [] }
    return settle(c, () => work(c))
  })

it('runs pipelined statements in the order issued, before a read that follows them', async () => {
  const seen = await inTx(async (c) => {
    await exec(c, 'INSERT INTO orgs (id, name) VALUES ($1, $2)', ['a', 'first'])
    await exec(c, 'UPDATE orgs SET name = $2 WHERE id = $1', ['a', 'second'])
    await exec(c, 'INSERT INTO orgs (id, name) VALUES ($1, $2)', ['b', 'third'])
    return all<{ name: string }>(c, 'SELECT name FROM orgs ORDER BY id', [])
  })
  expect(seen.map((r) => r.name)).toEqual(['second', 'third'])
  expect(await names()).toEqual(['second', 'third'])
})

it('fails the transaction with the first failed statement, committing nothing', async () => {
  const failed = await inTx(async (c) => {
    await exec(c, 'INSERT INTO orgs (id, name) VALUES ($1, $2)', ['a', 'one'])
    await exec(c, 'INSERT INTO orgs (id, name) VALUES ($1, $2)', ['a', 'again'])
    await exec(c, 'INSERT INTO orgs (id, name) VALUES ($1, $2)', ['b', 'two'])
    return all(c, 'SELECT 1 AS one', [])
  }).catch((e: Error) => e)
  expect(failed).toBeInstanceOf(Error)
  expect((failed as Error).message).toMatch(/duplicate key/)
  expect(await names()).toEqual([])
})

it('awaits each statement outside a transaction, as before', async () => {
  const pool: PgTx = { tx: pg.sql, appended: [] }
  await exec(pool, 'INSERT INTO orgs (id, name) VALUES ($1, $2)', ['a', 'pool'])
  expect(await names()).toEqual(['pool'])
  await expect(exec(pool, 'INSERT INTO orgs (id, name) VALUES ($1, $2)', ['a', 'again'])).rejects.toThrow(
    /duplicate key/,
  )
})
