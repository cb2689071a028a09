// Pagination as the spec states it: limit defaults and clamps, opaque keyset cursors, stable walks.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { json, testApp, type TestApp } from '../helpers/app.ts'
import { seedChats, seedMessages } from '../helpers/seed.ts'

let t: TestApp
let sid: string
const channel = '120363012345678901@newsletter'

beforeAll(async () => {
  t = await testApp()
  sid = t.stores.sessions.create({ orgId: 'acme', name: 'main' }).id
  seedChats(t.db.sqlite, sid, 250, { pinnedEvery: 50 })
  seedMessages(t.db.sqlite, sid, channel, 120)
})
afterAll(() => t.close())

const chats = (q = '') => t.request(`/api/v1/sessions/${sid}/chats${q}`)

describe('limit', () => {
  it('defaults a missing limit to 50', async () => {
    expect((await json(await chats())).data).toHaveLength(50)
  })
  it('defaults limit=0 to 50', async () => {
    expect((await json(await chats('?limit=0'))).data).toHaveLength(50)
  })
  it('clamps limit=500 to 200', async () => {
    expect((await json(await chats('?limit=500'))).data).toHaveLength(200)
  })
  it('serves limit=1 as one row', async () => {
    expect((await json(await chats('?limit=1'))).data).toHaveLength(1)
  })
  for (const bad of ['abc', '1.5', '-1', '', '1e400']) {
    it(`rejects limit=${bad} with 400 validation_error`, async () => {
      const res = await chats(`?limit=${bad}`)
      expect(res.status).toBe(400)
      expect((await json(res)).error.code).toBe('validation_error')
    })
  }
  it('names the failed query field in the validation error', async () => {
    expect((await json(await chats('?limit=abc'))).error.details).toEqual({
      in: 'query',
      fields: [{ field: 'limit', message: 'Expected a non-negative integer' }],
    })
  })
  it('accepts a limit written as an exponent, as the coercion reads it', async () => {
    expect((await json(await chats('?limit=1e1'))).data).toHaveLength(10)
  })
  it('ignores query parameters it does not know', async () => {
    expect((await json(await chats('?limit=3&order=asc'))).data).toHaveLength(3)
  })
})

describe('cursor', () => {
  it('rejects a cursor longer than 512 characters, naming it', async () => {
    const res = await chats(`?cursor=${'a'.repeat(513)}`)
    expect(res.status).toBe(400)
    expect((await json(res)).error.details.fields).toEqual([
      { field: 'cursor', message: 'Expected a string of at most 512 characters' },
    ])
  })
  it('answers nextCursor null on the last page', async () => {
    const body = await json(await chats('?limit=200'))
    const last = await json(await chats(`?limit=200&cursor=${body.nextCursor}`))
    expect(last.data).toHaveLength(50)
    expect(last.nextCursor).toBeNull()
  })
  for (const [name, cursor] of [
    ['does not decode', 'not-a-cursor'],
    ['is empty base64', '.'],
    ['is an offset', '50'],
  ] as const) {
    it(`rejects a cursor that ${name}`, async () => {
      const res = await chats(`?cursor=${encodeURIComponent(cursor)}`)
      expect(res.status).toBe(400)
      expect((await json(res)).error.code).toBe('validation_error')
    })
  }
  it('rejects a tampered cursor', async () => {
    const { nextCursor } = await json(await chats('?limit=5'))
    const [payload, tag] = nextCursor.split('.')
    const values = JSON.parse(Buffer.from(payload, 'base64url').toString())
    values[2] = values[2] + 1
    const forged = `${Buffer.from(JSON.stringify(values)).toString('base64url')}.${tag}`
    expect((await chats(`?cursor=${forged}`)).status).toBe(400)
  })
  it('rejects a cursor of another listing', async () => {
    const other = t.stores.sessions.create({ orgId: 'acme', name: 'other' }).id
    seedChats(t.db.sqlite, other, 10)
    const { nextCursor } = await json(await t.request(`/api/v1/sessions/${other}/chats?limit=2`))
    const res = await chats(`?cursor=${nextCursor}`)
    expect(res.status).toBe(400)
    expect((await json(res)).error.details.cursor).toBe('not issued for this listing')
  })
})

