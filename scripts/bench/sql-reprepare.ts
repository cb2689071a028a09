// What writing parameters `+?` (planOnce in src/store/db.ts, applied to every statement of openDb's connection) saves:
// SQLite re-prepares a statement each time a parameter is bound when its planner looked at that parameter's value.
// For every statement text in the given sql-profile.ts totals files (what a benchmark or the test suite ran), this
// runs it on an empty database with the gateway's schema as written (`?`, past planOnce) and as planOnce writes it,
// alternated (8 rounds of 300 runs, every parameter NULL, or 1 where a LIMIT refuses NULL), and lists the statements
// whose as-written runs cost more than 3 times the `+?` form's and 2 µs more, with whether both forms have the same
// query plan. `--plans` lists instead every statement whose two forms are planned differently (there should be none).
//   WAGATE_BENCH_SQL_PROFILE=/tmp/sql.json bun test --preload ./scripts/bench/sql-profile.ts
//   bun scripts/bench/sql-reprepare.ts [--plans] /tmp/sql.json [more.json …]
// Statements that insert are skipped (nothing to plan), and so are those that fail with those parameters.
import { readFileSync } from 'node:fs'
import { openDb, planOnce } from '../../src/store/db.ts'
import { flag } from './lib.ts'
import { Database, type Statement } from 'bun:sqlite'

const files = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const plansOnly = flag('plans')
if (!files.length) {
  console.error('usage: bun scripts/bench/sql-reprepare.ts <sql-profile totals.json> […]')
  process.exit(2)
}
const texts = new Set<string>()
for (const f of files)
  for (const key of Object.keys(JSON.parse(readFileSync(f, 'utf8')) as object))
    if (!key.startsWith('TX')) texts.add(key.replace(/^\[tx\] /, ''))

const { sqlite } = openDb(':memory:')
const ROUNDS = 8
const RUNS = 300
/** µs a run of `st` with every parameter NULL. */
function runUs(st: Statement, args: (null | number)[]): number {
  const t0 = performance.now()
  for (let i = 0; i < RUNS; i++) st.all(...args)
  return ((performance.now() - t0) * 1000) / RUNS
}
// Past the connection's own planOnce, to prepare a statement as written.
const prepare = (text: string) => Database.prototype.prepare.call(sqlite, text) as Statement
const planOf = (sql: string, args: (null | number)[]) =>
  (prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail).join(' | ')

type Found = { asWritten: number; plus: number; samePlan: boolean; sql: string }
const found: Found[] = []
let checked = 0
for (const sql of texts) {
  if (!/^\s*(SELECT|UPDATE|DELETE|WITH)\b/i.test(sql)) continue
  const plus = planOnce(sql)
  if (plus === sql) continue
  let a: Statement, b: Statement
  try {
    a = prepare(sql)
    b = prepare(plus)
  } catch {
    continue
  }
  // Every parameter NULL, or (a LIMIT refuses NULL) every parameter 1.
  const args = [null, 1]
    .map((v) => Array.from({ length: a.paramsCount }, () => v))
    .find((args) => {
      try {
        runUs(a, args)
        runUs(b, args)
        return true
      } catch {
        return false
      }
    })
  if (!args) continue
  checked++
  if (plansOnly) {
    if (planOf(sql, args) !== planOf(plus, args)) found.push({ asWritten: 0, plus: 0, samePlan: false, sql })
    continue
  }
  let ta = 0
  let tb = 0
  for (let r = 0; r < ROUNDS; r++) {
    ta += runUs(a, args)
    tb += runUs(b, args)
  }
  const [asWritten, plusUs] = [ta / ROUNDS, tb / ROUNDS]
  if (asWritten > 3 * plusUs && asWritten - plusUs > 2)
    found.push({ asWritten, plus: plusUs, samePlan: planOf(sql, args) === planOf(plus, args), sql })
}
found.sort((x, y) => y.asWritten - y.plus - (x.asWritten - x.plus))
console.log(
  plansOnly
    ? `${checked} statements checked; ${found.length} planned differently with +?:`
    : `${checked} statements checked; ${found.length} planned anew on every run (µs a run as written → with +?):`,
)
for (const f of found)
  console.log(
    `${f.asWritten.toFixed(1).padStart(6)} → ${f.plus.toFixed(1).padStart(5)}  ${f.samePlan ? 'same plan ' : 'PLAN DIFFERS'}  ` +
      f.sql.replace(/\s+/g, ' ').slice(0, 160),
  )
