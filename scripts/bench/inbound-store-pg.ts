// The store side of inbound messages on PostgreSQL, alone: what the receipt hook of a cluster node writes for each
// decrypted message (the message, its chat, its event, the sender's contact, the ~1 KB sealed Signal session its
// decrypt advanced), on the real fenced ingest path (src/sessions/ingest-pg.ts: one transaction per message that
// first checks the session's lease under a key-share lock), against a fresh database on 127.0.0.1:5432. No Baileys,
// no simulator: the figure is the gateway CPU each message costs, and the wall time, with `--sessions` sessions
// receiving at once (one message per session per turn, each session's writes in order as the engine runs them).
//   bun scripts/bench/inbound-store-pg.ts [--sessions 10] [--messages 6000] [--rounds 5]
import { createPgIngest } from '../../src/sessions/ingest-pg.ts'
import { migratePg, openPg } from '../../src/store/pg/db.ts'
import { createTestDatabase } from '../../test/helpers/pg.ts'
import { inboundMessage } from './inbound-message.ts'
import { arg, fmt, median, report } from './lib.ts'

const SESSIONS = arg('sessions', 10)
const MESSAGES = arg('messages', 6000)
const ROUNDS = arg('rounds', 5)
const perRound = Math.ceil(MESSAGES / ROUNDS / SESSIONS)

const message = (s: number) => inboundMessage(s, SESSIONS)

const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

const tdb = await createTestDatabase()
const pg = openPg(tdb.url)
try {
  await migratePg(pg.sql)
  await pg.sql`INSERT INTO orgs (id, name) VALUES ('bench', 'bench')`
  const sids = Array.from({ length: SESSIONS }, (_, i) => `s${i}`)
  for (const id of sids) {
    await pg.sql`INSERT INTO sessions (id, org_id, name) VALUES (${id}, 'bench', ${id})`
    await pg.sql`INSERT INTO session_leases (session_id, node_id, epoch, expires_at) VALUES (${id}, 'n1', 1, 0)`
  }
  const ingest = createPgIngest({ sql: pg.sql, leaseOf: (sessionId) => ({ sessionId, nodeId: 'n1', epoch: 1 }) })

  /** One round: `perRound` turns of one message per session; CPU µs and wall µs per message. */
  const round = async () => {
    const turns = Array.from({ length: perRound }, () => sids.map((_, s) => message(s)))
    const c0 = cpuMs()
    const t0 = performance.now()
    for (const turn of turns) await Promise.all(turn.map((w, s) => ingest.received(sids[s]!, w.batch, w.keys)))
    const n = perRound * SESSIONS
    return { cpu: ((cpuMs() - c0) * 1000) / n, wall: ((performance.now() - t0) * 1000) / n }
  }
  await round() // warm-up: JIT, connections, page cache
  const cpu: number[] = []
  const wall: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    const x = await round()
    cpu.push(x.cpu)
    wall.push(x.wall)
  }
  console.log(`${SESSIONS} sessions, ${perRound * SESSIONS} messages a round, ${ROUNDS} rounds`)
  console.log(`gateway CPU: ${cpu.map((x) => x.toFixed(0)).join(' ')} µs/msg, median ${fmt(median(cpu))}`)
  console.log(`wall:        ${wall.map((x) => x.toFixed(0)).join(' ')} µs/msg, median ${fmt(median(wall))}`)
  console.log(
    `command: bun scripts/bench/inbound-store-pg.ts --sessions ${SESSIONS} --messages ${MESSAGES} --rounds ${ROUNDS}`,
  )
  report([
    {
      metric: `inbound on PostgreSQL, store side only: gateway CPU per received message, ${SESSIONS} sessions`,
      measured: `${fmt(median(cpu))} µs CPU, ${fmt(median(wall))} µs wall per message (fenced, one transaction each)`,
      data: { sessions: SESSIONS, cpu, wall },
    },
  ])
} finally {
  await pg.close()
  await tdb.drop()
}
