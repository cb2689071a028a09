// Builds the single executable: dist/wagate, migrations embedded. Flags per STYLE.md: syntax minification only;
// whitespace or identifier minification breaks Elysia's handler introspection in the binary (see STYLE.md).
// --splitting: what is imported dynamically (the session supervisor with Baileys, the cluster server, the
// simulator) becomes chunks of its own inside the executable. Without it their imports of built-in modules (ws,
// tls, bun's SQL client, child_process…) are hoisted into the one bundle and evaluated at every start:
// `wagate version` took 213 ms of CPU against 177 ms with it (farm-bench -n 20, median).
import { statSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dir, '..')
const outfile = process.argv[2] ?? join(root, 'dist', 'wagate')
const args = [
  'build',
  '--compile',
  '--target',
  'bun',
  '--minify-syntax',
  '--splitting',
  '--bytecode',
  '--format=esm',
  '--no-compile-autoload-dotenv',
  '--no-compile-autoload-bunfig',
  join(root, 'src', 'main.ts'),
  // Workers are separate entry points of the executable.
  join(root, 'src', 'store', 'checkpointer.ts'),
  join(root, 'src', 'events', 'sender-worker.ts'),
  '--outfile',
  outfile,
]
// The no-loss guarantee needs Baileys' beforeReceipt hook (scripts/patch-baileys.mjs) inside the bundle: a
// Baileys installed without our postinstall would build a binary that receipts before storing. Refuse it.
const check = Bun.spawnSync([process.execPath, join(root, 'scripts', 'patch-baileys.mjs'), '--check'], {
  cwd: root,
  stdout: 'pipe',
  stderr: 'pipe',
})
if (check.exitCode !== 0) {
  console.error(
    `refusing to build: Baileys lacks the beforeReceipt hook\n${check.stderr.toString().trim()}\n` +
      'fix: run `node scripts/patch-baileys.mjs` (npm runs it as postinstall), then build again',
  )
  process.exit(1)
}
const started = performance.now()
console.error(`building ${outfile} …`)
const proc = Bun.spawnSync([process.execPath, ...args], { cwd: root, stdout: 'inherit', stderr: 'inherit' })
if (proc.exitCode !== 0) process.exit(proc.exitCode ?? 1)
const mb = (statSync(outfile).size / 1e6).toFixed(1)
console.error(`built ${outfile}: ${mb} MB in ${((performance.now() - started) / 1000).toFixed(1)} s`)
