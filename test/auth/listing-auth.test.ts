// The hot listings (a page of chats, of a chat's messages, of a channel's messages) read the auth epoch with their
// rows instead of before them: whatever a cached principal or ownership would answer, a change made elsewhere that
// takes access away still decides the very next request, and an error is the one a fresh check gives.
import { Database } from 'bun:sqlite'
import { afterEach, beforeEach, describe, expect, it } from 'bun:test'
import { join } from 'node:path'
import { json, testApp, type TestApp } from '../helpers/app.ts'

const CHAT = '628111@s.whatsapp.net'
const CHANNEL = '120363000000000001@newsletter'

describe('hot listings and the auth epoch', () => {
  let t: TestApp
  let other: Database
  let sid: string
  beforeEach(async () => {
    t = await testApp()
    other = new Database(join(t.dir, 'wagate.db'))
    other.run('PRAGMA foreign_keys = ON')
    sid = t.stores.sessions.create({ orgId: 'acme', name: 'main' }).id
    for (const jid of [CHAT, CHANNEL]) {
      other.run(`INSERT INTO chats (session_id, jid, type) VALUES (?, ?, 'dm')`, [sid, jid])
      other.run(
        `INSERT INTO messages (session_id, chat_jid, wa_id, from_me, type, status, timestamp)
         VALUES (?, ?, 'A', 0, 'text', 'delivered', 1)`,
        [sid, jid],
      )
    }
  })
  afterEach(async () => {
    other.close()
    await t.close()
  })
  const listings = {
    chats: (s: string) => `/api/v1/sessions/${s}/chats`,
    "a chat's messages": (s: string) => `/api/v1/sessions/${s}/chats/${CHAT}/messages`,
    "a channel's messages": (s: string) => `/api/v1/sessions/${s}/channels/${CHANNEL}/messages`,
  }
  const idOf = (key: string) => t.stores.apiKeys.forVerification(key.split('_')[1]!)!.id
  const revokeElsewhere = (key: string) =>
    other.run('UPDATE api_keys SET revoked_at = ? WHERE id = ?', [Date.now(), idOf(key)])

  for (const [name, path] of Object.entries(listings)) {
    it(`a page of ${name}: a key revoked by another connection fails on the very next request`, async () => {
      const key = t.key(['read', 'send'])
      expect((await t.request(path(sid), { token: key })).status).toBe(200)
      revokeElsewhere(key)
      expect((await t.request(path(sid), { token: key })).status).toBe(401)
    })

    it(`a page of ${name}: a key revoked elsewhere gets 401, not 404, for a session it does not own`, async () => {
      const key = t.key(['read', 'send'])
      const theirs = t.stores.sessions.create({ orgId: 'other', name: 'theirs' }).id
      expect((await t.request(path(sid), { token: key })).status).toBe(200)
      expect((await t.request(path(theirs), { token: key })).status).toBe(404)
      revokeElsewhere(key)
      expect((await t.request(path(theirs), { token: key })).status).toBe(401)
    })

    it(`a page of ${name}: a key revoked elsewhere gets 401, not 400, for a bad cursor`, async () => {
      const key = t.key(['read', 'send'])
      expect((await t.request(path(sid), { token: key })).status).toBe(200)
      expect((await t.request(`${path(sid)}?cursor=bad`, { token: key })).status).toBe(400)
      revokeElsewhere(key)
      const res = await t.request(`${path(sid)}?cursor=bad`, { token: key })
      expect(res.status).toBe(401)
      expect((await json(res)).error.code).toBe('unauthorized')
    })
  }

  it('a page of an empty chat: a key revoked by another connection fails on the very next request', async () => {
    const empty = '628222@s.whatsapp.net'
    other.run(`INSERT INTO chats (session_id, jid, type) VALUES (?, ?, 'dm')`, [sid, empty])
    const key = t.key(['read'])
    const res = await t.request(listings["a chat's messages"](sid).replace(CHAT, empty), { token: key })
    expect(await json(res)).toEqual({ data: [], nextCursor: null })
    revokeElsewhere(key)
    const again = await t.request(listings["a chat's messages"](sid).replace(CHAT, empty), { token: key })
    expect(again.status).toBe(401)
  })

  it("a key granted a listing's capability elsewhere is served on the very next request", async () => {
    const key = t.key(['read'])
    const path = listings["a channel's messages"](sid)
    const refused = await t.request(path, { token: key })
    expect(refused.status).toBe(403)
    expect((await json(refused)).error.details).toEqual({ required: 'send' })
    other.run(`UPDATE api_keys SET capabilities = '["read","send"]' WHERE id = ?`, [idOf(key)])
    expect((await t.request(path, { token: key })).status).toBe(200)
  })

  it('a listing answered from the caches serves the same page a fresh check does', async () => {
    const key = t.key(['read'])
    const first = await json(await t.request(listings["a chat's messages"](sid), { token: key }))
    const cached = await json(await t.request(listings["a chat's messages"](sid), { token: key }))
    expect(cached).toEqual(first)
    expect(cached.data.map((m: { id: string }) => m.id)).toEqual(['A'])
  })
})
