// Rich kinds both ways with the real Baileys: location, contacts, polls (votes Baileys decrypts), reactions set and
// removed, edits, revokes, replies and forwards. One simulator, one linked client, two contact phones for the file.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import {
  decryptPollVote,
  getAggregateVotesInPollMessage,
  getKeyAuthor,
  jidNormalizedUser,
  proto,
  type WAMessage,
} from '@whiskeysockets/baileys'
import { encryptVote } from '../../src/simulator/poll.ts'
import { account, api, end, pairByQr, quietLibsignal, world, type Client, type World } from './harness.ts'

const ALICE = '15554100001'
const CAROL = '15554100003'
const LINKED = '15554100002'
const aliceJid = `${ALICE}@s.whatsapp.net`
let w: World
let c: Client
const lids = { [ALICE]: '', [CAROL]: '' }
let restoreConsole: () => void

beforeAll(async () => {
  restoreConsole = quietLibsignal()
  w = await world()
  lids[ALICE] = (await account(w.sim, ALICE, { name: 'Alice' })).lid
  lids[CAROL] = (await account(w.sim, CAROL, { name: 'Carol' })).lid
  await account(w.sim, LINKED)
  c = await pairByQr(w.sim, LINKED)
}, 30_000)

afterAll(async () => {
  await end(c)
  await w.sim.stop()
  w.untrust()
  restoreConsole()
})

type Inbox = { id: string; kind: string; [k: string]: unknown }

/** The first entry of `phone`'s inbox that `pick` accepts, once it is there. */
async function inbox(phone: string, pick: (m: Inbox) => boolean): Promise<Inbox> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await Bun.sleep(20)) {
    const r = await api<{ data: Inbox[] }>(w.sim, 'GET', `/accounts/${phone}/messages`)
    const m = r.body.data.find(pick)
    if (m) return m
  }
  throw new Error(`no matching message reached ${phone}`)
}

/** The phone sends; returns the id. */
async function phoneSends(phone: string, body: Record<string, unknown>): Promise<string> {
  const r = await api<{ id: string }>(w.sim, 'POST', `/accounts/${phone}/messages`, { to: LINKED, ...body })
  if (r.status !== 201) throw new Error(`send failed: ${JSON.stringify(r.body)}`)
  return r.body.id
}

const upserted = (id: string) =>
  c.rec.waitFor('messages.upsert', (u) => u.messages.find((m) => m.key.id === id && m.message))

