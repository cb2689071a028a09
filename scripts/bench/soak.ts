// Cost as the store grows: one session under a steady loop for --minutes, reporting per minute the inbound rate, the
// gateway's and the simulator's CPU per inbound message, RSS and the store's size. Each loop: a simulator contact
// sends a burst of --burst texts (timed until all are stored), the API accepts --sends texts to that contact (pacing
// off; the loop waits until they left the queue), and one page of chats is read.
//   bun scripts/bench/soak.ts [--minutes 10] [--burst 100] [--sends 10] [--seed 0]
// --seed N first fills the store with N messages (and as many events) written straight into SQLite while the gateway
// is stopped, spread over 1,000 chats, then restarts it: the loop then runs at that size (e.g. --seed 1000000).
// --data-dir <dir> puts the gateway's data directory under <dir> (default: the system's temporary directory), e.g.
// /dev/shm to take the disk out of the figures. With WAGATE_BENCH_SQL_PROFILE=<file> the gateway times its SQLite
// statements (sql-profile.ts) and each minute prints the main thread's SQLite time per inbound message; the end
// prints the statements whose time per message moved most between the first minute and the last.
// Target: the last minute's inbound rate within 10 % of the first's. The rate moves with the load of a shared
// machine; gateway CPU per message does not, so it tells whether a decline is the gateway's or the simulator's.
import { Database } from 'bun:sqlite'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { ulid } from 'ulid'
import { dedupeKey } from '../../src/sessions/ingest-steps.ts'
import {
  arg,
  cpuSeconds,
  fmt,
  hostCpu,
  linkSessions,
  report,
  rssMb,
  shownRatio,
  spawnGateway,
  spawnSimulator,
  waitFor,
  type Sim,
} from './lib.ts'

const MINUTES = arg('minutes', 10)
const BURST = arg('burst', 100)
const SENDS = arg('sends', 10)
const SEED = arg('seed', 0)
const di = process.argv.indexOf('--data-dir')
const parentDir = di > 0 ? process.argv[di + 1]! : tmpdir()
const sqlProfile = process.env.WAGATE_BENCH_SQL_PROFILE
const OWNER = '6281900000000'
const CONTACT = '6281900000001'

// Pacing off so the queue drains at the loop's pace; no API budget, which would measure itself.
const args = ['--send-min-gap-ms', '0', '--send-jitter-ms', '0', '--send-typing', 'false', '--rate-limit', '0']

/** Writes `n` messages over 1,000 chats of `sid` (and one event each) straight into the database file. */
function seed(path: string, sid: string, n: number) {
  const db = new Database(path)
  db.run('PRAGMA journal_mode = WAL')
  db.run('PRAGMA synchronous = OFF')
  db.run('PRAGMA cache_size = -262144')
  const { org_id: orgId } = db.query<{ org_id: string }, [string]>('SELECT org_id FROM sessions WHERE id = ?').get(sid)!
  const chat = db.query(
    `INSERT INTO chats (session_id, jid, type, name, last_message_at) VALUES (?, ?, 'direct', ?, ?)
     ON CONFLICT DO NOTHING`,
  )
  const msg = db.query(
    `INSERT INTO messages (session_id, chat_jid, wa_id, from_me, sender_jid, type, body, status, ack_level, timestamp,
       created_at) VALUES (?1, ?2, ?3, ?4, ?5, 'text', ?6, ?7, ?8, ?9, ?9)`,
  )
  const evt = db.query(
    `INSERT INTO events (id, type, created_at, org_id, session_id, data, dedupe_key)
     VALUES (?, 'message.received', ?, ?, ?, ?, ?)`,
  )
  // Rows go in without the secondary indexes, which are then built once by sorting: random-keyed inserts into
  // seven live indexes took 13 minutes for 1M messages and events on a loaded machine.
  const indexes = db
    .query<{ name: string; sql: string }, []>(
      "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('messages', 'events') AND sql IS NOT NULL",
    )
    .all()
  for (const x of indexes) db.run(`DROP INDEX ${x.name}`)
  const now = Date.now()
  const start = now - n * 50 // one message every 50 ms up to now, all inside the event retention
  const jid = (c: number) => `628990${String(c).padStart(7, '0')}@s.whatsapp.net`
  db.transaction(() => {
    for (let c = 0; c < 1000; c++) chat.run(sid, jid(c), `Seeded ${c}`, now)
    for (let k = 0; k < n; k++) {
      const chatJid = jid(k % 1000)
      const waId = `3EB0${Bun.hash(`${k}`).toString(16).toUpperCase().padStart(16, '0')}`
      const fromMe = k % 10 === 0 ? 1 : 0
      const t = start + k * 50
      msg.run(sid, chatJid, waId, fromMe, fromMe ? null : chatJid, `seeded message ${k}`, 'read', 4, t)
      const data = JSON.stringify({ id: waId, chatId: chatJid, body: `seeded message ${k}` })
      evt.run(`evt_${ulid(t)}`, t, orgId, sid, data, dedupeKey('message.received', t, sid, chatJid, waId))
    }
  })()
  for (const x of indexes) db.run(x.sql)
  db.run('PRAGMA wal_checkpoint(TRUNCATE)')
  db.close()
}

