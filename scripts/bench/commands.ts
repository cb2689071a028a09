// The latency a cluster adds to an API call that needs the session's live socket when the call lands on a node that
// does not run the session: the command goes through cluster_commands + LISTEN/NOTIFY to the lease holder and back
// (src/cluster/commands.ts). Two routing layers ("nodes", each with its own connection pool) over a fresh database
// on the local PostgreSQL; the engine behind them answers at once, so the figures are the routing alone.
//   bun scripts/bench/commands.ts [--calls 1000] [--concurrency 16]
import { SQL } from 'bun'
import { createCommandRouting } from '../../src/cluster/commands-engine.ts'
import type { SessionEngine } from '../../src/sessions/engine.ts'
import { migratePg } from '../../src/store/pg/db.ts'
import { createTestDatabase } from '../../test/helpers/pg.ts'
import { arg, fmt, report, type BenchRow } from './lib.ts'

const calls = arg('calls', 1000)
const concurrency = arg('concurrency', 16)

const checks = [{ phone: '15551230001', exists: true, jid: '15551230001@s.whatsapp.net' }]
const answering = new Proxy({} as SessionEngine, { get: () => async () => checks })

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}
const ms = (x: number) => `${x.toFixed(2)} ms`

const tdb = await createTestDatabase()
const admin = new SQL({ url: tdb.url, max: 2 })
const pools: SQL[] = []
try {
  await migratePg(admin)
  await admin`INSERT INTO orgs (id, name) VALUES ('acme', 'Acme')`
  await admin`INSERT INTO sessions (id, org_id, name, desired_state, status) VALUES ('s1', 'acme', 's1', 'running', 'connected')`
  await admin`INSERT INTO session_leases (session_id, node_id, epoch, expires_at) VALUES ('s1', 'node-a', 1, 9e15::bigint)`
  const node = async (nodeId: string, holds: boolean) => {
    const sql = new SQL({ url: tdb.url, max: 10 })
    pools.push(sql)
    const r = createCommandRouting({ sql, nodeId, holds: () => holds, local: answering })
    await r.start()
    return r
  }
  const a = await node('node-a', true)
  const b = await node('node-b', false)

  const timed = async (engine: SessionEngine, n: number) => {
    const out: number[] = []
    for (let i = 0; i < n; i++) {
      const t = performance.now()
      await engine.checkPhones('s1', ['15551230001'])
      out.push(performance.now() - t)
    }
    return out
  }
  await timed(b.engine, 50) // warm-up: connections opened, code paths compiled
  const local = await timed(a.engine, calls)
  const routed = await timed(b.engine, calls)

  const t0 = performance.now()
  let left = calls
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await b.engine.checkPhones('s1', ['15551230001'])
    }),
  )
  const rate = calls / ((performance.now() - t0) / 1000)
  await a.stop()
  await b.stop()

  const added = pct(routed, 50) - pct(local, 50)
  console.error(
    `local  p50 ${ms(pct(local, 50))} p99 ${ms(pct(local, 99))}\n` +
      `routed p50 ${ms(pct(routed, 50))} p99 ${ms(pct(routed, 99))} (added p50 ${ms(added)})\n` +
      `routed ${concurrency} concurrent: ${fmt(rate)} calls/s`,
  )
  const rows: BenchRow[] = [
    {
      metric: `commands: a live-socket call landing on another node (cluster_commands + LISTEN/NOTIFY), ${calls} in a row`,
      measured: `p50 ${ms(pct(routed, 50))}, p99 ${ms(pct(routed, 99))} (added p50 ${ms(added)})`,
      ceiling: `p50 ${ms(pct(local, 50))}, p99 ${ms(pct(local, 99))} (the node running the session)`,
      data: {
        routedP50: pct(routed, 50),
        routedP99: pct(routed, 99),
        localP50: pct(local, 50),
        localP99: pct(local, 99),
      },
    },
    {
      metric: `commands: routed calls, ${concurrency} at a time`,
      measured: `${fmt(rate)} calls/s`,
      data: { rate, concurrency, calls },
    },
  ]
  report(rows)
} finally {
  for (const p of pools) await p.close()
  await admin.close()
  await tdb.drop()
}
