// Groups, contacts and chat names from the stored copy through the HTTP API (no WhatsApp needed).
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { createIngest } from '../../src/sessions/ingest.ts'
import { emptyBatch } from '../../src/whatsapp/records.ts'
import { json, testApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let sid: string
const G = '120363000000000001@g.us'
const ALICE = { pn: '15550000001@s.whatsapp.net', lid: '90000000001@lid' }
const BOB = { pn: '15550000002@s.whatsapp.net', lid: '90000000002@lid' }
const base = () => `/api/v1/sessions/${sid}`

beforeAll(async () => {
  t = await testApp()
  sid = t.stores.sessions.create({ orgId: 'acme', name: 's' }).id
  const ingest = createIngest({ db: t.db, events: t.stores.events })
  const b = emptyBatch()
  b.lidMappings.push({ lid: ALICE.lid, pn: ALICE.pn })
  b.contacts.push(
    { jid: ALICE.pn, lid: null, name: 'Alice A.', notify: 'alice' },
    { jid: BOB.pn, lid: null, notify: 'Bob' },
  )
  b.groups.push({
    jid: G,
    subject: 'Team',
    owner: ALICE.lid,
    createdAt: 1_700_000_000_000,
    announce: false,
    locked: true,
    ephemeralSeconds: 0,
    addressingMode: 'lid',
    participants: [
      { jid: ALICE.lid, lid: ALICE.lid, pn: null, admin: 'superadmin' },
      { jid: BOB.lid, lid: BOB.lid, pn: BOB.pn, admin: null },
    ],
  })
  b.chats.push({ jid: BOB.pn, type: 'dm', lastMessageAt: 1_700_000_000_000 })
  ingest.batch(sid, b)
  for (let i = 0; i < 3; i++)
    ingest.batch(sid, {
      ...emptyBatch(),
      groups: [{ jid: `12036300000000010${i}@g.us`, subject: `G${i}`, participants: [] }],
    })
})
afterAll(() => t.close())

it('serves a stored group with members, their LID and phone filled from the PN↔LID mapping', async () => {
  const res = await t.request(`${base()}/groups/${encodeURIComponent(G)}`)
  expect(res.status).toBe(200)
  const g = await json(res)
  expect(g).toMatchObject({
    jid: G,
    subject: 'Team',
    owner: ALICE.lid,
    createdAt: 1_700_000_000_000,
    locked: true,
    size: 2,
  })
  expect(g.participants).toEqual([
    { jid: ALICE.lid, lid: ALICE.lid, phone: '15550000001', admin: 'superadmin' },
    { jid: BOB.lid, lid: BOB.lid, phone: '15550000002', admin: null },
  ])
})

it('pages groups with a cursor', async () => {
  const first = await json(await t.request(`${base()}/groups?limit=2`))
  expect(first.data.map((g: { subject: string }) => g.subject)).toEqual(['Team', 'G0'])
  const next = await json(await t.request(`${base()}/groups?limit=2&cursor=${first.nextCursor}`))
  expect(next.data.map((g: { subject: string }) => g.subject)).toEqual(['G1', 'G2'])
  expect(next.nextCursor).toBeNull()
})

it('answers 404 for a group that is not stored, and for a path that is not a group JID', async () => {
  expect((await t.request(`${base()}/groups/120363999999999999%40g.us`)).status).toBe(404)
  expect((await t.request(`${base()}/groups/15550000001%40s.whatsapp.net`)).status).toBe(404)
})

it("answers 404 for another organisation's session", async () => {
  const res = await t.request(`${base()}/groups/${encodeURIComponent(G)}`, { token: t.key(['read'], 'other') })
  expect(res.status).toBe(404)
})

it('answers the same contact by its PN and by its LID', async () => {
  const byPn = await json(await t.request(`${base()}/contacts/${encodeURIComponent(ALICE.pn)}`))
  const byLid = await json(await t.request(`${base()}/contacts/${encodeURIComponent(ALICE.lid)}`))
  expect(byPn).toEqual({
    jid: ALICE.pn,
    lid: ALICE.lid,
    phone: '15550000001',
    name: 'Alice A.',
    pushName: 'alice',
    businessName: null,
    verified: false,
    blocked: false,
  })
  expect(byLid).toEqual(byPn)
})

it('lists contacts with a cursor', async () => {
  const page = await json(await t.request(`${base()}/contacts?limit=1`))
  expect(page.data).toHaveLength(1)
  const rest = await json(await t.request(`${base()}/contacts?cursor=${page.nextCursor}`))
  expect([...page.data, ...rest.data].map((c: { jid: string }) => c.jid)).toEqual([ALICE.pn, BOB.pn])
})

it("names a DM without a name of its own after the contact's push name, and a group after its subject", async () => {
  const dm = await json(await t.request(`${base()}/chats/${encodeURIComponent(BOB.pn)}`))
  expect(dm.name).toBe('Bob')
  const chats = await json(await t.request(`${base()}/chats`))
  expect(chats.data.find((c: { jid: string }) => c.jid === G).name).toBe('Team')
})

it('rejects :check with more than 500 phones', async () => {
  const phones = Array.from({ length: 501 }, (_, i) => `1555${String(i).padStart(7, '0')}`)
  const res = await t.request(`${base()}/contacts:check`, { method: 'POST', json: { phones } })
  expect(res.status).toBe(400)
  expect((await json(res)).error.code).toBe('validation_error')
})

it('answers 404 to an unknown collection method and an unknown member action', async () => {
  expect((await t.request(`${base()}/groups:explode`, { method: 'POST', json: { code: 'x' } })).status).toBe(404)
  const res = await t.request(`${base()}/groups/${encodeURIComponent(G)}/participants:kick`, {
    method: 'POST',
    json: { participants: ['15550000001'] },
  })
  expect(res.status).toBe(404)
})

it('answers 409 session_not_connected to a live group operation on a stopped session', async () => {
  const res = await t.request(`${base()}/groups/${encodeURIComponent(G)}/participants:add`, {
    method: 'POST',
    json: { participants: ['15550000001'] },
  })
  expect(res.status).toBe(409)
  expect((await json(res)).error.code).toBe('session_not_connected')
})

it('rejects a :mute end in the past', async () => {
  const res = await t.request(`${base()}/chats/${encodeURIComponent(BOB.pn)}:mute`, {
    method: 'POST',
    json: { until: 1000 },
  })
  expect(res.status).toBe(400)
})
