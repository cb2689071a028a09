// `wagate serve` as a child process on a data dir, for the restart tests; resolves once it listens.
import { join } from 'node:path'

const main = join(import.meta.dir, '..', '..', 'src', 'main.ts')

export type Gateway = Awaited<ReturnType<typeof spawnGateway>>

export async function spawnGateway(dataDir: string, env: Record<string, string> = {}) {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WAGATE_')))
  const proc = Bun.spawn([process.execPath, main, 'serve', '--data-dir', dataDir, '--port', '0'], {
    env: { ...inherited, WAGATE_LOG_LEVEL: 'info', ...env },
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader()
  let out = ''
  const deadline = Date.now() + 20_000
  while (!out.includes('"msg":"wagate listening"')) {
    const { value, done } = await reader.read()
    if (done || Date.now() > deadline) throw new Error(`gateway did not start:\n${out}`)
    out += new TextDecoder().decode(value)
  }
  void (async () => {
    while (!(await reader.read().catch(() => ({ done: true }))).done) {}
  })()
  return {
    url: /"url":"([^"]+)"/.exec(out)![1]!,
    /** The first-start admin key, when this start created the data dir. */
    key: /(wgk_[A-Za-z0-9_-]+)/.exec(out)?.[1] ?? null,
    stop: (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
      proc.kill(signal)
      return proc.exited
    },
  }
}