const fileMb = (p: string) => {
  try {
    return statSync(p).size / 2 ** 20
  } catch {
    return 0
  }
}

type Minute = {
  minute: number
  loops: number
  inboundPerSec: number
  gwCpuMsPerMsg: number
  simCpuMsPerMsg: number
  rssMb: number
  messages: number
  dbMb: number
  walMb: number
  load: number
  /** Of the host's CPU time in the minute, % stolen by the hypervisor and % waiting for I/O (/proc/stat). */
  stealPct: number
  iowaitPct: number
  /** With WAGATE_BENCH_SQL_PROFILE: µs of the main thread's SQLite time per inbound message, by statement. */
  sqlUsPerMsg?: Record<string, number>
}

type SqlTotals = Record<string, [number, number]>
/** The gateway's cumulative SQLite timings (sql-profile.ts rewrites the file every second), or null. */
async function sqlTotals(): Promise<SqlTotals | null> {
  if (!sqlProfile) return null
  try {
    return JSON.parse(await Bun.file(sqlProfile).text()) as SqlTotals
  } catch {
    return null // not written yet
  }
}
/** µs per message by statement between two readings; `total` sums the top level (a transaction holds its [tx] ones). */
function sqlPerMessage(a: SqlTotals | null, b: SqlTotals | null, messages: number) {
  if (!b) return undefined
  const out: Record<string, number> = { total: 0 }
  for (const [k, [, ms]] of Object.entries(b)) {
    const us = ((ms - (a?.[k]?.[1] ?? 0)) * 1000) / messages
    out[k] = us
    if (!k.startsWith('[tx]')) out.total! += us
  }
  return out
}

