// Which SQLite statements are planned anew on every run: SQLite re-prepares a statement each time a parameter is
// bound when its planner looked at that parameter's value (see src/store/db.ts), which costs 5-20 µs a run. For every
// statement text in the given sql-profile.ts totals files (the statements a benchmark or the test suite ran), this
// runs it on an empty database with the gateway's schema as written and with each parameter written `+?`, alternated
// (8 rounds of 300 runs, every parameter NULL), and lists the statements whose runs cost more than 3 times the `+?`
// form's and 2 µs more, with whether the two forms have the same query plan (only then is `+?` a safe rewrite).
//   WAGATE_BENCH_SQL_PROFILE=/tmp/sql.json bun test --preload ./scripts/bench/sql-profile.ts
//   bun scripts/bench/sql-reprepare.ts /tmp/sql.json [more.json …]
// Statements that insert are skipped (nothing to plan), and so are those that fail with NULL parameters.
import { readFileSync } from 'node:fs'
import { openDb } from '../../src/store/db.ts'
import type { Statement } from 'bun:sqlite'

const files = process.argv.slice(2)
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
function runUs(st: Statement, args: null[]): number {
  const t0 = performance.now()
  for (let i = 0; i < RUNS; i++) st.all(...args)
  return ((performance.now() - t0) * 1000) / RUNS
}
const planOf = (sql: string, args: null[]) =>
  sqlite
    .query<{ detail: string }, null[]>(`EXPLAIN QUERY PLAN ${sql}`)
    .all(...args)
    .map((r) => r.detail)
    .join(' | ')

type Found = { asWritten: number; plus: number; samePlan: boolean; sql: string }
const found: Found[] = []
let checked = 0
for (const sql of texts) {
  if (!/^\s*(SELECT|UPDATE|DELETE|WITH)\b/i.test(sql)) continue
  const plus = sql.replace(/(?<![+\w])\?(\d*)/g, '+?$1')
  if (plus === sql) continue
  let a: Statement, b: Statement, args: null[]
  try {
    a = sqlite.prepare(sql)
    b = sqlite.prepare(plus)
    args = Array.from({ length: a.paramsCount }, () => null)
    runUs(a, args)
    runUs(b, args)
  } catch {
    continue
  }
  checked++
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
console.log(`${checked} statements checked; ${found.length} planned anew on every run (µs a run as written → with +?):`)
for (const f of found)
  console.log(
    `${f.asWritten.toFixed(1).padStart(6)} → ${f.plus.toFixed(1).padStart(5)}  ${f.samePlan ? 'same plan ' : 'PLAN DIFFERS'}  ` +
      f.sql.replace(/\s+/g, ' ').slice(0, 160),
  )
