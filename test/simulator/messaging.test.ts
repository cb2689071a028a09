// Messages both ways, receipts, bursts, two linked clients, and WhatsApp's offline queue.
import { describe, expect, test } from 'bun:test'
import { proto, type BinaryNode, type WAMessage } from '@whiskeysockets/baileys'
import { account, api, connect, end, pairByQr, world, type Client, type World } from './harness.ts'
import { simulatorLifecycle } from './lifecycle.ts'

let w: World | undefined
const clients = simulatorLifecycle()

type Sent = { data: Array<{ id: string; devices: Array<{ jid: string; state: string }> }> }

const textOf = (m: WAMessage) => m.message?.conversation ?? m.message?.extendedTextMessage?.text

/** Resolves once `pred` has been true for the simulator's view of `phone`'s sent messages. */
async function waitSent(world: World, phone: string, pred: (s: Sent) => boolean, timeoutMs = 10_000): Promise<Sent> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const r = await api<Sent>(world.sim, 'GET', `/accounts/${phone}/sent`)
    if (pred(r.body)) return r.body
    if (Date.now() > deadline) throw new Error(`sent state not reached: ${JSON.stringify(r.body)}`)
    await Bun.sleep(20)
  }
}

/**
 * Drops the client's connection the moment a message stanza from `from` arrives, before Baileys can send its receipt;
 * resolves with the close code.
 */
function dropOnArrival(c: Client, from: string): Promise<number | undefined> {
  const trap = (node: BinaryNode) => {
    if (node.attrs.from !== from) return
    c.sock.ws.off('CB:message', trap)
    void c.sock.end(undefined)
  }
  c.sock.ws.on('CB:message', trap)
  return c.rec.closed()
}

/** Resolves once the device's `pending` count is `n`. */
async function waitPending(pending: () => Promise<number | undefined>, n: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: number | undefined
  while ((last = await pending()) !== n) {
    if (Date.now() > deadline) throw new Error(`pending stayed ${last}, not ${n}`)
    await Bun.sleep(20)
  }
}

function upserted(c: Client): WAMessage[] {
  return c.rec.all('messages.upsert').flatMap((u) => u.messages)
}

