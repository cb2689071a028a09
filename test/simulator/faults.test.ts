// Faults on demand: every kick reason gives the client its documented disconnect code; a second login of a device
// replaces the open connection (and is counted); IQ faults delay or fail.
import { describe, expect, test } from 'bun:test'
import { account, api, connect, pairByQr, world, type World } from './harness.ts'
import { simulatorLifecycle } from './lifecycle.ts'

let w: World | undefined
const clients = simulatorLifecycle()

const cases = [
  { reason: 'restart', code: 515, relogin: true },
  { reason: 'conflict', code: 440, relogin: true },
  { reason: 'logged_out', code: 401, relogin: false },
  { reason: 'failure', code: 401, relogin: true },
  { reason: 'drop', code: 428, relogin: true },
  { reason: 'silence', code: 408, relogin: true },
] as const

describe('simulator faults', () => {
  test.each(cases)(
    'kick $reason closes the client with $code',
    async ({ reason, code, relogin }) => {
      w = await world()
      await account(w.sim, '15553000001')
      // A short keepalive makes the silence case (no pong for keepAlive + 5 s) take seconds, not a minute.
      const extra = reason === 'silence' ? { keepAliveIntervalMs: 500 } : {}
      const c = await pairByQr(w.sim, '15553000001', extra)
      clients.push(c)
      const closing = c.rec.closed(20_000)
      const kicked = await api<{ kicked: number }>(w.sim, 'POST', '/accounts/15553000001/devices:kick', { reason })
      expect(kicked.status).toBe(200)
      expect(kicked.body.kicked).toBe(1)
      expect(await closing).toBe(code)

      const again = connect(w.sim, c.auth)
      clients.push(again)
      if (relogin) await again.rec.opened()
      else {
        expect(await again.rec.closed()).toBe(401)
        const view = await api<{ devices: unknown[] }>(w.sim, 'GET', '/accounts/15553000001')
        expect(view.body.devices).toEqual([])
      }
    },
    30_000,
  )

  test("a device's view counts its logins and those that replaced a connection still open", async () => {
    w = await world()
    await account(w.sim, '15553000003')
    const c = await pairByQr(w.sim, '15553000003')
    clients.push(c)
    type View = { devices: { logins: number; replaced: number }[] }
    const view = async () => (await api<View>(w!.sim, 'GET', '/accounts/15553000003')).body.devices
    expect(await view()).toEqual([expect.objectContaining({ logins: 1, replaced: 0 })])
    const closing = c.rec.closed(20_000)
    const second = connect(w.sim, c.auth)
    clients.push(second)
    await second.rec.opened()
    expect(await closing).toBe(440)
    expect(await view()).toEqual([expect.objectContaining({ logins: 2, replaced: 1 })])
  }, 30_000)

  test('an IQ fault fails the chosen IQ with its code, then clears', async () => {
    w = await world()
    await account(w.sim, '15553000002')
    const c = await pairByQr(w.sim, '15553000002')
    clients.push(c)
    const added = await api(w.sim, 'POST', '/faults', { xmlns: 'usync', action: 'fail', code: 503, count: 1 })
    expect(added.status).toBe(201)
    await expect(c.sock.onWhatsApp('15553000002')).rejects.toThrow()
    const ok = await c.sock.onWhatsApp('15553000002')
    expect(ok?.[0]?.exists).toBe(true)

    await api(w.sim, 'POST', '/faults', { xmlns: 'usync', action: 'delay', ms: 300 })
    const started = Date.now()
    await c.sock.onWhatsApp('15553000002')
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    expect((await api(w.sim, 'DELETE', '/faults')).status).toBe(200)
    expect((await api<{ data: unknown[] }>(w.sim, 'GET', '/faults')).body.data).toEqual([])
  }, 30_000)
})
