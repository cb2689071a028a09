// Runs `wagate serve` as a child process on a data dir, for restart, SIGTERM and SIGKILL tests.
import { join } from 'node:path'

export type GatewayProcess = Awaited<ReturnType<typeof startGateway>>

const main = join(import.meta.dir, '..', '..', 'src', 'main.ts')

/**
 * Starts the gateway and resolves once it listens. `key` is the first-start admin key when this start
 * created the data dir (pass the one you have on later starts).
 */
export async function startGateway(opts: {
  dataDir: string
  env?: Record<string, string>
  timeoutMs?: number
  /** More `serve` flags; they override the defaults (`--port 0`). */
  args?: string[]
  /** Flags for bun itself, before the script (e.g. `--cpu-prof` for a benchmark). */
  bunArgs?: string[]
}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WAGATE_'))) as Record<
    string,
    string
  >
  const proc = Bun.spawn(
    [
      process.execPath,
      ...(opts.bunArgs ?? []),
      main,
      'serve',
      '--data-dir',
      opts.dataDir,
      '--port',
      '0',
      ...(opts.args ?? []),
    ],
    {
      // No request budget: these tests poll and send faster than a client would. The limits have their own tests
      // (test/http/limits.test.ts) and meet hostile load in the fuzz run.
      env: { ...env, WAGATE_LOG_LEVEL: 'info', WAGATE_RATE_LIMIT: '0', ...opts.env },
      stdout: 'pipe',
      stderr: 'pipe',
    },
  )
  let out = ''
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader()
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000)
  while (!/"msg":"wagate listening"/.test(out)) {
    if (Date.now() > deadline) throw new Error(`gateway did not start:\n${out}`)
    const { value, done } = await reader.read()
    if (done)
      throw new Error(`gateway exited early (${await proc.exited}):\n${out}\n${await new Response(proc.stderr).text()}`)
    out += new TextDecoder().decode(value)
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  void (async () => {
    for (;;) {
      const { done } = await reader.read().catch(() => ({ done: true }))
      if (done) return
    }
  })()
  const url = /"url":"([^"]+)"/.exec(out)![1]!
  const key = /(wgk_[A-Za-z0-9_-]+)/.exec(out)?.[1] ?? null
  return {
    proc,
    url,
    key,
    /** What it printed up to listening (the banner and startup logs). */
    startup: out,
    /** Sends `signal` and resolves with the exit code. */
    async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') {
      proc.kill(signal)
      return proc.exited
    },
  }
}
