// PostgreSQL ingest fenced by the session's lease: a node whose lease moved on (or that holds none) writes nothing —
// no row, no event, no key write — and the send queue's rows live and leave in the same fenced transactions.
import { afterAll, beforeAll, beforeEach, expect, it } from 'bun:test'
import { LeaseLost, type LeaseRef } from '../../src/cluster/fencing.ts'
import { createPgIngest } from '../../src/sessions/ingest-pg.ts'
import { migratePg, openPg, type PgDb } from '../../src/store/pg/db.ts'
import { emptyBatch, type MessageRecord } from '../../src/whatsapp/records.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts'
import { BOB } from './fixture.ts'

let tdb: TestDatabase
let pg: PgDb
let lease: LeaseRef | undefined

beforeAll(async () => {
  tdb = await createTestDatabase()
  pg = openPg(tdb.url, { max: 4 })
  await migratePg(pg.sql)
})
afterAll(async () => {
  await pg.close()
  await tdb.drop()
})
beforeEach(async () => {
  await pg.sql`TRUNCATE orgs, sessions, messages, chats, events, auth_state, outbound_queue, session_leases CASCADE`
  await pg.sql`INSERT INTO orgs (id, name) VALUES ('o', 'o')`
  await pg.sql`INSERT INTO sessions (id, org_id, name) VALUES ('s', 'o', 's')`
  await pg.sql`INSERT INTO session_leases (session_id, node_id, epoch, expires_at) VALUES ('s', 'n1', 1, 0)`
  lease = { sessionId: 's', nodeId: 'n1', epoch: 1 }
})

const record = (waId: string): MessageRecord => ({
  chatJid: BOB,
  waId,
  serverId: null,
  fromMe: false,
  senderJid: BOB,
  senderLid: null,
  senderName: 'Bob',
  type: 'text',
  body: `text ${waId}`,
  media: null,
  mentions: [],
  mentionNames: {},
  quotedId: null,
  status: 'delivered',
  timestamp: 1_700_000_000_000,
  location: null,
  contacts: null,
  poll: null,
  undecryptable: false,
  mediaSource: null,
})
const received = (waId: string) => {
  const b = emptyBatch()
  b.messages.push({ record: record(waId), live: true })
  return b
}
const keyWrites = (id: string) => ({
  ops: [{ type: 'session', id, value: new Uint8Array([1, 2, 3]) }],
  stored: false,
})
const count = async (table: string) => Number((await pg.sql.unsafe(`SELECT count(*) AS n FROM ${table}`))[0].n)
const ingest = () => createPgIngest({ sql: pg.sql, leaseOf: () => lease, nodeId: 'n1' })

it('stores a message, its event and its decrypt key writes in one fenced transaction while the lease is held', async () => {
  const woken: string[][] = []
  const i = createPgIngest({ sql: pg.sql, leaseOf: () => lease, nodeId: 'n1', onCommitted: (t) => woken.push([...t]) })
  const keys = keyWrites('bob.0')
  await i.batch('s', received('A'), keys)
  expect(keys.stored).toBe(true)
  expect([await count('messages'), await count('events'), await count('auth_state')]).toEqual([1, 1, 1])
  expect(woken).toEqual([['message.received']])
})

it('writes nothing once the lease moved to another node: LeaseLost, no row, no event, no key write', async () => {
  const i = ingest()
  await pg.sql`UPDATE session_leases SET node_id = 'n2', epoch = 2 WHERE session_id = 's'`
  const keys = keyWrites('bob.0')
  const failed = await i.batch('s', received('A'), keys).catch((e: unknown) => e)
  expect(failed).toBeInstanceOf(LeaseLost)
  expect(keys.stored).toBe(false)
  expect([await count('messages'), await count('events'), await count('auth_state'), await count('chats')]).toEqual([
    0, 0, 0, 0,
  ])
})

it('refuses every write of a session this node holds no lease for, writing nothing', async () => {
  lease = undefined
  const i = ingest()
  await expect(i.batch('s', received('A'))).rejects.toBeInstanceOf(LeaseLost)
  await expect(i.session('s', { status: 'connected' })).rejects.toBeInstanceOf(LeaseLost)
  expect([await count('messages'), await count('events')]).toEqual([0, 0])
  expect((await pg.sql`SELECT status FROM sessions`)[0].status).toBe('stopped')
})

it('keeps the send queue in PostgreSQL: accept queues with its pending message, sendDone removes the row', async () => {
  const i = ingest()
  const content = { kind: 'text' as const, text: 'hi', linkPreview: false }
  const message = await i.accept(
    's',
    { ...record('OUT'), fromMe: true, status: 'pending' },
    {
      chatJid: BOB,
      waId: 'OUT',
      content,
    },
  )
  expect(message).toMatchObject({ id: 'OUT', fromMe: true, status: 'pending' })
  expect(await i.queue.size('s')).toBe(1)
  expect(await i.queue.sessionsWithWork()).toEqual(['s'])
  const job = (await i.queue.head('s'))!
  expect(job).toMatchObject({ sessionId: 's', chatJid: BOB, waId: 'OUT', content, attempts: 0 })
  await i.sendFailed('s', job, 'try again', false, 5)
  expect(await i.queue.head('s')).toMatchObject({ pk: job.pk, attempts: 1, notBefore: 5 })
  await i.sendDone('s', job, emptyBatch())
  expect(await i.queue.size('s')).toBe(0)
  expect(await i.queue.head('s')).toBeNull()
})

it('leaves the send queue as it was when the lease moved before the send was recorded', async () => {
  const i = ingest()
  const content = { kind: 'text' as const, text: 'hi', linkPreview: false }
  await i.accept('s', null, { chatJid: BOB, waId: 'OUT', content })
  const job = (await i.queue.head('s'))!
  await pg.sql`UPDATE session_leases SET node_id = 'n2', epoch = 2 WHERE session_id = 's'`
  await expect(i.sendDone('s', job, emptyBatch())).rejects.toBeInstanceOf(LeaseLost)
  expect(await i.queue.size('s')).toBe(1)
})