describe('simulator rich kinds', () => {
  test('location: client → phone and phone → client', async () => {
    const sent = await c.sock.sendMessage(aliceJid, {
      location: { degreesLatitude: 52.52, degreesLongitude: 13.405, name: 'Berlin', address: 'Mitte' },
    })
    const got = await inbox(ALICE, (m) => m.id === sent!.key.id)
    expect(got).toMatchObject({
      kind: 'location',
      location: { latitude: 52.52, longitude: 13.405, name: 'Berlin', address: 'Mitte' },
    })
    const id = await phoneSends(ALICE, { location: { latitude: -33.86, longitude: 151.21, name: 'Sydney' } })
    const msg = await upserted(id)
    expect(msg.message?.locationMessage).toMatchObject({
      degreesLatitude: -33.86,
      degreesLongitude: 151.21,
      name: 'Sydney',
    })
  })

  test('contacts: one and several vCards, both ways', async () => {
    const vcard = 'BEGIN:VCARD\nVERSION:3.0\nFN:Dan\nTEL;type=CELL;waid=15551230000:+1 555 123 0000\nEND:VCARD'
    const sent = await c.sock.sendMessage(aliceJid, { contacts: { displayName: 'Dan', contacts: [{ vcard }] } })
    const got = await inbox(ALICE, (m) => m.id === sent!.key.id)
    expect(got).toMatchObject({ kind: 'contacts', contacts: [{ name: 'Dan', phones: ['15551230000'], vcard }] })

    const one = await upserted(
      await phoneSends(ALICE, { contacts: [{ name: 'Erin', phones: ['+15551110000'], org: 'ACME' }] }),
    )
    expect(one.message?.contactMessage?.displayName).toBe('Erin')
    expect(one.message?.contactMessage?.vcard).toContain('TEL;type=CELL;type=VOICE;waid=15551110000:+15551110000')
    expect(one.message?.contactMessage?.vcard).toContain('ORG:ACME;')
    const many = await upserted(
      await phoneSends(ALICE, {
        contacts: [
          { name: 'Erin', phones: ['+15551110000'] },
          { name: 'Finn', phones: ['+15552220000', '+15553330000'] },
        ],
      }),
    )
    expect(many.message?.contactsArrayMessage?.contacts?.map((x) => x.displayName)).toEqual(['Erin', 'Finn'])
  })

  test('poll from the client: two phones vote, Baileys decrypts and aggregates each vote its own way', async () => {
    // Baileys' own vote logic (process-message.js, commented out in rc14 for apps to do): creator and voter are
    // getKeyAuthor of the poll's and the vote's keys, meId = jidNormalizedUser(me.id).
    const me = jidNormalizedUser(c.sock.user!.id)
    const results: Array<Record<string, string[]>> = []
    for (const [phone, choice] of [
      [ALICE, ['Pizza']],
      [CAROL, ['Pizza', 'Sushi']],
    ] as const) {
      const poll = (await c.sock.sendMessage(`${phone}@s.whatsapp.net`, {
        poll: { name: 'Lunch?', values: ['Pizza', 'Sushi', 'Tacos'], selectableCount: 2 },
      })) as WAMessage
      const seen = await inbox(phone, (m) => m.id === poll.key.id)
      expect(seen).toMatchObject({
        kind: 'poll',
        poll: { name: 'Lunch?', options: ['Pizza', 'Sushi', 'Tacos'], selectableCount: 2 },
      })
      await phoneSends(phone, { pollVote: { messageId: poll.key.id, options: choice } })
      const vote = await c.rec.waitFor('messages.upsert', (u) =>
        u.messages.find((m) => m.message?.pollUpdateMessage?.pollCreationMessageKey?.id === poll.key.id),
      )
      expect(vote.message!.pollUpdateMessage!.pollCreationMessageKey!.fromMe).toBe(true)
      const decrypted = decryptPollVote(vote.message!.pollUpdateMessage!.vote!, {
        pollEncKey: poll.message!.messageContextInfo!.messageSecret!,
        pollCreatorJid: getKeyAuthor(poll.key, me),
        pollMsgId: poll.key.id!,
        voterJid: getKeyAuthor(vote.key, me),
      })
      const votes = getAggregateVotesInPollMessage(
        { message: poll.message, pollUpdates: [{ pollUpdateMessageKey: vote.key, vote: decrypted }] },
        me,
      )
      results.push(Object.fromEntries(votes.map((v) => [v.name, v.voters])))
    }
    expect(results).toEqual([
      { Pizza: [lids[ALICE]], Sushi: [], Tacos: [] },
      { Pizza: [lids[CAROL]], Sushi: [lids[CAROL]], Tacos: [] },
    ])
  })

  test('poll from a phone arrives with its options and secret; an unknown option or poll is refused', async () => {
    const id = await phoneSends(ALICE, { poll: { name: 'Which day?', options: ['Mon', 'Tue'], selectableCount: 1 } })
    const msg = await upserted(id)
    expect(msg.message?.pollCreationMessageV3?.options?.map((o) => o.optionName)).toEqual(['Mon', 'Tue'])
    expect(msg.message?.messageContextInfo?.messageSecret).toHaveLength(32)
    const bad = await api(w.sim, 'POST', `/accounts/${ALICE}/messages`, {
      to: LINKED,
      pollVote: { messageId: id, options: ['Sun'] },
    })
    expect(bad.status).toBe(400)
    const unknown = await api(w.sim, 'POST', `/accounts/${ALICE}/messages`, {
      to: LINKED,
      pollVote: { messageId: 'NOPE', options: ['Mon'] },
    })
    expect(unknown.status).toBe(404)
  })

  test("a client's vote on a phone's poll reaches the phone decrypted", async () => {
    const me = jidNormalizedUser(c.sock.user!.id)
    const id = await phoneSends(ALICE, { poll: { name: 'Tea?', options: ['Green', 'Black'] } })
    const poll = await upserted(id)
    // What a Baileys app does to vote (rc14 has no API for it): encrypt with the jids getKeyAuthor gives.
    const record = {
      secret: Buffer.from(poll.message!.messageContextInfo!.messageSecret!),
      creatorJid: getKeyAuthor(poll.key, me),
      options: ['Green', 'Black'],
    }
    await c.sock.relayMessage(
      aliceJid,
      {
        pollUpdateMessage: {
          pollCreationMessageKey: { remoteJid: aliceJid, fromMe: false, id },
          vote: encryptVote(record, id, me, ['Black']),
          senderTimestampMs: Date.now(),
        },
      },
      {},
    )
    expect(await inbox(ALICE, (m) => m.kind === 'pollVote')).toMatchObject({
      pollVote: { messageId: id, options: ['Black'] },
    })
  })

  for (const addressingMode of ['pn', 'lid'] as const)
    test(`a ${addressingMode}-addressed group poll a phone posts: members' votes decrypt with Baileys' jids, the client's reaches the phones`, async () => {
      const me = jidNormalizedUser(c.sock.user!.id)
      const created = await api<{ jid: string }>(w.sim, 'POST', '/groups', {
        owner: ALICE,
        subject: `Poll ${addressingMode}`,
        participants: [LINKED, CAROL],
        addressingMode,
      })
      const gid = created.body.jid
      const post = async (from: string, body: Record<string, unknown>) =>
        (await api<{ id: string }>(w.sim, 'POST', `/groups/${gid}/messages`, { from, ...body })).body.id
      const id = await post(ALICE, { poll: { name: 'Lunch?', options: ['Pizza', 'Sushi', 'Tacos'] } })
      const poll = await upserted(id)
      expect(poll.message?.pollCreationMessage?.options?.map((o) => o.optionName)).toEqual(['Pizza', 'Sushi', 'Tacos'])
      const updates = []
      for (const [phone, choice] of [
        [ALICE, ['Pizza']],
        [CAROL, ['Pizza', 'Sushi']],
      ] as const) {
        const voteId = await post(phone, { pollVote: { messageId: id, options: choice } })
        const vote = await upserted(voteId)
        expect(vote.message!.pollUpdateMessage!.pollCreationMessageKey).toMatchObject({ remoteJid: gid, id })
        const decrypted = decryptPollVote(vote.message!.pollUpdateMessage!.vote!, {
          pollEncKey: poll.message!.messageContextInfo!.messageSecret!,
          pollCreatorJid: getKeyAuthor(poll.key, me),
          pollMsgId: id,
          voterJid: getKeyAuthor(vote.key, me),
        })
        updates.push({ pollUpdateMessageKey: vote.key, vote: decrypted })
      }
      // Baileys names a group member by the alternate of the stanza's participant: LID in a PN group, PN in a LID one.
      const name = (phone: string) =>
        addressingMode === 'pn' ? lids[phone as keyof typeof lids] : `${phone}@s.whatsapp.net`
      const votes = getAggregateVotesInPollMessage({ message: poll.message, pollUpdates: updates }, me)
      expect(Object.fromEntries(votes.map((v) => [v.name, v.voters]))).toEqual({
        Pizza: [name(ALICE), name(CAROL)],
        Sushi: [name(CAROL)],
        Tacos: [],
      })
      const record = {
        secret: Buffer.from(poll.message!.messageContextInfo!.messageSecret!),
        creatorJid: getKeyAuthor(poll.key, me),
        options: ['Pizza', 'Sushi', 'Tacos'],
      }
      const mine = await c.sock.relayMessage(
        gid,
        {
          pollUpdateMessage: {
            pollCreationMessageKey: { remoteJid: gid, fromMe: false, id, participant: poll.key.participant },
            vote: encryptVote(record, id, me, ['Tacos']),
            senderTimestampMs: Date.now(),
          },
        },
        {},
      )
      for (let deadline = Date.now() + 10_000; ; await Bun.sleep(20)) {
        const msgs = (await api<{ data: any[] }>(w.sim, 'GET', `/groups/${gid}/messages`)).body.data
        const seen = msgs.find((m) => m.id === mine && m.decryptedBy.length === 2)
        if (seen) {
          expect(seen).toMatchObject({ kind: 'pollVote', pollVote: { messageId: id, options: ['Tacos'] } })
          break
        }
        if (Date.now() > deadline) throw new Error(`the client's vote was not read: ${JSON.stringify(msgs)}`)
      }
    })

  test("group edits and deletes: the key names the message's author, another member's included", async () => {
    const gid = (
      await api<{ jid: string }>(w.sim, 'POST', '/groups', {
        owner: ALICE,
        subject: 'Edits',
        participants: [LINKED, CAROL],
      })
    ).body.jid
    const post = async (from: string, body: Record<string, unknown>) => {
      const r = await api<{ id: string }>(w.sim, 'POST', `/groups/${gid}/messages`, { from, ...body })
      expect(r.status).toBe(201)
      return r.body.id
    }
    const carols = await post(CAROL, { text: 'spam' })
    await upserted(carols)
    const own = await upserted(await post(CAROL, { edit: { messageId: carols, text: 'ham' } }))
    expect(own.message?.protocolMessage?.key).toEqual({ remoteJid: gid, fromMe: true, id: carols })
    const byAdmin = await upserted(await post(ALICE, { revoke: { messageId: carols } }))
    expect(byAdmin.key.participant).toBe(`${ALICE}@s.whatsapp.net`)
    expect(byAdmin.message?.protocolMessage).toMatchObject({
      type: proto.Message.ProtocolMessage.Type.REVOKE,
      key: { remoteJid: gid, fromMe: false, id: carols, participant: `${CAROL}@s.whatsapp.net` },
    })
    const missing = await api<{ error: { code: string } }>(w.sim, 'POST', `/groups/${gid}/messages`, {
      from: ALICE,
      edit: { messageId: 'NOT-IN-GROUP', text: 'x' },
    })
    expect([missing.status, missing.body.error.code]).toEqual([404, 'not_found'])
  })

  test('reactions: the client reacts to a phone message and removes it; the phone does the same', async () => {
    const theirs = await upserted(await phoneSends(ALICE, { text: 'react to me' }))
    const r1 = await c.sock.sendMessage(aliceJid, { react: { text: '👍', key: theirs.key } })
    expect(await inbox(ALICE, (m) => m.id === r1!.key.id)).toMatchObject({
      kind: 'reaction',
      reaction: { messageId: theirs.key.id, emoji: '👍' },
    })
    const r2 = await c.sock.sendMessage(aliceJid, { react: { text: '', key: theirs.key } })
    expect(await inbox(ALICE, (m) => m.id === r2!.key.id)).toMatchObject({
      reaction: { messageId: theirs.key.id, emoji: '' },
    })

    const mine = await c.sock.sendMessage(aliceJid, { text: 'react to mine' })
    await inbox(ALICE, (m) => m.id === mine!.key.id)
    for (const emoji of ['❤️', '']) {
      await phoneSends(ALICE, { reaction: { messageId: mine!.key.id, emoji } })
      const got = await c.rec.waitFor('messages.reaction', (rs) =>
        rs.find((r) => r.key.id === mine!.key.id && r.reaction.text === emoji),
      )
      expect(got.key).toMatchObject({ id: mine!.key.id, fromMe: true })
    }
  })

  test('edits: the client edits its message; the phone edits its own', async () => {
    const mine = await c.sock.sendMessage(aliceJid, { text: 'typo' })
    await inbox(ALICE, (m) => m.id === mine!.key.id)
    await c.sock.sendMessage(aliceJid, { text: 'fixed', edit: mine!.key })
    expect(await inbox(ALICE, (m) => m.kind === 'edit')).toMatchObject({
      edit: { messageId: mine!.key.id, text: 'fixed' },
    })

    const theirs = await phoneSends(ALICE, { text: 'teh' })
    await upserted(theirs)
    await phoneSends(ALICE, { edit: { messageId: theirs, text: 'the' } })
    const edit = await c.rec.waitFor('messages.update', (us) =>
      us.find((u) => u.key.id === theirs && u.update.message?.editedMessage),
    )
    expect(edit.update.message!.editedMessage!.message?.conversation).toBe('the')
    const notOwn = await api(w.sim, 'POST', `/accounts/${ALICE}/messages`, {
      to: LINKED,
      edit: { messageId: mine!.key.id, text: 'x' },
    })
    expect(notOwn.status).toBe(404)
  })

  test('revokes: the client deletes for everyone; the phone does too', async () => {
    const mine = await c.sock.sendMessage(aliceJid, { text: 'oops' })
    await inbox(ALICE, (m) => m.id === mine!.key.id)
    // Baileys writes the revoke's own id into the key it is given: keep ours first.
    const mineId = mine!.key.id
    await c.sock.sendMessage(aliceJid, { delete: { ...mine!.key } })
    expect(await inbox(ALICE, (m) => m.kind === 'revoke')).toMatchObject({ revoke: { messageId: mineId } })

    const theirs = await phoneSends(ALICE, { text: 'regret' })
    await upserted(theirs)
    await phoneSends(ALICE, { revoke: { messageId: theirs } })
    const gone = await c.rec.waitFor('messages.update', (us) =>
      us.find((u) => u.key.id === theirs && u.update.messageStubType === proto.WebMessageInfo.StubType.REVOKE),
    )
    expect(gone.update.message).toBeNull()
  })

  test('replies and forwards carry their context both ways', async () => {
    const theirs = await upserted(await phoneSends(ALICE, { text: 'original' }))
    const reply = await c.sock.sendMessage(aliceJid, { text: 'a reply' }, { quoted: theirs })
    expect(await inbox(ALICE, (m) => m.id === reply!.key.id)).toMatchObject({
      kind: 'text',
      text: 'a reply',
      quotedId: theirs.key.id,
      forwarded: false,
    })
    const fwd = await c.sock.sendMessage(aliceJid, { forward: theirs })
    expect(await inbox(ALICE, (m) => m.id === fwd!.key.id)).toMatchObject({ text: 'original', forwarded: true })

    const quoted = await upserted(await phoneSends(ALICE, { text: 'answer', quotedId: reply!.key.id, forwarded: true }))
    const ctx = quoted.message?.extendedTextMessage?.contextInfo
    expect(ctx).toMatchObject({ stanzaId: reply!.key.id, isForwarded: true })
    const media = await upserted(
      await phoneSends(ALICE, {
        image: { data: Buffer.from('x').toString('base64'), mimetype: 'image/png' },
        quotedId: reply!.key.id,
      }),
    )
    expect(media.message?.imageMessage?.contextInfo?.stanzaId).toBe(reply!.key.id)
  })

  test('exactly one content field: none or two are 400 naming them', async () => {
    const none = await api<{ error: { code: string } }>(w.sim, 'POST', `/accounts/${ALICE}/messages`, { to: LINKED })
    expect(none.status).toBe(400)
    const two = await api<{ error: { code: string; details: { present: string[] } } }>(
      w.sim,
      'POST',
      `/accounts/${ALICE}/messages`,
      {
        to: LINKED,
        text: 'x',
        location: { latitude: 1, longitude: 2 },
      },
    )
    expect(two.status).toBe(400)
    expect(two.body.error.details.present).toEqual(['text', 'location'])
    const both = await api(w.sim, 'POST', `/accounts/${ALICE}/messages`, {
      to: LINKED,
      image: { mimetype: 'image/png' },
    })
    expect(both.status).toBe(400)
  })
})
