// HTTP load for the read benchmark: wrk (a separate C process, the least load-generator noise on a 2-core box),
// installed with apt-get when missing; autocannon in this process only when wrk cannot be had, and then said so.
import autocannon from 'autocannon'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

export type LoadResult = { rps: number; p50: number; p99: number; errors: number; non2xx: number }
export type LoadOptions = { connections: number; seconds: number }
export type Loader = {
  tool: string
  run(url: string, paths: string[], headers: Record<string, string>, o: LoadOptions): Promise<LoadResult>
}

/** wrk's path on this machine, installing it (`apt-get install -y wrk`) when missing; null if that failed. */
function ensureWrk(): string | null {
  const found = Bun.which('wrk')
  if (found) return found
  console.error('wrk is not installed: running `apt-get install -y wrk` …')
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  let r = Bun.spawnSync(['apt-get', 'install', '-y', 'wrk'], { env, stdout: 'inherit', stderr: 'inherit' })
  if (r.exitCode !== 0) {
    Bun.spawnSync(['apt-get', 'update'], { env, stdout: 'inherit', stderr: 'inherit' })
    r = Bun.spawnSync(['apt-get', 'install', '-y', 'wrk'], { env, stdout: 'inherit', stderr: 'inherit' })
  }
  const after = Bun.which('wrk')
  console.error(after ? `installed ${after}` : 'could not install wrk')
  return after
}

/** wrk with a Lua script cycling through the paths; its figures come back as one JSON line the script prints. */
function wrkLoader(wrk: string, scratch: string): Loader {
  let n = 0
  return {
    tool: 'wrk',
    async run(url, paths, headers, o) {
      const script = join(scratch, `paths-${++n}.lua`)
      const list = paths.map((p) => JSON.stringify(p)).join(',\n')
      const hdrs = Object.entries(headers)
        .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
        .join('\n')
      writeFileSync(
        script,
        `local paths = {${list}}\nlocal i = 0\n${hdrs}\n` +
          `request = function() i = i + 1; return wrk.format("GET", paths[(i % #paths) + 1]) end\n` +
          `done = function(s, l, r) io.write(string.format('{"requests":%d,"duration":%d,"p50":%f,"p99":%f,"errors":%d,"non2xx":%d}\\n', ` +
          `s.requests, s.duration, l:percentile(50)/1000, l:percentile(99)/1000, s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout, s.errors.status)) end\n`,
      )
      const proc = Bun.spawn([wrk, '-t1', `-c${o.connections}`, `-d${o.seconds}s`, '-s', script, url], {
        stdout: 'pipe',
      })
      const out = await new Response(proc.stdout).text()
      const r = JSON.parse(out.trim().split('\n').pop()!) as {
        requests: number
        duration: number
        p50: number
        p99: number
        errors: number
        non2xx: number
      }
      return { rps: r.requests / (r.duration / 1e6), p50: r.p50, p99: r.p99, errors: r.errors, non2xx: r.non2xx }
    },
  }
}

const autocannonLoader: Loader = {
  tool: 'autocannon (in-process; wrk unavailable, ratios compressed)',
  async run(url, paths, headers, o) {
    let i = 0
    const r = await autocannon({
      url,
      connections: o.connections,
      duration: o.seconds,
      headers,
      requests: [{ setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length]! }) }],
    })
    return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx }
  },
}

export function loader(scratch: string): Loader {
  const wrk = ensureWrk()
  if (wrk) return wrkLoader(wrk, scratch)
  console.error('FALLING BACK to autocannon in this process: its figures are not comparable with wrk runs')
  return autocannonLoader
}
