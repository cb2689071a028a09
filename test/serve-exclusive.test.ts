// One gateway per data dir and per port: real `wagate serve` processes competing for both.
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startGateway, type GatewayProcess } from './helpers/gateway-process.ts'

setDefaultTimeout(60_000)

const root = mkdtempSync(join(tmpdir(), 'wagate-exclusive-'))
const main = join(import.meta.dir, '..', 'src', 'main.ts')
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WAGATE_')))

/** Runs a wagate command to its end (a serve that wrongly starts is killed by the timeout and fails). */
function wagate(...args: string[]) {
  const p = Bun.spawnSync([process.execPath, main, ...args], {
    env: { ...env, WAGATE_LOG_LEVEL: 'warn' },
    timeout: 20_000,
  })
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() }
}

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8)

describe('a data dir held by a running serve', () => {
  const dataDir = join(root, 'held')
  let first: GatewayProcess

  beforeAll(async () => {
    first = await startGateway({ dataDir })
  })
  afterAll(async () => {
    await first.stop()
  })

  it('refuses a second serve on it, naming the pid that holds it', () => {
    const r = wagate('serve', '--data-dir', dataDir, '--port', '0')
    expect(r.code).toBe(1)
    expect(r.err).toContain(`data dir ${dataDir} is in use by another wagate serve (pid ${first.proc.pid})`)
  })

  it('lets keys create work beside it', () => {
    const r = wagate('keys', 'create', '--data-dir', dataDir, '--org', 'default', '--name', 'ci', '--cap', 'read')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.out).key).toMatch(/^wgk_/)
  })

  it('refuses a second serve on its port, naming the port', () => {
    const port = new URL(first.url).port
    const r = wagate('serve', '--data-dir', join(root, 'other'), '--port', port)
    expect(r.code).toBe(1)
    expect(r.err).toContain(`port ${port} on 127.0.0.1 is already in use by another process`)
  })

  it('created the data dir 0700 and its files 0600', () => {
    expect(mode(dataDir)).toBe('700')
    for (const f of ['wagate.db', 'wagate.db-wal', 'wagate.db-shm', 'secret.key', 'serve.lock', 'serve.pid'])
      expect([f, mode(join(dataDir, f))]).toEqual([f, '600'])
  })
})

it('takes over a data dir whose serve was killed with SIGKILL', async () => {
  const dataDir = join(root, 'killed')
  const killed = await startGateway({ dataDir })
  await killed.stop('SIGKILL')
  const next = await startGateway({ dataDir })
  try {
    const res = await fetch(`${next.url}/readyz`)
    expect(res.status).toBe(200)
    expect(wagate('serve', '--data-dir', dataDir, '--port', '0').err).toContain(`(pid ${next.proc.pid})`)
  } finally {
    await next.stop()
  }
})

it('warns at startup when an existing data dir is open to other users', async () => {
  const dataDir = join(root, 'open')
  mkdirSync(dataDir)
  chmodSync(dataDir, 0o755)
  const gw = await startGateway({ dataDir })
  await gw.stop()
  expect(gw.startup).toContain(`data dir ${dataDir} has mode 0755: other users may read stored messages`)
})

afterAll(() => rmSync(root, { recursive: true, force: true }))
