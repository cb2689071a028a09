// How much one simulator process sustains: accounts it holds, clients it pairs, and inbound messages per second
// delivered (Signal-encrypted, decrypted by real Baileys clients running in this same process, receipts back).
//
//   bun scripts/bench/simulator.ts [--accounts 10000] [--clients 10] [--messages 2000] [--spawn]
//
// By default the simulator runs in this process next to the clients, so msgs/s is a floor for the simulator alone.
// --spawn runs it as `bun src/simulator/cli.ts` in a child process instead (simulator and clients on separate cores).
import makeWASocket, { type AuthenticationState } from '@whiskeysockets/baileys'
import pino from 'pino'
import { startSimulator } from '../../src/simulator/index.ts'
import { trustRoot } from '../../src/whatsapp/process-patches.ts'
import { memoryAuth } from '../../test/simulator/harness.ts'

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : def
}
const ACCOUNTS = arg('accounts', 10_000)
const CLIENTS = arg('clients', 10)
const MESSAGES = arg('messages', 2_000)

// libsignal logs session housekeeping on the console; it would drown the figures.
for (const k of ['info', 'warn'] as const) {
  const orig = console[k]
  console[k] = (...a: unknown[]) => (typeof a[0] === 'string' && /session/i.test(a[0]) ? undefined : orig(...a))
}

const SPAWN = process.argv.includes('--spawn')
const logger = pino({ level: 'silent' })

async function spawnSimulator() {
  const child = Bun.spawn(
    [process.execPath, `${import.meta.dir}/../../src/simulator/cli.ts`, '--port', '0', '--control-port', '0'],
    {
      stdout: 'pipe',
      stderr: 'ignore',
      env: { ...process.env, WAGATE_LOG_LEVEL: 'silent' },
    },
  )
  const reader = child.stdout.getReader()
  let text = ''
  while (!text.includes('\n')) {
    const { value, done } = await reader.read()
    if (done) throw new Error('simulator exited')
    text += new TextDecoder().decode(value)
  }
  const info = JSON.parse(text.slice(0, text.indexOf('\n'))) as {
    wsUrl: string
    controlUrl: string
    rootPublicKey: string
  }
  return {
    ...info,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM')
      await child.exited
    },
  }
}

const sim: { wsUrl: string; controlUrl: string; rootPublicKey: string; pid?: number; stop(): Promise<void> } = SPAWN
  ? await spawnSimulator()
  : await startSimulator({ port: 0, controlPort: 0 })

/** CPU seconds (user + system) the simulator process has used so far; only measurable when it is a child. */
async function simCpuSeconds(): Promise<number | undefined> {
  if (!sim.pid) return undefined
  const stat = await Bun.file(`/proc/${sim.pid}/stat`).text()
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}
trustRoot(Buffer.from(sim.rootPublicKey, 'base64'))
const post = async (path: string, body: unknown) => {
  const r = await fetch(sim.controlUrl + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (r.status >= 300) throw new Error(`${path}: ${r.status} ${await r.text()}`)
  return (await r.json()) as Record<string, unknown>
}

let t0 = performance.now()
for (let i = 0; i < ACCOUNTS; i++) await post('/accounts', { phone: String(16000000000 + i), receipts: 'none' })
const accountSecs = (performance.now() - t0) / 1000

type Sock = ReturnType<typeof makeWASocket>
const open = (auth: AuthenticationState) =>
  new Promise<Sock>((resolve, reject) => {
    const sock = makeWASocket({ auth, waWebSocketUrl: sim.wsUrl, logger, markOnlineOnConnect: false })
    sock.ev.on('connection.update', async (u) => {
      if (u.qr)
        post(`/accounts/${auth.creds.me ? '' : (sock as Sock & { phone?: string }).phone}:scan`, { qr: u.qr }).catch(
          reject,
        )
      if (u.receivedPendingNotifications) resolve(sock)
      if (u.connection === 'close') reject(new Error('closed'))
    })
    ;(sock as Sock & { phone?: string }).phone = pending.shift()
  })
const pending: string[] = []

t0 = performance.now()
const socks: Sock[] = []
for (let i = 0; i < CLIENTS; i++) {
  const phone = String(16000000000 + i)
  const auth = memoryAuth()
  pending.push(phone)
  await open(auth).catch(() => undefined) // first socket pairs and is closed with 515
  socks.push(await open(auth))
}
const pairSecs = (performance.now() - t0) / 1000

// Inbound: contacts (accounts after the client accounts) send MESSAGES in total, spread over the clients.
let received = 0
const done = new Promise<void>((resolve) => {
  for (const s of socks) {
    s.ev.on('messages.upsert', ({ messages }) => {
      received += messages.filter((m) => m.message?.conversation === 'bench').length
      if (received >= MESSAGES) resolve()
    })
  }
})
const perClient = Math.ceil(MESSAGES / CLIENTS)
// Warm-up: one message per client so every Signal session exists before timing (first message is a pkmsg).
for (let i = 0; i < CLIENTS; i++)
  await post(`/accounts/${16000000000 + CLIENTS + i}/messages`, { to: String(16000000000 + i), text: 'warm' })
await Bun.sleep(500)
const cpu0 = await simCpuSeconds()
const own0 = process.cpuUsage()
t0 = performance.now()
await Promise.all(
  Array.from({ length: CLIENTS }, (_, i) =>
    post(`/accounts/${16000000000 + CLIENTS + i}/messages`, {
      to: String(16000000000 + i),
      text: 'bench',
      count: perClient,
    }),
  ),
)
await done
const msgSecs = (performance.now() - t0) / 1000
const own = process.cpuUsage(own0)
const cpu1 = await simCpuSeconds()
const simRss = sim.pid
  ? Math.round(Number(/VmRSS:\s+(\d+)/.exec(await Bun.file(`/proc/${sim.pid}/status`).text())?.[1] ?? 0) / 1024)
  : undefined
const rss = Math.round(process.memoryUsage().rss / 1024 / 1024)

console.log(
  `command: bun scripts/bench/simulator.ts --accounts ${ACCOUNTS} --clients ${CLIENTS} --messages ${MESSAGES}${SPAWN ? ' --spawn' : ''}`,
)
console.log(`simulator: ${SPAWN ? 'child process' : 'same process as the clients'}`)
console.log(`accounts created: ${ACCOUNTS} in ${accountSecs.toFixed(2)} s (${Math.round(ACCOUNTS / accountSecs)}/s)`)
console.log(`clients paired and logged in: ${CLIENTS} in ${pairSecs.toFixed(2)} s`)
if (cpu0 !== undefined && cpu1 !== undefined) {
  const cpu = Math.max(cpu1 - cpu0, 0.01)
  console.log(
    `simulator CPU: ${cpu.toFixed(2)} s for ${MESSAGES} messages (encrypt, send, receipts) = ${Math.round(MESSAGES / cpu)} msgs per CPU-second`,
  )
}
console.log(
  `inbound messages: ${received} in ${msgSecs.toFixed(2)} s = ${Math.round(received / msgSecs)} msgs/s (Baileys decrypt in-process)`,
)
if (SPAWN)
  console.log(
    `clients CPU: ${((own.user + own.system) / 1e6).toFixed(2)} s for ${received} messages (Baileys decrypt, receipts)`,
  )
if (simRss !== undefined) console.log(`simulator rss: ${simRss} MB with ${ACCOUNTS} accounts`)
console.log(`rss (bench process${SPAWN ? ', clients only' : ', simulator + clients'}): ${rss} MB`)
for (const s of socks) s.end(undefined)
await sim.stop()
process.exit(0)
