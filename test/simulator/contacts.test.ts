// Contacts against the real Baileys: usync lookups, a LID sender, profile pictures, the block list, presence.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Boom } from '@hapi/boom'
import { account, api, pairByQr, world, type Client, type World } from './harness.ts'
import { sharedSimulatorLifecycle } from './lifecycle.ts'

let w: World
let c: Client
const ME = '15555000001'
const ALICE = '15555000002'
const BOB = '15555000003'
const LIDDY = '15555000004'
const jid = (phone: string) => `${phone}@s.whatsapp.net`

beforeAll(async () => {
  w = await world()
  await account(w.sim, ME, { name: 'Me' })
  await account(w.sim, ALICE, { name: 'Alice' })
  await account(w.sim, BOB, { name: 'Bob' })
  await account(w.sim, LIDDY, { name: 'Liddy' })
  c = await pairByQr(w.sim, ME)
}, 30_000)

sharedSimulatorLifecycle(() => [c])

type Profile = {
  blocked: string[]
  presence: string
  chatstates: Array<{ from: string; state: string }>
}

const profile = async (phone: string) => (await api<Profile>(w.sim, 'GET', `/accounts/${phone}/profile`)).body

async function waitProfile(phone: string, pred: (p: Profile) => boolean): Promise<Profile> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const p = await profile(phone)
    if (pred(p)) return p
    if (Date.now() > deadline) throw new Error(`profile state not reached: ${JSON.stringify(p)}`)
    await Bun.sleep(20)
  }
}

describe('simulator contacts', () => {
  test('onWhatsApp: existing numbers answer exists with their JID, a number not on WhatsApp is left out', async () => {
    const found = await c.sock.onWhatsApp(ALICE, '15559999999', BOB)
    expect(found?.map((r) => [r.jid, r.exists]).sort()).toEqual([
      [jid(ALICE), true],
      [jid(BOB), true],
    ])
  })

  test('a contact that messages from its LID arrives with its phone number as the alternate JID', async () => {
    const liddy = await account(w.sim, '15555000005', { name: 'Lid Only' })
    const mode = await api(w.sim, 'POST', `/accounts/${liddy.phone}/addressing`, { mode: 'lid' })
    expect(mode.body).toEqual({ phone: liddy.phone, jid: liddy.jid, lid: liddy.lid, mode: 'lid', withPn: true })
    const r = await api<{ id: string }>(w.sim, 'POST', `/accounts/${liddy.phone}/messages`, { to: ME, text: 'via lid' })
    const m = await c.rec.waitFor('messages.upsert', (u) => u.messages.find((x) => x.key.id === r.body.id))
    expect(m.message?.conversation).toBe('via lid')
    expect(m.key.remoteJid).toBe(liddy.lid)
    expect(m.key.remoteJidAlt).toBe(liddy.jid)
  })

  test('profile picture: a URL when set, 404 without one, 401 when hidden', async () => {
    const none = await c.sock.profilePictureUrl(jid(BOB)).catch((e: Boom) => [e.message, e.data])
    // Baileys turns an IQ <error> into a 500 Boom carrying WhatsApp's code as data.
    expect(none).toEqual(['item-not-found', 404])
    const url = 'https://pps.whatsapp.net/v/t61.24694-24/alice.jpg'
    expect((await api(w.sim, 'POST', `/accounts/${ALICE}/picture`, { url })).status).toBe(200)
    expect(await c.sock.profilePictureUrl(jid(ALICE), 'image')).toBe(url)
    await api(w.sim, 'POST', `/accounts/${ALICE}/picture`, { hidden: true })
    const hidden = await c.sock.profilePictureUrl(jid(ALICE)).catch((e: Boom) => [e.message, e.data])
    expect(hidden).toEqual(['not-authorized', 401])
  })

  test('block and unblock from the client, and from the phone, reach both sides', async () => {
    // Baileys blocks by LID: a message from Bob teaches it Bob's LID.
    const r = await api<{ id: string }>(w.sim, 'POST', `/accounts/${BOB}/messages`, { to: ME, text: 'hi' })
    await c.rec.waitFor('messages.upsert', (u) => u.messages.find((x) => x.key.id === r.body.id))
    await c.sock.updateBlockStatus(jid(BOB), 'block')
    await waitProfile(ME, (p) => p.blocked.includes(jid(BOB)))
    await c.rec.waitFor('blocklist.update', (u) => u.type === 'add' && u.blocklist.includes(jid(BOB)))
    expect(await c.sock.fetchBlocklist()).toEqual([jid(BOB)])

    const unblock = await api<Profile>(w.sim, 'POST', `/accounts/${ME}/blocklist`, { jid: BOB, action: 'unblock' })
    expect(unblock.body.blocked).toEqual([])
    await c.rec.waitFor('blocklist.update', (u) => u.type === 'remove' && u.blocklist.includes(jid(BOB)))
  })

  test('presence: the client goes online, types, subscribes and sees a contact come online and type', async () => {
    await c.rec.waitFor('creds.update', (u) => u.me?.name === 'Me')
    await c.sock.sendPresenceUpdate('available')
    await waitProfile(ME, (p) => p.presence === 'available')
    await c.sock.sendPresenceUpdate('composing', jid(ALICE))
    await c.sock.sendPresenceUpdate('recording', jid(ALICE))
    await c.sock.sendPresenceUpdate('paused', jid(ALICE))
    const alice = await waitProfile(ALICE, (p) => p.chatstates.length === 3)
    expect(alice.chatstates.map((s) => [s.from, s.state])).toEqual([
      [jid(ME), 'composing'],
      [jid(ME), 'recording'],
      [jid(ME), 'paused'],
    ])

    await c.sock.presenceSubscribe(jid(LIDDY))
    await c.rec.waitFor(
      'presence.update',
      (u) => u.id === jid(LIDDY) && u.presences[jid(LIDDY)]?.lastKnownPresence === 'unavailable',
    )
    await api(w.sim, 'POST', `/accounts/${LIDDY}/presence`, { state: 'available' })
    await c.rec.waitFor(
      'presence.update',
      (u) => u.id === jid(LIDDY) && u.presences[jid(LIDDY)]?.lastKnownPresence === 'available',
    )
    await api(w.sim, 'POST', `/accounts/${LIDDY}/chatstate`, { to: ME, state: 'composing' })
    await c.rec.waitFor(
      'presence.update',
      (u) => u.id === jid(LIDDY) && u.presences[jid(LIDDY)]?.lastKnownPresence === 'composing',
    )
  })
})
