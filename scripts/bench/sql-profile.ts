// Where the gateway's SQLite time goes, statement by statement: preloaded into the gateway (`bun --preload`) when a
// benchmark runs with WAGATE_BENCH_SQL_PROFILE=<file> (lib.ts spawnGateway). Every statement the main thread runs
// (query / prepare: run, get, all, values) and every transaction (begin, the work inside, commit) is timed with
// performance.now(); once a second the cumulative totals overwrite <file> as JSON ({ "<sql>": [calls, ms] }), so a
// benchmark can read them at its own marks (soak.ts does, per minute). A transaction's key starts with "TX"; the
// statements run inside one start with "[tx]" (their time is inside the transaction's too). The WAL checkpointer's
// worker thread is not covered: its time is not on the main thread's event loop.
// Measuring costs about 0.1 µs a statement (an in-memory one-row get: 0.17 → 0.29 µs); the figures are for comparing
// minutes of one run, not for the tables.
import { Database } from 'bun:sqlite'
import { renameSync, writeFileSync } from 'node:fs'

const file = process.env.WAGATE_BENCH_SQL_PROFILE
if (file) {
  const totals = new Map<string, [number, number]>()
  let depth = 0
  const add = (key: string, since: number) => {
    const ms = performance.now() - since
    const t = totals.get(key)
    if (t) {
      t[0]++
      t[1] += ms
    } else totals.set(key, [1, ms])
  }
  type Fn = (...a: unknown[]) => unknown
  const timed = (key: () => string, f: Fn): Fn =>
    function (this: unknown, ...a) {
      const t0 = performance.now()
      try {
        return f.apply(this, a)
      } finally {
        add(key(), t0)
      }
    }
  const label = (sql: string) => sql.replace(/\s+/g, ' ').trim()
  // bun caches query() statements by their SQL: a statement is wrapped once.
  const wrapped = new WeakSet<object>()
  const wrap = <S extends object>(st: S, sql: string): S => {
    if (wrapped.has(st)) return st
    wrapped.add(st)
    const key = label(sql)
    const s = st as unknown as Record<string, Fn>
    for (const m of ['run', 'get', 'all', 'values']) s[m] = timed(() => (depth ? `[tx] ${key}` : key), s[m]!.bind(st))
    return st
  }
  const proto = Database.prototype as unknown as Record<string, Fn>
  for (const m of ['query', 'prepare']) {
    const orig = proto[m]!
    proto[m] = function (this: unknown, sql: unknown, ...a: unknown[]) {
      return wrap(orig.call(this, sql, ...a) as object, String(sql))
    }
  }
  const origTx = proto.transaction!
  proto.transaction = function (this: unknown, fn: unknown) {
    const work = fn as Fn
    const key = `TX ${label(work.toString()).slice(0, 80)}`
    const inner = function (this: unknown, ...a: unknown[]) {
      depth++
      try {
        return work.apply(this, a)
      } finally {
        depth--
      }
    }
    const tx = origTx.call(this, inner) as Fn & Record<string, Fn>
    const out = timed(() => key, tx) as Fn & Record<string, Fn>
    for (const m of ['deferred', 'immediate', 'exclusive']) out[m] = timed(() => key, tx[m]!)
    return out
  }
  // Written aside and renamed over the file, so a reader never sees half of it.
  setInterval(() => {
    writeFileSync(`${file}.tmp`, JSON.stringify(Object.fromEntries(totals)))
    renameSync(`${file}.tmp`, file)
  }, 1000).unref()
}
