// The control API contract: shapes, validation and the error envelope.
import { describe, expect, test } from 'bun:test'
import { account, api, connect, memoryAuth, world, type World } from './harness.ts'
import { simulatorLifecycle } from './lifecycle.ts'

let w: World | undefined
const clients = simulatorLifecycle()

type Err = { error: { code: string; message: string; details: Record<string, unknown> } }

describe('simulator control API', () => {
  test('GET / names the WebSocket URL and the 32-byte root key', async () => {
    w = await world()
    const r = await api<{ wsUrl: string; rootPublicKey: string }>(w.sim, 'GET', '/')
    expect(r.body.wsUrl).toBe(w.sim.wsUrl)
    expect(r.body.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws\/chat$/)
    expect(Buffer.from(r.body.rootPublicKey, 'base64')).toHaveLength(32)
  })

  test('accounts: create, conflict, bad phone, unknown account', async () => {
    w = await world()
    const created = await api(w.sim, 'POST', '/accounts', { phone: '15555000001', name: 'Eve' })
    expect(created.status).toBe(201)
    expect(created.body).toEqual({
      phone: '15555000001',
      jid: '15555000001@s.whatsapp.net',
      lid: expect.stringMatching(/^\d+@lid$/),
      name: 'Eve',
    })
    const dup = await api<Err>(w.sim, 'POST', '/accounts', { phone: '15555000001' })
    expect(dup.status).toBe(409)
    expect(dup.body.error.code).toBe('conflict')
    const bad = await api<Err>(w.sim, 'POST', '/accounts', { phone: '12ab' })
    expect(bad.status).toBe(400)
    expect(bad.body.error).toMatchObject({ code: 'validation_error', details: { field: 'phone' } })
    const badReceipts = await api<Err>(w.sim, 'POST', '/accounts', { phone: '15555000002', receipts: 'sometimes' })
    expect(badReceipts.status).toBe(400)
    const missing = await api<Err>(w.sim, 'GET', '/accounts/15555000999')
    expect(missing.status).toBe(404)
    expect(missing.body.error.code).toBe('not_found')
    const view = await api(w.sim, 'GET', '/accounts/15555000001')
    expect(view.body).toMatchObject({ phone: '15555000001', devices: [] })
  })

  test('messages and kicks validate their input', async () => {
    w = await world()
    await account(w.sim, '15555000011')
    const noTo = await api<Err>(w.sim, 'POST', '/accounts/15555000011/messages', { to: '15555000099', text: 'x' })
    expect(noTo.status).toBe(404)
    const badCount = await api<Err>(w.sim, 'POST', '/accounts/15555000011/messages', {
      to: '15555000011',
      text: 'x',
      count: 0,
    })
    expect(badCount.status).toBe(400)
    const badReason = await api<Err>(w.sim, 'POST', '/accounts/15555000011/devices:kick', { reason: 'explode' })
    expect(badReason.status).toBe(400)
    const none = await api<{ kicked: number }>(w.sim, 'POST', '/accounts/15555000011/devices:kick', {
      reason: 'restart',
    })
    expect(none.body.kicked).toBe(0)
    expect((await api<{ data: unknown[] }>(w.sim, 'GET', '/accounts/15555000011/messages')).body).toEqual({ data: [] })
    expect((await api<{ data: unknown[] }>(w.sim, 'GET', '/accounts/15555000011/sent')).body).toEqual({ data: [] })
  })

  test('a phone lists only its newest keepMessages sent messages, and cannot edit one it forgot', async () => {
    w = await world({ keepMessages: 2 })
    await account(w.sim, '15555000031')
    await account(w.sim, '15555000032')
    const ids: string[] = []
    for (const text of ['one', 'two', 'three']) {
      const r = await api<{ id: string }>(w.sim, 'POST', '/accounts/15555000031/messages', { to: '15555000032', text })
      ids.push(r.body.id)
    }
    const sent = await api<{ data: Array<{ id: string; text: string }> }>(w.sim, 'GET', '/accounts/15555000031/sent')
    expect(sent.body.data.map((s) => s.id)).toEqual(ids.slice(1))
    expect(sent.body.data.map((s) => s.text)).toEqual(['two', 'three'])
    const forgotten = await api<Err>(w.sim, 'POST', '/accounts/15555000031/messages', {
      to: '15555000032',
      edit: { messageId: ids[0], text: 'edited' },
    })
    expect(forgotten.status).toBe(404)
    const kept = await api(w.sim, 'POST', '/accounts/15555000031/messages', {
      to: '15555000032',
      edit: { messageId: ids[2], text: 'edited' },
    })
    expect(kept.status).toBe(201)
  })

  test('an unknown QR is 404 and a QR that was already used is 410', async () => {
    w = await world()
    await account(w.sim, '15555000021')
    const unknown = await api<Err>(w.sim, 'POST', '/accounts/15555000021:scan', { qr: 'nope,a,b,c,d' })
    expect(unknown.status).toBe(404)
    const c = connect(w.sim, memoryAuth())
    clients.push(c)
    const qr = await c.rec.qr()
    expect((await api(w.sim, 'POST', '/accounts/15555000021:scan', { qr })).status).toBe(200)
    const reused = await api<Err>(w.sim, 'POST', '/accounts/15555000021:scan', { qr })
    expect(reused.status).toBe(410)
    expect(reused.body.error.code).toBe('gone')
    const noCode = await api<Err>(w.sim, 'POST', '/accounts/15555000021:linkWithCode', { code: 'ABCDEFGH' })
    expect(noCode.status).toBe(404)
  })

  test('a malformed percent-escape in a path is 400 validation_error, not 500', async () => {
    w = await world()
    await account(w.sim, '15555000031')
    for (const [method, path] of [
      ['GET', '/accounts/%E0%A4%A'],
      ['GET', '/accounts/%E0%A4%A/messages'],
      ['POST', '/accounts/%E0%A4%A/messages'],
      ['POST', '/accounts/%E0%A4%A/devices:kick'],
      ['POST', '/accounts/%E0%A4%A:scan'],
      ['GET', '/channels/%E0%A4%A'],
    ] as const) {
      const r = await api<Err>(w.sim, method, path, method === 'POST' ? { to: '15555000031', text: 'x' } : undefined)
      expect({ path, status: r.status, code: r.body.error.code }).toEqual({
        path,
        status: 400,
        code: 'validation_error',
      })
    }
  })

  test('a percent-encoded custom method and phone are decoded', async () => {
    w = await world()
    await account(w.sim, '15555000041')
    const r = await api<{ kicked: number }>(w.sim, 'POST', '/accounts/%31%35555000041/devices%3Akick', {
      reason: 'restart',
    })
    expect(r).toEqual({ status: 200, body: { kicked: 0 } })
  })

  test('unknown routes, verbs and methods are 404 in the envelope', async () => {
    w = await world()
    await account(w.sim, '15555000051')
    for (const [method, path] of [
      ['GET', '/nowhere'],
      ['POST', '/accounts/15555000051:explode'],
      ['POST', '/accounts/15555000051/devices:explode'],
      ['PUT', '/accounts'],
    ] as const) {
      const r = await api<Err>(w.sim, method, path, method === 'GET' ? undefined : {})
      expect({ path, status: r.status, code: r.body.error.code }).toEqual({ path, status: 404, code: 'not_found' })
    }
  })

  test('a body that is not JSON is 400, and a wrongly typed field names the field', async () => {
    w = await world()
    const res = await fetch(w.sim.controlUrl + '/accounts', { method: 'POST', body: '{"phone":' })
    expect(res.status).toBe(400)
    expect(((await res.json()) as Err).error.code).toBe('validation_error')
    const typed = await api<Err>(w.sim, 'POST', '/accounts', { phone: '15555000061', name: 7 })
    expect(typed.status).toBe(400)
    expect(typed.body.error).toMatchObject({ code: 'validation_error', details: { field: 'name' } })
  })
})
