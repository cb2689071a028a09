// The store side of inbound messages, alone: what the receipt hook writes for each decrypted message (the message,
// its chat, its event, the sender's contact, and the ~1 KB sealed Signal session its decrypt advanced), on the real
// ingest path (src/sessions/ingest.ts) and a fresh data dir opened as the gateway opens it. No Baileys, no simulator:
// the figure is the gateway CPU each message costs here, which the two-core end-to-end bench (inbound.ts) can only
// show through the noise of the simulator and of other processes.
//
// Two ways, alternated round by round on two databases so a machine whose load drifts compares like with like:
//   one commit per message — `ingest.batch` in the hook, each message its own transaction (before the group commit);
//   grouped — `ingest.received`: every session's message of one event-loop turn in one transaction.
// Each round sends one message per session per turn, as `--sessions` linked sessions receiving at once do.
//   bun scripts/bench/inbound-store.ts [--sessions 10] [--messages 20000] [--rounds 6]
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createIngest, type Ingest } from '../../src/sessions/ingest.ts'
import { openDb } from '../../src/store/db.ts'
import { createEventStore } from '../../src/store/events.ts'
import { createStores } from '../../src/store/index.ts'
import { inboundMessage } from './inbound-message.ts'
import { arg, fmt, median, report } from './lib.ts'

const SESSIONS = arg('sessions', 10)
const MESSAGES = arg('messages', 20_000)
const ROUNDS = arg('rounds', 6)
const perRound = Math.ceil(MESSAGES / ROUNDS / SESSIONS)

const dir = mkdtempSync(join(tmpdir(), 'wagate-bench-inbound-store-'))

type Side = { name: string; ingest: Ingest; sids: string[]; cpu: number[] }
function side(name: string): Side {
  // As the server opens it: the WAL checkpointed from a worker, off the writer's commits.
  const db = openDb(join(dir, `${name}.db`), { checkpoint: 'background' })
  const stores = createStores(db, randomBytes(32))
  stores.orgs.create('bench')
  const sids = Array.from({ length: SESSIONS }, (_, i) => stores.sessions.create({ orgId: 'bench', name: `s${i}` }).id)
  return { name, ingest: createIngest({ db, events: createEventStore(db) }), sids, cpu: [] }
}

const message = (s: number) => inboundMessage(s, SESSIONS)

const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/** One round on `x`: `perRound` turns, each with one message per session; CPU µs per message. */
async function round(x: Side, grouped: boolean): Promise<number> {
  const turns = Array.from({ length: perRound }, () => x.sids.map((_, s) => message(s)))
  const c0 = cpuMs()
  for (const turn of turns) {
    if (grouped) await Promise.all(turn.map((w, s) => x.ingest.received(x.sids[s]!, w.batch, w.keys)))
    else {
      for (const [s, w] of turn.entries()) x.ingest.batch(x.sids[s]!, w.batch, w.keys)
      await new Promise((r) => setImmediate(r))
    }
  }
  return ((cpuMs() - c0) * 1000) / (perRound * SESSIONS)
}

try {
  const single = side('single')
  const grouped = side('grouped')
  await round(single, false) // warm-up: JIT, page cache
  await round(grouped, true)
  for (let r = 0; r < ROUNDS; r++) {
    single.cpu.push(await round(single, false))
    grouped.cpu.push(await round(grouped, true))
  }
  const a = median(single.cpu)
  const b = median(grouped.cpu)
  console.log(`${SESSIONS} sessions, ${perRound * SESSIONS} messages a round, ${ROUNDS} rounds alternated`)
  console.log(`one commit per message: ${single.cpu.map((x) => x.toFixed(0)).join(' ')} µs CPU/msg, median ${fmt(a)}`)
  console.log(`grouped commit:         ${grouped.cpu.map((x) => x.toFixed(0)).join(' ')} µs CPU/msg, median ${fmt(b)}`)
  console.log(
    `command: bun scripts/bench/inbound-store.ts --sessions ${SESSIONS} --messages ${MESSAGES} --rounds ${ROUNDS}`,
  )
  report([
    {
      metric: `inbound, store side only: gateway CPU per received message, ${SESSIONS} sessions`,
      measured: `${fmt(b)} µs grouped commit, ${fmt(a)} µs one commit per message (alternated rounds)`,
      data: { sessions: SESSIONS, single: single.cpu, grouped: grouped.cpu },
    },
  ])
} finally {
  rmSync(dir, { recursive: true, force: true })
}