async function loop(sim: Sim) {
  const dir = mkdtempSync(join(parentDir, 'wagate-bench-soak-'))
  const path = join(dir, 'wagate.db')
  let gw = await spawnGateway(dir, sim, args)
  try {
    await sim.control('POST', '/accounts', { phone: CONTACT, name: 'Soak contact' })
    const [sid] = await linkSessions(gw, sim, [OWNER])
    if (SEED) {
      await gw.stop('SIGTERM')
      const t0 = performance.now()
      seed(path, sid!, SEED)
      console.log(`seeded ${SEED} messages and events in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
      gw = await spawnGateway(dir, sim, args, gw.key ?? undefined)
      await waitFor('session restored', async () => (await gw.api(`/sessions/${sid}`)).body.status === 'connected')
    }
    const db = new Database(path, { readonly: true })
    const maxPk = db.query<{ pk: number | null }, []>('SELECT max(pk) AS pk FROM messages')
    const stored = db.query<{ n: number }, [number, string]>(
      'SELECT count(*) AS n FROM messages WHERE pk > ? AND body = ?',
    )
    const queued = db.query<{ n: number }, []>('SELECT count(*) AS n FROM outbound_queue')
    // Warm-up: the first message of the pair is a pkmsg (new Signal session), the first send fetches pre-keys.
    await sim.control('POST', `/accounts/${CONTACT}/messages`, { to: OWNER, text: 'warm' })
    await waitFor('warm-up stored', () => stored.get(0, 'warm')!.n >= 1, 30_000)

    const minutes: Minute[] = []
    let k = 0
    const end = performance.now() + MINUTES * 60_000
    for (let m = 1; performance.now() < end; m++) {
      const [g0, s0, h0] = [await cpuSeconds(gw.proc.pid), await cpuSeconds(sim.pid), await hostCpu()]
      const q0 = await sqlTotals()
      const until = Math.min(end, performance.now() + 60_000)
      let [loops, received, burstSecs] = [0, 0, 0]
      while (performance.now() < until) {
        const text = `soak-${++k}`
        const from = maxPk.get()!.pk ?? 0
        const t0 = performance.now()
        await sim.control('POST', `/accounts/${CONTACT}/messages`, { to: OWNER, text, count: BURST })
        await waitFor(`burst ${k} stored`, () => stored.get(from, text)!.n >= BURST, 120_000, 5)
        burstSecs += (performance.now() - t0) / 1000
        received += BURST
        await Promise.all(
          Array.from({ length: SENDS }, async (_, j) => {
            const r = await gw.api(`/sessions/${sid}/messages`, {
              method: 'POST',
              body: JSON.stringify({ to: CONTACT, text: `reply ${k}.${j}` }),
            })
            if (r.status !== 201) throw new Error(`send: ${r.status} ${JSON.stringify(r.body)}`)
          }),
        )
        // The loop's sends leave before the next burst: with fast bursts the queue would otherwise fill (429)
        // faster than the sender drains it, and the loop would measure the queue bound instead of the store.
        await waitFor(`sends of loop ${k} sent`, () => queued.get()!.n === 0, 120_000, 5)
        const page = await gw.api(`/sessions/${sid}/chats?limit=50`)
        if (page.status !== 200) throw new Error(`chats: ${page.status}`)
        loops++
      }
      const [g1, s1, h1] = [await cpuSeconds(gw.proc.pid), await cpuSeconds(sim.pid), await hostCpu()]
      const hostPct = (k: 'steal' | 'iowait') => ((h1[k] - h0[k]) * 100) / Math.max(h1.total - h0.total, 1)
      const row: Minute = {
        minute: m,
        loops,
        inboundPerSec: received / burstSecs,
        gwCpuMsPerMsg: ((g1 - g0) * 1000) / received,
        simCpuMsPerMsg: ((s1 - s0) * 1000) / received,
        rssMb: await rssMb(gw.proc.pid),
        messages: maxPk.get()!.pk ?? 0,
        dbMb: fileMb(path),
        walMb: fileMb(`${path}-wal`),
        load: loadavg()[0]!,
        stealPct: hostPct('steal'),
        iowaitPct: hostPct('iowait'),
        sqlUsPerMsg: sqlPerMessage(q0, await sqlTotals(), received),
      }
      minutes.push(row)
      console.log(
        `minute ${m}: ${loops} loops, inbound ${row.inboundPerSec.toFixed(0)} msg/s, gateway CPU ` +
          `${row.gwCpuMsPerMsg.toFixed(2)} ms/msg, simulator CPU ${row.simCpuMsPerMsg.toFixed(2)} ms/msg, RSS ` +
          `${row.rssMb.toFixed(0)} MB, ${row.messages} messages, db ${row.dbMb.toFixed(0)} MB + WAL ` +
          `${row.walMb.toFixed(1)} MB (load ${row.load.toFixed(2)}, host CPU stolen ${row.stealPct.toFixed(1)} %, ` +
          `waiting for I/O ${row.iowaitPct.toFixed(1)} %)` +
          (row.sqlUsPerMsg ? `, SQLite on the main thread ${row.sqlUsPerMsg.total!.toFixed(0)} µs/msg` : ''),
      )
    }
    db.close()
    return minutes
  } finally {
    await gw.stop('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  }
}

const sim = await spawnSimulator()
let minutes: Minute[]
try {
  minutes = await loop(sim)
} finally {
  await sim.stop()
}
const [first, last] = [minutes[0]!, minutes.at(-1)!]
if (minutes.length > 1 && first.sqlUsPerMsg && last.sqlUsPerMsg) {
  const [a, b] = [first.sqlUsPerMsg, last.sqlUsPerMsg]
  const moved = Object.keys({ ...a, ...b })
    .map((k) => ({ k, a: a[k] ?? 0, b: b[k] ?? 0 }))
    .sort((x, y) => Math.abs(y.b - y.a) - Math.abs(x.b - x.a))
    .slice(0, 10)
  console.log('SQLite time per inbound message on the main thread, minute 1 → last minute (µs), largest moves:')
  for (const m of moved)
    console.log(
      `  ${(m.b - m.a >= 0 ? '+' : '') + (m.b - m.a).toFixed(1)}  ${m.a.toFixed(1)} → ${m.b.toFixed(1)}  ${m.k.slice(0, 110)}`,
    )
}
const label = SEED ? `, from ${fmt(SEED)} stored messages` : ''
const rate = last.inboundPerSec / first.inboundPerSec
const cpu = first.gwCpuMsPerMsg / last.gwCpuMsPerMsg
const loads = `load ${first.load.toFixed(1)} → ${last.load.toFixed(1)}`
console.log(
  `command: bun scripts/bench/soak.ts --minutes ${MINUTES} --burst ${BURST} --sends ${SENDS} --seed ${SEED}` +
    (di > 0 ? ` --data-dir ${parentDir}` : ''),
)
report([
  {
    metric: `soak${label}: inbound rate, last minute against the first (${minutes.length} min, ${loads})`,
    measured: `${fmt(last.inboundPerSec)} msg/s at ${fmt(last.messages)} messages`,
    ceiling: `${fmt(first.inboundPerSec)} msg/s in minute 1`,
    ratio: shownRatio(rate, 0.9),
    target: '≥ 0.9 (within 10 %)',
    met: rate >= 0.9,
    data: { minutes },
  },
  {
    // Load-independent: what one inbound message costs the gateway as the store grows (first / last, so ≥ 0.9 is flat).
    metric: `soak${label}: gateway CPU per inbound message, first minute against the last`,
    measured: `${last.gwCpuMsPerMsg.toFixed(2)} ms in the last minute`,
    ceiling: `${first.gwCpuMsPerMsg.toFixed(2)} ms in minute 1`,
    ratio: shownRatio(cpu, 0.9),
    target: '≥ 0.9',
    met: cpu >= 0.9,
  },
  {
    // Every minute, so the table shows how far one minute's rate moves from the next on this host.
    metric: `soak${label}: inbound rate, minute by minute (msg/s)`,
    measured: minutes.map((m) => fmt(m.inboundPerSec)).join(' · '),
  },
  {
    // Whether a slow minute had the host's CPUs taken by the hypervisor or waiting for the disk.
    metric: `soak${label}: host CPU stolen / waiting for I/O, minute by minute (%)`,
    measured: minutes.map((m) => `${m.stealPct.toFixed(0)}/${m.iowaitPct.toFixed(0)}`).join(' · '),
  },
  {
    metric: `soak${label}: gateway RSS and WAL, last minute`,
    measured: `RSS ${last.rssMb.toFixed(0)} MB (minute 1: ${first.rssMb.toFixed(0)} MB), WAL ${last.walMb.toFixed(1)} MB`,
  },
])
