// The Baileys patch (scripts/patch-baileys.mjs, issue 6 §1): an inbound message's delivery receipt leaves only
// after the gateway has stored it. Fails on an unpatched Baileys, where the receipt goes out before any hook.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { join } from 'node:path'
import { createLogger } from '../../src/log.ts'
import { createAuthStateSql } from '../../src/store/auth-state-sql.ts'
import { createSessionAuth } from '../../src/whatsapp/auth-state.ts'
import type { Batch } from '../../src/whatsapp/records.ts'
import { createSealer } from '../../src/domain/sealer.ts'
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
  // The supervisor lets go of the linked session; the tests drive their own sockets on the same creds.
  await h.supervisor.stop(sid)
})
afterAll(() => h.close())

/** A socket on the linked session whose `received` handler is the test's; resolves once it is open. */
async function socket(received: (b: Batch) => Promise<void>, isCurrent = () => true) {
  const state = { frames: 0, opened: false }
  const logger = createLogger('silent')
  const auth = createSessionAuth({
    sessionId: sid,
    sql: createAuthStateSql(h.db),
    sealer: createSealer(h.secretKey),
    logger,
  })
  const sock = openSocket({
    auth: await auth.forSocket(isCurrent),
    isCurrent,
    logger,
    waUrl: h.sim.wsUrl,
    retryCache: createRetryCache(),
    keepAliveIntervalMs: 200,
    handlers: {
      batch: () => {},
      received,
      qr: () => {},
      open: () => void (state.opened = true),
      close: () => {},
      frame: () => void state.frames++,
      storedText: () => null,
      cachedGroup: () => null,
    },
  })
  await waitFor('the socket to open', () => state.opened, 15_000)
  return {
    state,
    /** Keepalive answers: proof that the connection keeps flowing. */
    frames: (n: number) => {
      const seen = state.frames
      return waitFor(`${n} more frames`, () => state.frames >= seen + n, 5_000)
    },
    async end() {
      await sock.end()
      auth.close()
    },
  }
}

async function send(text: string) {
  const sent = (await h.control('POST', `/accounts/${BOB}/messages`, { to: ME, text })).body
  return async () => {
    const all = (await h.control('GET', `/accounts/${BOB}/sent`)).body.data as any[]
    return all.find((s) => s.id === sent.id)?.devices[0]?.state as string | undefined
  }
}

const bodies = (batches: Batch[]) => batches.flatMap((b) => b.messages.map((m) => m.record.body))

/**
 * The hook also runs for what the linked phone sends on its own after connecting (protocol messages: app-state
 * keys, history notifications), which carry no stored message, only the sender's PN/LID pair. The tests are about
 * the message they send, so `handler` sees only batches that store one.
 */
const withMessages =
  (handler: (b: Batch) => Promise<void>) =>
  async (b: Batch): Promise<void> => {
    if (b.messages.length > 0) await handler(b)
  }

it('verifies the Baileys patch is in place where the receipt code is (a moved anchor fails)', () => {
  const root = join(import.meta.dir, '..', '..')
  const check = Bun.spawnSync(['node', join(root, 'scripts', 'patch-baileys.mjs'), '--check'], { cwd: root })
  expect(check.stderr.toString()).toBe('')
  expect(check.exitCode).toBe(0)
})

it('withholds the delivery receipt until the received hook has returned', async () => {
  const received: Batch[] = []
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const s = await socket(
    withMessages(async (b) => {
      received.push(b)
      await gate
    }),
  )
  try {
    const state = await send('hold the receipt')
    // Unpatched, the hook is never called and the receipt goes out at once.
    await waitFor('the hook or a receipt', async () => received.length === 1 || (await state()) === 'receipted')
    expect(await state()).toBe('delivered')
    expect(bodies(received)).toEqual(['hold the receipt'])
    await s.frames(3)
    expect(await state()).toBe('delivered')
    release()
    await waitFor('the receipt after release', async () => (await state()) === 'receipted')
  } finally {
    release()
    await s.end()
  }
}, 30_000)

it('a replaced socket stores nothing and receipts nothing; the next socket gets the message again', async () => {
  const old: Batch[] = []
  let current = true
  const replaced = await socket(
    withMessages(async (b) => void old.push(b)),
    () => current,
  )
  current = false
  const state = await send('sent to a replaced socket')
  await waitFor('delivered', async () => (await state()) === 'delivered')
  await replaced.frames(3)
  expect(old).toEqual([])
  expect(await state()).toBe('delivered')
  await replaced.end()

  const received: Batch[] = []
  const next = await socket(withMessages(async (b) => void received.push(b)))
  try {
    await waitFor('the receipt from the next socket', async () => (await state()) === 'receipted')
    expect(bodies(received)).toEqual(['sent to a replaced socket'])
  } finally {
    await next.end()
  }
}, 30_000)