describe('simulator messaging', () => {
  test('a contact message arrives decrypted with sender PN and LID, is receipted, and a 100-message burst arrives once and in order', async () => {
    w = await world()
    const contact = await account(w.sim, '15552000001', { name: 'Carol' })
    await account(w.sim, '15552000002')
    const c = await pairByQr(w.sim, '15552000002')
    clients.push(c)

    const one = await api<{ id: string }>(w.sim, 'POST', '/accounts/15552000001/messages', {
      to: '15552000002',
      text: 'hello from Carol',
    })
    expect(one.status).toBe(201)
    const msg = await c.rec.waitFor('messages.upsert', (u) => u.messages.find((m) => m.key.id === one.body.id))
    expect(textOf(msg)).toBe('hello from Carol')
    expect(msg.key.fromMe).toBe(false)
    expect(msg.key.remoteJid).toBe(contact.jid)
    expect(msg.key.remoteJidAlt).toBe(contact.lid)
    expect(msg.pushName).toBe('Carol')
    await waitSent(w, '15552000001', (s) => s.data.find((m) => m.id === one.body.id)?.devices[0]?.state === 'receipted')

    const burst = await api<{ data: Array<{ id: string }> }>(w.sim, 'POST', '/accounts/15552000001/messages', {
      to: '15552000002',
      text: 'burst',
      count: 100,
    })
    expect(burst.body.data).toHaveLength(100)
    const ids = burst.body.data.map((m) => m.id)
    const last = ids.at(-1)
    await c.rec.waitFor('messages.upsert', (u) => u.messages.some((m) => m.key.id === last), 20_000)
    await waitSent(w, '15552000001', (s) => s.data.every((m) => m.devices.every((d) => d.state === 'receipted')))
    const seen = upserted(c)
      .map((m) => m.key.id)
      .filter((id): id is string => !!id && ids.includes(id))
    expect(seen).toEqual(ids)
  })

  test('a client message reaches the contact phone decrypted and its status goes to delivered then read', async () => {
    w = await world()
    const bob = await account(w.sim, '15552000011', { receipts: 'read' })
    await account(w.sim, '15552000012')
    const c = await pairByQr(w.sim, '15552000012')
    clients.push(c)

    // What reached the client on the wire, in order: the server ack, then the phone's delivery and read receipts.
    const wire: string[] = []
    c.sock.ws.on('CB:ack,class:message', () => wire.push('ack'))
    c.sock.ws.on('CB:receipt', (n: BinaryNode) => wire.push(n.attrs.type ?? 'delivery'))
    const sent = await c.sock.sendMessage(bob.jid, { text: 'hi Bob' })
    const id = sent!.key.id!
    await c.rec.waitFor('messages.update', (ups) =>
      ups.find((u) => u.key.id === id && u.update.status === proto.WebMessageInfo.Status.READ),
    )
    expect(wire).toEqual(['ack', 'delivery', 'read'])
    // Baileys' event buffer may fold DELIVERY_ACK into the upsert or into the READ update; when it is emitted on its
    // own it must come before READ.
    const statuses = c.rec
      .all('messages.update')
      .flat()
      .filter((u) => u.key.id === id && u.update.status != null)
      .map((u) => u.update.status)
    expect(statuses.at(-1)).toBe(proto.WebMessageInfo.Status.READ)
    expect(statuses.indexOf(proto.WebMessageInfo.Status.DELIVERY_ACK)).toBeLessThan(statuses.length - 1)

    const inbox = await api<{ data: Array<{ id: string; from: string; text: string }> }>(
      w.sim,
      'GET',
      '/accounts/15552000011/messages',
    )
    expect(inbox.body.data).toEqual([
      expect.objectContaining({ id, from: '15552000012@s.whatsapp.net', text: 'hi Bob' }),
    ])
  })

  test('two clients linked to two accounts exchange messages both ways', async () => {
    w = await world()
    const a = await account(w.sim, '15552000021')
    const b = await account(w.sim, '15552000022')
    const ca = await pairByQr(w.sim, '15552000021')
    const cb = await pairByQr(w.sim, '15552000022')
    clients.push(ca, cb)

    const ab = await ca.sock.sendMessage(b.jid, { text: 'A to B' })
    const atB = await cb.rec.waitFor('messages.upsert', (u) => u.messages.find((m) => m.key.id === ab!.key.id))
    expect(textOf(atB)).toBe('A to B')
    expect(atB.key.fromMe).toBe(false)

    const ba = await cb.sock.sendMessage(a.jid, { text: 'B to A' })
    const atA = await ca.rec.waitFor('messages.upsert', (u) => u.messages.find((m) => m.key.id === ba!.key.id))
    expect(textOf(atA)).toBe('B to A')

    const again = await ca.sock.sendMessage(b.jid, { text: 'A to B again' })
    const atB2 = await cb.rec.waitFor('messages.upsert', (u) => u.messages.find((m) => m.key.id === again!.key.id))
    expect(textOf(atB2)).toBe('A to B again')
  })

  test('an unreceipted message is delivered again on reconnect, a receipted one is not', async () => {
    w = await world()
    const contact = await account(w.sim, '15552000031')
    await account(w.sim, '15552000032')
    const c = await pairByQr(w.sim, '15552000032')
    clients.push(c)

    const closing = dropOnArrival(c, contact.jid)
    const lost = await api<{ id: string }>(w.sim, 'POST', '/accounts/15552000031/messages', {
      to: '15552000032',
      text: 'lost receipt',
    })
    await closing
    const before = await waitSent(w, '15552000031', (s) => s.data[0]?.devices[0]?.state === 'delivered')
    expect(before.data[0]?.id).toBe(lost.body.id)

    const back = connect(w.sim, c.auth)
    clients.push(back)
    await back.rec.opened()
    const redelivered = await back.rec.waitFor('messages.upsert', (u) =>
      u.messages.find((m) => m.key.id === lost.body.id),
    )
    expect(textOf(redelivered)).toBe('lost receipt')
    await waitSent(w, '15552000031', (s) => s.data[0]?.devices[0]?.state === 'receipted')

    const closing2 = back.rec.closed()
    await end(back)
    await closing2
    const third = connect(w.sim, c.auth)
    clients.push(third)
    await third.rec.opened()
    const marker = await api<{ id: string }>(w.sim, 'POST', '/accounts/15552000031/messages', {
      to: '15552000032',
      text: 'marker',
    })
    await third.rec.waitFor('messages.upsert', (u) => u.messages.some((m) => m.key.id === marker.body.id))
    expect(upserted(third).some((m) => m.key.id === lost.body.id)).toBe(false)
  })

  test("a device's view counts what it has not receipted yet, the login's messages and a message delivered unreceipted", async () => {
    w = await world()
    const contact = await account(w.sim, '15552000041')
    await account(w.sim, '15552000042')
    const c = await pairByQr(w.sim, '15552000042')
    clients.push(c)
    type View = { devices: { pending: number }[] }
    const pending = async () => (await api<View>(w!.sim, 'GET', '/accounts/15552000042')).body.devices[0]?.pending
    // The key share and the history sync of the login go out before <ib><offline>; the client receipts them.
    await waitPending(pending, 0)

    const closing = dropOnArrival(c, contact.jid)
    await api(w.sim, 'POST', '/accounts/15552000041/messages', { to: '15552000042', text: 'not receipted' })
    await closing
    expect(await pending()).toBe(1)

    const back = connect(w.sim, c.auth)
    clients.push(back)
    await back.rec.opened()
    await waitPending(pending, 0)
  })

  test('a client that lost its session asks for a retry and gets the message re-encrypted', async () => {
    w = await world()
    await account(w.sim, '15552000051')
    await account(w.sim, '15552000052')
    const c = await pairByQr(w.sim, '15552000052')
    clients.push(c)
    const first = await api<{ id: string }>(w.sim, 'POST', '/accounts/15552000051/messages', {
      to: '15552000052',
      text: 'one',
    })
    await c.rec.waitFor('messages.upsert', (u) => u.messages.some((m) => m.key.id === first.body.id))
    const store = (c.auth as typeof c.auth & { store: Map<string, unknown> }).store
    for (const key of [...store.keys()]) if (key.startsWith('session:')) store.delete(key)

    const second = await api<{ id: string }>(w.sim, 'POST', '/accounts/15552000051/messages', {
      to: '15552000052',
      text: 'two',
    })
    const got = await c.rec.waitFor('messages.upsert', (u) =>
      u.messages.find((m) => m.key.id === second.body.id && textOf(m)),
    )
    expect(textOf(got)).toBe('two')
    await waitSent(
      w,
      '15552000051',
      (s) => s.data.find((m) => m.id === second.body.id)?.devices[0]?.state === 'receipted',
    )
  })

  test('an undecryptable message surfaces as a CIPHERTEXT stub', async () => {
    w = await world()
    await account(w.sim, '15552000041')
    await account(w.sim, '15552000042')
    const c = await pairByQr(w.sim, '15552000042')
    clients.push(c)
    const bad = await api<{ id: string }>(w.sim, 'POST', '/accounts/15552000041/messages', {
      to: '15552000042',
      undecryptable: true,
    })
    expect(bad.status).toBe(201)
    const stub = await c.rec.waitFor('messages.upsert', (u) => u.messages.find((m) => m.key.id === bad.body.id))
    expect(stub.messageStubType).toBe(proto.WebMessageInfo.StubType.CIPHERTEXT)
  })
})
