// Linking and logging in: QR pairing, restart from saved creds, unknown devices, pairing codes, strict certificates.
import { describe, expect, test } from 'bun:test'
import { jidDecode } from '@whiskeysockets/baileys'
import { randomBytes } from 'node:crypto'
import { installStrictVerify, trustRoot } from '../../src/whatsapp/process-patches.ts'
import { account, api, connect, end, memoryAuth, pairByQr, world, type World } from './harness.ts'
import { simulatorLifecycle } from './lifecycle.ts'

let w: World | undefined
const clients = simulatorLifecycle()

describe('simulator pairing and login', () => {
  test('fresh auth shows a QR; scanning it pairs, restarts with 515 and logs in with the account JID and LID', async () => {
    w = await world()
    const acc = await account(w.sim, '15551000001', { name: 'Ada' })
    const auth = memoryAuth()
    const first = connect(w.sim, auth)
    clients.push(first)
    const qr = await first.rec.qr()
    expect(qr).toStartWith('https://wa.me/settings/linked_devices#')
    const closing = first.rec.closed()
    const scan = await api<{ device: { id: number; jid: string } }>(w.sim, 'POST', '/accounts/15551000001:scan', { qr })
    expect(scan.status).toBe(200)
    expect(await closing).toBe(515)

    const second = connect(w.sim, auth)
    clients.push(second)
    await second.rec.opened()
    const me = auth.creds.me!
    expect(jidDecode(me.id)?.user).toBe('15551000001')
    expect(jidDecode(me.id)?.device).toBe(scan.body.device.id)
    expect(jidDecode(me.lid!)?.user).toBe(jidDecode(acc.lid)?.user)
    expect(jidDecode(me.lid!)?.server).toBe('lid')

    const view = await api<{ devices: Array<{ id: number; state: string }> }>(w.sim, 'GET', '/accounts/15551000001')
    expect(view.body.devices).toEqual([expect.objectContaining({ id: scan.body.device.id, state: 'connected' })])
  })

  test('saved creds log in again without a QR; a device the network does not know gets 401', async () => {
    w = await world()
    await account(w.sim, '15551000002')
    const paired = await pairByQr(w.sim, '15551000002')
    clients.push(paired)
    const closing = paired.rec.closed()
    await end(paired)
    await closing

    const again = connect(w.sim, paired.auth)
    clients.push(again)
    await again.rec.opened()
    expect(again.rec.all('connection.update').some((u) => u.qr)).toBe(false)

    const stranger = memoryAuth()
    stranger.creds.me = { id: '15551000002:77@s.whatsapp.net', name: 'nobody' }
    const unknown = connect(w.sim, stranger)
    clients.push(unknown)
    expect(await unknown.rec.closed()).toBe(401)
  })

  test('pairing code: requestPairingCode, the phone enters the code, and the client reaches open', async () => {
    w = await world()
    await account(w.sim, '15551000003')
    const auth = memoryAuth()
    const first = connect(w.sim, auth)
    clients.push(first)
    await first.rec.qr()
    const code = await first.sock.requestPairingCode('15551000003')
    expect(code).toHaveLength(8)
    const closing = first.rec.closed()
    const linked = await api(w.sim, 'POST', '/accounts/15551000003:linkWithCode', { code })
    expect(linked.status).toBe(200)
    expect(await closing).toBe(515)
    const second = connect(w.sim, auth)
    clients.push(second)
    await second.rec.opened()
    expect(jidDecode(auth.creds.me!.id)?.user).toBe('15551000003')
  })

  test('with strict signature checks the client accepts the chain under rootPublicKey and refuses it under another root', async () => {
    installStrictVerify()
    w = await world()
    await account(w.sim, '15551000004')
    const ok = connect(w.sim, memoryAuth())
    clients.push(ok)
    await ok.rec.qr()
    await end(ok)

    const undo = trustRoot(randomBytes(32))
    try {
      const refused = connect(w.sim, memoryAuth())
      clients.push(refused)
      expect(await refused.rec.closed()).toBe(400)
      expect(refused.rec.all('connection.update').some((u) => u.qr)).toBe(false)
    } finally {
      undo()
    }
    // Strict checking also covers the ADV account signature the simulated phone makes at pairing.
    const paired = await pairByQr(w.sim, '15551000004')
    clients.push(paired)
  })
})
