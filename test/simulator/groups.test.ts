// Groups against the real Baileys: sender keys both ways, w:g2 IQs, per-participant results, invites, notifications.
import { beforeAll, describe, expect, test } from 'bun:test'
import type { GroupMetadata, WAMessage } from '@whiskeysockets/baileys'
import { afterAll } from 'bun:test'
import { account, api, end, pairByQr, world, type Client, type World } from './harness.ts'
import { sharedSimulatorLifecycle } from './lifecycle.ts'

// One simulator and one linked client for the whole file (groups are independent of each other).
let w: World
let c: Client
const ME = '15553000001'
const ALICE = '15553000002'
const BOB = '15553000003'
const CAROL = '15553000004'
const DAVE = '15553000005'
const jid = (phone: string) => `${phone}@s.whatsapp.net`

type GroupView = {
  jid: string
  subject: string
  description: string | null
  announce: boolean
  locked: boolean
  inviteCode: string
  participants: Array<{ phone: string; jid: string; lid: string; admin: string | null }>
}
type Counters = { groupMetadataQueries: number; groupMetadataQueriesByGroup: Record<string, number> }
type GroupMessages = {
  data: Array<
    { id: string; from: string; text: string; timestamp: number; decryptedBy: string[] } & Record<string, unknown>
  >
}

const textOf = (m: WAMessage) => m.message?.conversation ?? m.message?.extendedTextMessage?.text

beforeAll(async () => {
  w = await world()
  await account(w.sim, ME, { name: 'Me' })
  await account(w.sim, ALICE, { name: 'Alice' })
  await account(w.sim, BOB, { name: 'Bob' })
  await account(w.sim, CAROL, { name: 'Carol' })
  c = await pairByQr(w.sim, ME)
}, 30_000)

sharedSimulatorLifecycle(() => [c])

async function waitMessages(gid: string, pred: (m: GroupMessages) => boolean): Promise<GroupMessages> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const r = await api<GroupMessages>(w.sim, 'GET', `/groups/${gid}/messages`)
    if (pred(r.body)) return r.body
    if (Date.now() > deadline) throw new Error(`group messages not reached: ${JSON.stringify(r.body)}`)
    await Bun.sleep(20)
  }
}

