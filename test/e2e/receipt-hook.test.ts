// The Baileys patch (scripts/patch-baileys.mjs, issue 6 §1): an inbound message's delivery receipt leaves only
// after the gateway has stored it. Fails on an unpatched Baileys, where the receipt goes out before any hook.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { join } from 'node:path'
import { createLogger } from '../../src/log.ts'
import { createAuthStateSql } from '../../src/store/auth-state-sql.ts'
import { createSessionAuth } from '../../src/whatsapp/auth-state.ts'
import type { Batch } from '../../src/whatsapp/records.ts'
import { createSealer } from '../../src/whatsapp/sealed.ts'
import { createRetryCache, openSocket } from '../../src/whatsapp/socket.ts'
import { startHarness, waitFor, type Harness } from './sessions-harness.ts'

const ME = '15551250001'
const BOB = '15551250002'
let h: Harness
let sid: string

beforeAll(async () => {
  h = await startHarness()
  await h.control('POST', '/accounts', { phone: BOB, name: 'Bob' })
  sid = await h.linkedSession(ME)
  // The supervisor lets go of the linked session; the test drives its own socket on the same creds.
  await h.supervisor.stop(sid)
})
afterAll(() => h.close())

it('verifies the Baileys patch is in place where the receipt code is (a moved anchor fails)', () => {
  const root = join(import.meta.dir, '..', '..')
  const check = Bun.spawnSync(['node', join(root, 'scripts', 'patch-baileys.mjs'), '--check'], { cwd: root })
  expect(check.stderr.toString()).toBe('')
  expect(check.exitCode).toBe(0)
})

it('withholds the delivery receipt until the received hook has returned', async () => {
  let frames = 0
  let opened = false
  const received: Batch[] = []
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const logger = createLogger('silent')
  const auth = createSessionAuth({
    sessionId: sid,
    sql: createAuthStateSql(h.db),
    sealer: createSealer(h.secretKey),
    logger,
  })
  const sock = openSocket({
    auth,
    isCurrent: () => true,
    logger,
    waUrl: h.sim.wsUrl,
    retryCache: createRetryCache(),
    keepAliveIntervalMs: 200,
    handlers: {
      batch: () => {},
      async received(b) {
        received.push(b)
        await gate
      },
      qr: () => {},
      open: () => void (opened = true),
      close: () => {},
      frame: () => void frames++,
      storedText: () => null,
    },
  })
  try {
    await waitFor('the socket to open', () => opened, 15_000)
    const sent = (await h.control('POST', `/accounts/${BOB}/messages`, { to: ME, text: 'hold the receipt' })).body
    const state = async () => {
      const all = (await h.control('GET', `/accounts/${BOB}/sent`)).body.data as any[]
      return all.find((s) => s.id === sent.id)?.devices[0]?.state as string | undefined
    }
    // Unpatched, the hook is never called and the receipt goes out at once.
    await waitFor('the hook or a receipt', async () => received.length === 1 || (await state()) === 'receipted')
    expect(await state()).toBe('delivered')
    expect(received[0]!.messages.map((m) => m.record.body)).toEqual(['hold the receipt'])
    // Keepalive answers prove the connection keeps flowing while the hook holds the receipt back.
    const seen = frames
    await waitFor('more frames while blocked', () => frames >= seen + 3, 5_000)
    expect(await state()).toBe('delivered')
    release()
    await waitFor('the receipt after release', async () => (await state()) === 'receipted')
  } finally {
    release()
    await sock.end()
    auth.close()
  }
}, 30_000)
