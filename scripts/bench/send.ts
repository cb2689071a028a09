// Outbound messages per second through the send queue, pacing off: the API accepts N texts to C contacts of one
// session (each a pending message + event + queue row in one transaction), and the session's sender drains the queue
// in order on its live socket. Timed from the first POST until the queue is empty (every stanza written), and until
// WhatsApp (the simulator) acknowledged every message (status `sent`). Ceiling, same run: a bare Baileys client on
// the same simulator calling sendMessage for the same N texts in a loop (no HTTP, no store, no queue).
//   bun scripts/bench/send.ts [--messages 2000] [--contacts 10] [--concurrency 16]
// With WAGATE_BENCH_CPU_PROF=<dir> the gateway writes a CPU profile there, with WAGATE_BENCH_SQL_PROFILE=<file> its
// SQLite statement times (lib.ts spawnGateway).
import makeWASocket from '@whiskeysockets/baileys'
import { Database } from 'bun:sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { memoryAuth } from '../../test/simulator/harness.ts'
import { trustRoot } from '../../src/whatsapp/process-patches.ts'
import {
  arg,
  cpuSeconds,
  fmt,
  linkSessions,
  ratioRow,
  report,
  spawnGateway,
  spawnSimulator,
  waitFor,
  type Gateway,
  type Sim,
} from './lib.ts'

const MESSAGES = arg('messages', 2000)
const CONTACTS = arg('contacts', 10)
const CONCURRENCY = arg('concurrency', 16)
const OWNER = '6281700000000'
const BARE = '6281700000001'
const contacts = Array.from({ length: CONTACTS }, (_, i) => String(6281700001000 + i))

/**
 * The gateway with pacing off, room for the whole burst in the queue and no per-key API rate limit (which would
 * measure itself, not the queue).
 */
const gateway = (dir: string, sim: Sim): Promise<Gateway> =>
  spawnGateway(dir, sim, [
    ...['--send-min-gap-ms', '0', '--send-jitter-ms', '0', '--send-typing', 'false'],
    ...['--send-queue-max', String(MESSAGES * 2), '--rate-limit', '0'],
  ])

/** POSTs `n` texts with `concurrency` requests in flight; resolves when every one was accepted. */
async function post(gw: Gateway, sid: string, text: string, n: number) {
  let next = 0
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        const i = next++
        const r = await gw.api(`/sessions/${sid}/messages`, {
          method: 'POST',
          body: JSON.stringify({ to: contacts[i % CONTACTS], text }),
        })
        if (r.status !== 201) throw new Error(`send: ${r.status} ${JSON.stringify(r.body)}`)
      }
    }),
  )
}

/** A bare Baileys client linked to `phone` on the simulator, in this process. */
async function bareClient(sim: Sim, phone: string) {
  trustRoot(Buffer.from(sim.rootPublicKey, 'base64'))
  await sim.control('POST', '/accounts', { phone, name: 'Bare', receipts: 'none' })
  const auth = memoryAuth()
  const open = () =>
    new Promise<ReturnType<typeof makeWASocket>>((resolve, reject) => {
      const sock = makeWASocket({ auth, waWebSocketUrl: sim.wsUrl, logger: pino({ level: 'silent' }) })
      sock.ev.on('creds.update', (c) => Object.assign(auth.creds, c))
      sock.ev.on('connection.update', (u) => {
        if (u.qr) sim.control('POST', `/accounts/${phone}:scan`, { qr: u.qr }).catch(reject)
        if (u.receivedPendingNotifications) resolve(sock)
        if (u.connection === 'close') reject(new Error('closed'))
      })
    })
  await open().catch(() => undefined) // the pairing socket is closed with 515
  return open()
}