describe('simulator groups', () => {
  test('a group the client creates with two members: both member phones decrypt its message', async () => {
    const meta = await c.sock.groupCreate('Team', [jid(ALICE), jid(BOB)])
    expect(meta.subject).toBe('Team')
    expect(meta.participants.map((p) => [p.id, p.admin])).toEqual([
      [jid(ME), 'superadmin'],
      [jid(ALICE), null],
      [jid(BOB), null],
    ])
    const view = await api<GroupView>(w.sim, 'GET', `/groups/${meta.id}`)
    expect(view.body.participants.map((p) => p.phone)).toEqual([ME, ALICE, BOB])

    const sent = await c.sock.sendMessage(meta.id, { text: 'hello team' })
    const msgs = await waitMessages(meta.id, (m) =>
      m.data.some((x) => x.id === sent!.key.id && x.decryptedBy.length === 2),
    )
    expect(msgs.data.find((x) => x.id === sent!.key.id)).toEqual({
      id: sent!.key.id!,
      from: jid(ME),
      kind: 'text',
      text: 'hello team',
      quotedId: null,
      forwarded: false,
      mentions: [],
      timestamp: expect.any(Number),
      decryptedBy: [ALICE, BOB],
    })
    // The second message goes without sender-key distribution and still decrypts.
    const again = await c.sock.sendMessage(meta.id, { text: 'second' })
    const after = await waitMessages(meta.id, (m) =>
      m.data.some((x) => x.id === again!.key.id && x.decryptedBy.length === 2),
    )
    expect(after.data.find((x) => x.id === again!.key.id)?.text).toBe('second')
  })

  test("a member phone's group message reaches the client decrypted, with its sender", async () => {
    const created = await api<GroupView>(w.sim, 'POST', '/groups', {
      owner: ALICE,
      subject: 'From Alice',
      participants: [ME, BOB],
    })
    expect(created.status).toBe(201)
    const gid = created.body.jid
    await c.rec.waitFor('messages.upsert', (u) => u.messages.find((m) => m.key.remoteJid === gid))
    for (const text of ['one', 'two']) {
      const r = await api<{ id: string }>(w.sim, 'POST', `/groups/${gid}/messages`, { from: ALICE, text })
      expect(r.status).toBe(201)
      const m = await c.rec.waitFor('messages.upsert', (u) => u.messages.find((x) => x.key.id === r.body.id))
      expect(textOf(m)).toBe(text)
      expect(m.key.remoteJid).toBe(gid)
      expect(m.key.participant).toBe(jid(ALICE))
      expect(m.pushName).toBe('Alice')
    }
  })

  test('participant changes answer per participant, including a privacy refusal and a number not on WhatsApp', async () => {
    const meta = await c.sock.groupCreate('Ops', [jid(ALICE)])
    expect((await api(w.sim, 'POST', `/accounts/${CAROL}/privacy`, { groupAdd: 'none' })).status).toBe(200)
    const added = await c.sock.groupParticipantsUpdate(
      meta.id,
      [jid(BOB), jid(CAROL), jid('15559999999'), jid(ALICE)],
      'add',
    )
    expect(added.map((r) => [r.jid, r.status])).toEqual([
      [jid(BOB), '200'],
      [jid(CAROL), '403'],
      [jid('15559999999'), '404'],
      [jid(ALICE), '409'],
    ])
    const promoted = await c.sock.groupParticipantsUpdate(meta.id, [jid(BOB)], 'promote')
    expect(promoted.map((r) => r.status)).toEqual(['200'])
    const removed = await c.sock.groupParticipantsUpdate(meta.id, [jid(ALICE), jid(CAROL)], 'remove')
    expect(removed.map((r) => r.status)).toEqual(['200', '404'])
    const view = await api<GroupView>(w.sim, 'GET', `/groups/${meta.id}`)
    expect(view.body.participants.map((p) => [p.phone, p.admin])).toEqual([
      [ME, 'superadmin'],
      [BOB, 'admin'],
    ])
    // The client hears its own changes back as w:gp2 notifications.
    const rm = await c.rec.waitFor('group-participants.update', (u) => u.id === meta.id && u.action === 'remove' && u)
    expect(rm.participants.map((p) => p.id)).toEqual([jid(ALICE)])
    expect(rm.author).toBe(jid(ME))
  })

  test("another admin's changes through the control API reach the client as notifications", async () => {
    const meta = await c.sock.groupCreate('Admins', [jid(ALICE), jid(BOB)])
    await c.sock.groupParticipantsUpdate(meta.id, [jid(ALICE)], 'promote')
    const patched = await api<GroupView>(w.sim, 'PATCH', `/groups/${meta.id}`, {
      actor: ALICE,
      subject: 'Renamed',
      announce: true,
    })
    expect(patched.status).toBe(200)
    expect(patched.body).toMatchObject({ subject: 'Renamed', announce: true })
    const demote = await api<{ data: unknown[] }>(w.sim, 'POST', `/groups/${meta.id}/participants`, {
      actor: ALICE,
      action: 'demote',
      participants: [BOB],
    })
    expect(demote.body.data).toEqual([{ jid: jid(BOB), status: '200' }])
    const up = await c.rec.waitFor('groups.update', (u) => u.find((g) => g.id === meta.id && g.subject === 'Renamed'))
    expect(up.author).toBe(jid(ALICE))
    await c.rec.waitFor('groups.update', (u) => u.find((g) => g.id === meta.id && g.announce === true))
    const d = await c.rec.waitFor('group-participants.update', (u) => u.id === meta.id && u.action === 'demote' && u)
    expect(d.author).toBe(jid(ALICE))
    // A non-admin is refused.
    const refused = await api(w.sim, 'PATCH', `/groups/${meta.id}`, { actor: BOB, locked: true })
    expect(refused.status).toBe(403)
    expect(refused.body).toEqual({
      error: { code: 'forbidden', message: 'not-authorized', details: { whatsappCode: 403 } },
    })
    // The client reads the changes back with a metadata query.
    const fresh = await c.sock.groupMetadata(meta.id)
    expect([fresh.subject, fresh.announce]).toEqual(['Renamed', true])
  })

  test('invite code: get, revoke, join by code and leave', async () => {
    const meta = await c.sock.groupCreate('Invites', [jid(ALICE)])
    const code = await c.sock.groupInviteCode(meta.id)
    const view = await api<GroupView>(w.sim, 'GET', `/groups/${meta.id}`)
    expect(code).toBe(view.body.inviteCode)
    const revoked = await c.sock.groupRevokeInvite(meta.id)
    expect(revoked).not.toBe(code)
    expect((await api(w.sim, 'POST', '/groups/join', { phone: BOB, code })).status).toBe(404)
    const joined = await api<GroupView>(w.sim, 'POST', '/groups/join', { phone: BOB, code: revoked })
    expect(joined.body.participants.map((p) => p.phone)).toEqual([ME, ALICE, BOB])
    await c.rec.waitFor(
      'group-participants.update',
      (u) => u.id === meta.id && u.action === 'add' && u.author === jid(BOB),
    )

    // Alice owns a group; the client joins it by code, then leaves.
    const other = await api<GroupView>(w.sim, 'POST', '/groups', { owner: ALICE, subject: 'Open', participants: [] })
    const gid = await c.sock.groupAcceptInvite(other.body.inviteCode)
    expect(gid).toBe(other.body.jid)
    const info = await c.sock.groupMetadata(other.body.jid)
    expect(info.participants.map((p) => p.id)).toEqual([jid(ALICE), jid(ME)])
    await c.sock.groupLeave(other.body.jid)
    const left = await api<GroupView>(w.sim, 'GET', `/groups/${other.body.jid}`)
    expect(left.body.participants.map((p) => p.phone)).toEqual([ALICE])
    const leave = await c.rec.waitFor(
      'group-participants.update',
      (u) => u.id === other.body.jid && u.action === 'remove' && u.author === jid(ME) && u,
    )
    expect(leave.participants.map((p) => p.id)).toEqual([jid(ME)])
  })

  test('counts metadata queries: one for an uncached send, none for 20 sends served from a metadata cache', async () => {
    await account(w.sim, DAVE, { name: 'Dave' })
    const cache = new Map<string, GroupMetadata>()
    const d = await pairByQr(w.sim, DAVE, { cachedGroupMetadata: async (id) => cache.get(id) })
    try {
      const meta = await d.sock.groupCreate('Counted', [jid(ALICE), jid(ME)])
      const counted = async () =>
        (await api<Counters>(w.sim, 'GET', `/accounts/${DAVE}/counters`)).body.groupMetadataQueriesByGroup[meta.id] ?? 0
      expect(await counted()).toBe(0)
      await d.sock.sendMessage(meta.id, { text: 'first' })
      expect(await counted()).toBe(1)
      cache.set(meta.id, await d.sock.groupMetadata(meta.id))
      expect(await counted()).toBe(2)
      let last: string | undefined
      for (let i = 0; i < 20; i++) last = (await d.sock.sendMessage(meta.id, { text: `cached ${i}` }))!.key.id!
      await waitMessages(meta.id, (m) => m.data.some((x) => x.id === last && x.decryptedBy.length === 2))
      expect(await counted()).toBe(2)
      // The other linked client in the group (ours) decrypts the relayed messages too.
      const atMe = await c.rec.waitFor('messages.upsert', (u) => u.messages.find((m) => m.key.id === last))
      expect(textOf(atMe)).toBe('cached 19')
      expect(atMe.key.participant).toBe(jid(DAVE))
    } finally {
      await end(d)
    }
  }, 20_000)

  test('a LID-addressed group: a member post names the sender by LID with its phone, and the client message decrypts', async () => {
    const created = await api<GroupView>(w.sim, 'POST', '/groups', {
      owner: ALICE,
      subject: 'LID group',
      participants: [ME, BOB],
      addressingMode: 'lid',
    })
    const gid = created.body.jid
    const alice = created.body.participants.find((p) => p.phone === ALICE)!
    const r = await api<{ id: string }>(w.sim, 'POST', `/groups/${gid}/messages`, { from: ALICE, text: 'lid hello' })
    const m = await c.rec.waitFor('messages.upsert', (u) => u.messages.find((x) => x.key.id === r.body.id))
    expect(textOf(m)).toBe('lid hello')
    expect([m.key.participant, m.key.participantAlt]).toEqual([alice.lid, jid(ALICE)])
    const meta = await c.sock.groupMetadata(gid)
    expect(String(meta.addressingMode)).toBe('lid')
    expect(meta.participants.find((p) => p.id === alice.lid)?.phoneNumber).toBe(jid(ALICE))
    const sent = await c.sock.sendMessage(gid, { text: 'from my lid' })
    const msgs = await waitMessages(gid, (x) => x.data.some((y) => y.id === sent!.key.id && y.decryptedBy.length === 2))
    expect(msgs.data.find((y) => y.id === sent!.key.id)?.text).toBe('from my lid')
  })

  test('the client lists its groups and changes description, settings and the disappearing timer', async () => {
    const meta = await c.sock.groupCreate('Settings', [jid(ALICE)])
    await c.sock.groupUpdateDescription(meta.id, 'what we do')
    await c.sock.groupSettingUpdate(meta.id, 'locked')
    await c.sock.groupToggleEphemeral(meta.id, 86_400)
    await c.sock.groupUpdateSubject(meta.id, 'Settings 2')
    const view = await api<GroupView & { ephemeral: number }>(w.sim, 'GET', `/groups/${meta.id}`)
    expect(view.body).toMatchObject({
      subject: 'Settings 2',
      description: 'what we do',
      locked: true,
      ephemeral: 86_400,
    })
    const all = await c.sock.groupFetchAllParticipating()
    expect(all[meta.id]).toMatchObject({
      subject: 'Settings 2',
      desc: 'what we do',
      restrict: true,
      ephemeralDuration: 86_400,
    })
    // Locked: only admins edit the info.
    const refused = await api(w.sim, 'PATCH', `/groups/${meta.id}`, { actor: ALICE, subject: 'nope' })
    expect(refused.status).toBe(403)
  })
})
