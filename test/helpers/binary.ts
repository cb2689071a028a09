// Builds the real binary once per test process (scripts/build.ts, the release flags) into a temp dir, removed at the end.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

let built: string | null = null
let builtDir: string | null = null

/** Removes the built binary (140 MB): test/preload.ts calls it after the last test file, scripts at exit. */
export function removeBuiltBinary(): void {
  if (builtDir) rmSync(builtDir, { recursive: true, force: true })
  built = builtDir = null
}

export function buildBinary(): string {
  if (built) return built
  const dir = (builtDir = mkdtempSync(join(tmpdir(), 'wagate-build-')))
  process.once('exit', removeBuiltBinary) // bun test never emits 'exit': the preload's afterAll covers it
  const out = join(dir, 'wagate')
  const root = join(import.meta.dir, '..', '..')
  const p = Bun.spawnSync([process.execPath, join(root, 'scripts', 'build.ts'), out], { stderr: 'pipe' })
  if (p.exitCode !== 0) throw new Error(`build failed:\n${p.stderr.toString()}`)
  built = out
  return out
}

/** Starts `bin serve` on a data dir and a free port; resolves with its URL and first-start key. */
export async function startBinary(bin: string, dataDir: string, cwd: string, extra: string[] = []) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WAGATE_')))
  const proc = Bun.spawn([bin, 'serve', '--data-dir', dataDir, '--port', '0', '--log-level', 'info', ...extra], {
    cwd,
    env,
    stdout: 'pipe',
    stderr: 'pipe',
  })
  let out = ''
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader()
  const deadline = Date.now() + 20_000
  while (!/"url":"[^"]+"/.test(out)) {
    if (Date.now() > deadline) throw new Error(`binary did not start:\n${out}`)
    const { value, done } = await reader.read()
    if (done) throw new Error(`binary exited early:\n${out}\n${await new Response(proc.stderr).text()}`)
    out += new TextDecoder().decode(value)
  }
  void (async () => {
    for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) return
  })()
  return {
    proc,
    stdout: out,
    url: /"url":"([^"]+)"/.exec(out)![1]!,
    key: /(wgk_[A-Za-z0-9_-]+)/.exec(out)?.[1] ?? null,
  }
}