const dir = mkdtempSync(join(tmpdir(), 'wagate-bench-send-'))
const sim = await spawnSimulator()
let out: Record<string, number> = {}
try {
  for (const c of contacts) await sim.control('POST', '/accounts', { phone: c, name: `Contact ${c}`, receipts: 'none' })
  const gw = await gateway(dir, sim)
  try {
    const [sid] = await linkSessions(gw, sim, [OWNER])
    const db = new Database(join(dir, 'wagate.db'), { readonly: true })
    const queued = db.query<{ n: number }, []>('SELECT count(*) AS n FROM outbound_queue')
    const acked = db.query<{ n: number }, [string]>(
      "SELECT count(*) AS n FROM messages WHERE body = ? AND status IN ('sent', 'delivered', 'read')",
    )
    // Warm-up: the first message to a contact fetches its pre-keys; keep that out of the timed burst.
    await post(gw, sid!, 'warm', CONTACTS)
    await waitFor('warm-up acknowledged', () => acked.get('warm')!.n >= CONTACTS, 30_000)
    const g0 = await cpuSeconds(gw.proc.pid)
    const t0 = performance.now()
    await post(gw, sid!, 'bench', MESSAGES)
    const acceptSecs = (performance.now() - t0) / 1000
    await waitFor('queue drained', () => queued.get()!.n === 0, 300_000, 10)
    const drainSecs = (performance.now() - t0) / 1000
    await waitFor('every message acknowledged', () => acked.get('bench')!.n >= MESSAGES, 120_000, 10)
    const ackSecs = (performance.now() - t0) / 1000
    const cpu = (await cpuSeconds(gw.proc.pid)) - g0
    db.close()
    out = {
      messages: MESSAGES,
      acceptedPerSec: Math.round(MESSAGES / acceptSecs),
      drainedPerSec: Math.round(MESSAGES / drainSecs),
      ackedPerSec: Math.round(MESSAGES / ackSecs),
      gatewayCpuSeconds: Number(cpu.toFixed(2)),
    }
    console.log(
      `${MESSAGES} texts to ${CONTACTS} contacts: accepted in ${acceptSecs.toFixed(2)} s (${out.acceptedPerSec}/s), ` +
        `queue drained in ${drainSecs.toFixed(2)} s (${out.drainedPerSec} msg/s), all acknowledged in ` +
        `${ackSecs.toFixed(2)} s (${out.ackedPerSec} msg/s); gateway CPU ${cpu.toFixed(2)} s`,
    )
  } finally {
    await gw.stop('SIGTERM')
  }
  // The ceiling runs after the gateway is gone, so it never competes with it for a core.
  const sock = await bareClient(sim, BARE)
  const jids = contacts.map((c) => `${c}@s.whatsapp.net`)
  for (const j of jids) await sock.sendMessage(j, { text: 'warm' })
  const t0 = performance.now()
  const bareCpu0 = process.cpuUsage()
  for (let i = 0; i < MESSAGES; i++) await sock.sendMessage(jids[i % CONTACTS]!, { text: 'bench' })
  const bareSecs = (performance.now() - t0) / 1000
  const bareCpu = process.cpuUsage(bareCpu0)
  out.ceilingPerSec = Math.round(MESSAGES / bareSecs)
  out.ceilingCpuSeconds = Number(((bareCpu.user + bareCpu.system) / 1e6).toFixed(2))
  console.log(
    `bare Baileys sendMessage loop, no store: ${MESSAGES} in ${bareSecs.toFixed(2)} s (${out.ceilingPerSec} msg/s, ` +
      `ceiling); its CPU ${out.ceilingCpuSeconds} s`,
  )
  await sock.end(undefined)
} finally {
  await sim.stop()
  rmSync(dir, { recursive: true, force: true })
}
console.log(
  `command: bun scripts/bench/send.ts --messages ${MESSAGES} --contacts ${CONTACTS} --concurrency ${CONCURRENCY}`,
)
report([
  ratioRow({
    metric: `send through the queue, pacing off (${fmt(MESSAGES)} texts, 1 session, accept → stanza written)`,
    measured: `${fmt(out.drainedPerSec!)} msg/s (all acked at ${fmt(out.ackedPerSec!)} msg/s)`,
    ceiling: `${fmt(out.ceilingPerSec!)} msg/s (bare Baileys sendMessage loop)`,
    ratio: out.drainedPerSec! / out.ceilingPerSec!,
    data: out,
  }),
])
process.exit(0)
