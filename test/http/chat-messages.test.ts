// GET /sessions/{sid}/chats/{cid}/messages: every way the chat can be named or missing, and its cursors.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { json, testApp, type TestApp } from '../helpers/app.ts'
import { seedChats, seedMessages } from '../helpers/seed.ts'

let t: TestApp
let sid: string
const FULL = '62800000000@s.whatsapp.net' // seedChats' chat 0, given 7 messages
const EMPTY = '62800000001@s.whatsapp.net' // chat 1, stored without messages
const LID = '900000000000@lid' // FULL's person, known by LID too

beforeAll(async () => {
  t = await testApp()
  sid = t.stores.sessions.create({ orgId: 'acme', name: 'main' }).id
  seedChats(t.db.sqlite, sid, 2)
  seedMessages(t.db.sqlite, sid, FULL, 7)
  t.db.sqlite.run('INSERT INTO contacts (session_id, jid, lid) VALUES (?, ?, ?)', [sid, FULL, LID])
})
afterAll(() => t.close())

const list = (cid: string, q = '') => t.request(`/api/v1/sessions/${sid}/chats/${encodeURIComponent(cid)}/messages${q}`)
const ids = (page: { data: { id: string }[] }) => page.data.map((m) => m.id)

describe('a chat named by its JID', () => {
  it('pages its messages newest first, the cursor continuing where the page ended', async () => {
    const first = await json(await list(FULL, '?limit=4'))
    const second = await json(await list(FULL, `?limit=4&cursor=${first.nextCursor}`))
    expect([...ids(first), ...ids(second)]).toEqual(
      [6, 5, 4, 3, 2, 1, 0].map((i) => `3EB0${i.toString(16).padStart(16, '0')}`),
    )
    expect(second.nextCursor).toBeNull()
  })

  it('answers an empty page for a stored chat without messages', async () => {
    const res = await list(EMPTY)
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({ data: [], nextCursor: null })
  })

  it('answers 404 not_found for a chat that is not stored', async () => {
    const res = await list('62899999999@s.whatsapp.net')
    expect(res.status).toBe(404)
    expect((await json(res)).error).toMatchObject({ code: 'not_found', message: 'chat not found' })
  })

  it('answers 400 validation_error for a cursor of another chat', async () => {
    const other = await json(await list(FULL, '?limit=1'))
    const res = await list(EMPTY, `?cursor=${other.nextCursor}`)
    expect(res.status).toBe(400)
    expect((await json(res)).error.code).toBe('validation_error')
  })
})

describe("a chat named by its person's LID", () => {
  it('serves the same pages as its phone-number JID, and either continues the other’s cursor', async () => {
    const byPn = await json(await list(FULL, '?limit=3'))
    const byLid = await json(await list(LID, '?limit=3'))
    expect(byLid).toEqual(byPn)
    const next = await json(await list(LID, `?limit=3&cursor=${byPn.nextCursor}`))
    expect(next).toEqual(await json(await list(FULL, `?limit=3&cursor=${byLid.nextCursor}`)))
    expect(ids(next)).toHaveLength(3)
  })

  it('continues a cursor issued while the chat was stored under the LID, once it is the phone-number chat', async () => {
    const [pn, lid] = ['62811111111@s.whatsapp.net', '922222222222@lid']
    t.db.sqlite.run("INSERT INTO chats (session_id, jid, type) VALUES (?, ?, 'dm')", [sid, lid])
    seedMessages(t.db.sqlite, sid, lid, 5)
    const first = await json(await list(lid, '?limit=2'))
    // The mapping is learned and the LID chat becomes the phone-number chat, as ingest does it (mergeLidChat).
    t.db.sqlite.run('UPDATE messages SET chat_jid = ? WHERE session_id = ? AND chat_jid = ?', [pn, sid, lid])
    t.db.sqlite.run('UPDATE chats SET jid = ? WHERE session_id = ? AND jid = ?', [pn, sid, lid])
    t.db.sqlite.run('INSERT INTO contacts (session_id, jid, lid) VALUES (?, ?, ?)', [sid, pn, lid])
    const next = await json(await list(pn, `?limit=2&cursor=${first.nextCursor}`))
    expect([...ids(first), ...ids(next)]).toEqual([4, 3, 2, 1].map((i) => `3EB0${i.toString(16).padStart(16, '0')}`))
  })

  it('answers 404 not_found for a LID nobody is known by', async () => {
    expect((await list('911111111111@lid')).status).toBe(404)
  })
})