describe('chat display order', () => {
  it('puts pinned chats first, then the most recent activity, ties broken by id', async () => {
    const { data } = await json(await chats('?limit=200'))
    const pinned = data.filter((c: { pinned: boolean }) => c.pinned)
    expect(pinned).toHaveLength(5)
    expect(data.slice(0, 5).every((c: { pinned: boolean }) => c.pinned)).toBe(true)
    const rest = data.slice(5)
    for (let i = 1; i < rest.length; i++) {
      const [a, b] = [rest[i - 1], rest[i]]
      expect(a.lastMessageAt > b.lastMessageAt || (a.lastMessageAt === b.lastMessageAt && a.id > b.id)).toBe(true)
    }
  })
  it('serves the Chat object with exactly the spec fields', async () => {
    const { data } = await json(await chats('?limit=1'))
    expect(Object.keys(data[0]).sort()).toEqual(
      [
        'archived',
        'id',
        'jid',
        'lastMessageAt',
        'lid',
        'mutedUntil',
        'name',
        'pinned',
        'sessionId',
        'type',
        'unreadCount',
      ].sort(),
    )
  })
})

it('walks 1,000 chats in pages of 7 with inserts between pages, with no skip and no repeat', async () => {
  const walk = t.stores.sessions.create({ orgId: 'acme', name: 'walk' }).id
  seedChats(t.db.sqlite, walk, 1000, { pinnedEvery: 97 })
  const seen = new Set<number>()
  let cursor: string | null = null
  let inserted = 1000
  let pages = 0
  do {
    const q: string = `?limit=7${cursor ? `&cursor=${cursor}` : ''}`
    const body: { data: { id: number }[]; nextCursor: string | null } = await json(
      await t.request(`/api/v1/sessions/${walk}/chats${q}`),
    )
    for (const c of body.data) {
      expect(seen.has(c.id)).toBe(false)
      seen.add(c.id)
    }
    // New chats arrive meanwhile, some with the newest activity (sorting before the cursor), some old.
    seedChats(t.db.sqlite, walk, 2, { start: inserted, at: (i) => (i % 2 ? Date.now() : 1_600_000_000_000) })
    inserted += 2
    cursor = body.nextCursor
    pages++
  } while (cursor)
  const original = t.db.sqlite
    .query<{ id: number }, [string]>('SELECT id FROM chats WHERE session_id = ? ORDER BY id LIMIT 1000')
    .all(walk)
  for (const { id } of original) expect(seen.has(id)).toBe(true)
  expect(pages).toBeGreaterThanOrEqual(143)
})

describe('channel messages', () => {
  const url = (q = '') => `/api/v1/sessions/${sid}/channels/${encodeURIComponent(channel)}/messages${q}`
  it('lists stored channel messages newest first across pages', async () => {
    const first = await json(await t.request(url('?limit=50')))
    const second = await json(await t.request(url(`?limit=50&cursor=${first.nextCursor}`)))
    const all = [...first.data, ...second.data]
    expect(all).toHaveLength(100)
    for (let i = 1; i < all.length; i++) expect(all[i - 1].timestamp).toBeGreaterThan(all[i].timestamp)
    expect(all[0].body).toBe('post 119')
  })
  it('serves the Message object with exactly the spec fields', async () => {
    const { data } = await json(await t.request(url('?limit=1')))
    expect(Object.keys(data[0]).sort()).toEqual(
      [
        'ackLevel',
        'body',
        'chatJid',
        'createdAt',
        'deleted',
        'direction',
        'edited',
        'error',
        'fromMe',
        'hasMedia',
        'id',
        'media',
        'mentionNames',
        'mentions',
        'quotedMessageId',
        'senderJid',
        'senderLid',
        'senderName',
        'sessionId',
        'status',
        'timestamp',
        'type',
        'waMessageId',
      ].sort(),
    )
  })
  it('gives an empty page for a channel the session never received posts from', async () => {
    const res = await t.request(`/api/v1/sessions/${sid}/channels/120363000000000001%40newsletter/messages`)
    expect(await json(res)).toEqual({ data: [], nextCursor: null })
  })
  it('gives 404 for an unknown session', async () => {
    const res = await t.request(`/api/v1/sessions/01J9ZX8K2QHV0M3T6R7P4N5W8C/channels/${channel}/messages`)
    expect(res.status).toBe(404)
  })
})
