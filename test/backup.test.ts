// `wagate backup`: an online copy taken beside a running server, and the README's restore steps.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startGateway, type GatewayProcess } from './helpers/gateway-process.ts'

const dir = mkdtempSync(join(tmpdir(), 'wagate-backup-'))
const dataDir = join(dir, 'data')
let gw: GatewayProcess
let sessionId: string

function wagate(...args: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WAGATE_')))
  const p = Bun.spawnSync([process.execPath, join(import.meta.dir, '..', 'src', 'main.ts'), ...args], {
    env: { ...env, WAGATE_LOG_LEVEL: 'silent' },
  })
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() }
}

const api = (url: string, key: string, path: string, init: RequestInit = {}) =>
  fetch(url + path, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } })

beforeAll(async () => {
  gw = await startGateway({ dataDir })
  const r = await api(gw.url, gw.key!, '/api/v1/sessions', { method: 'POST', body: JSON.stringify({ name: 'kept' }) })
  expect(r.status).toBe(201)
  sessionId = ((await r.json()) as { id: string }).id
}, 60_000)

afterAll(async () => {
  await gw?.stop()
  rmSync(dir, { recursive: true, force: true })
})

it('copies the database of a running server into a private file and reports it', () => {
  const out = join(dir, 'online.db')
  const r = wagate('backup', '--data-dir', dataDir, '--out', out)
  expect(r.code).toBe(0)
  const result = JSON.parse(r.out) as Record<string, unknown>
  expect(Object.keys(result).sort()).toEqual(['bytes', 'ms', 'out', 'tables'])
  expect(result.out).toBe(out)
  expect(result.bytes).toBe(statSync(out).size)
  expect(result.tables as number).toBeGreaterThan(5)
  expect(statSync(out).mode & 0o777).toBe(0o600)
  expect(r.err).toContain('secret.key')
  expect(readdirSync(dir).filter((f) => f.includes('.partial-'))).toEqual([])
})

it('refuses to overwrite an existing file and leaves it as it was', () => {
  const out = join(dir, 'taken.db')
  writeFileSync(out, 'precious')
  const r = wagate('backup', '--data-dir', dataDir, '--out', out)
  expect(r.code).toBe(1)
  expect(r.err).toContain(`${out} already exists`)
  expect(Bun.file(out).size).toBe(8)
})

it('refuses a data dir without a database', () => {
  const r = wagate('backup', '--data-dir', join(dir, 'nothing-here'), '--out', join(dir, 'none.db'))
  expect(r.code).toBe(1)
  expect(r.err).toContain('no database at')
  expect(existsSync(join(dir, 'none.db'))).toBe(false)
})

it('asks for --out', () => {
  const r = wagate('backup', '--data-dir', dataDir)
  expect(r.code).toBe(2)
  expect(r.err).toContain('Usage: wagate backup --out FILE')
})

it('restores: the copy and the key file in a new data dir serve the same sessions to the same key', async () => {
  const out = join(dir, 'restore.db')
  expect(wagate('backup', '--data-dir', dataDir, '--out', out).code).toBe(0)
  const restored = join(dir, 'restored')
  mkdirSync(restored, { mode: 0o700 })
  copyFileSync(out, join(restored, 'wagate.db'))
  copyFileSync(join(dataDir, 'secret.key'), join(restored, 'secret.key'))
  const second = await startGateway({ dataDir: restored })
  try {
    expect(second.key).toBeNull()
    const r = await api(second.url, gw.key!, `/api/v1/sessions/${sessionId}`)
    expect(r.status).toBe(200)
    expect(((await r.json()) as { name: string }).name).toBe('kept')
  } finally {
    await second.stop()
  }
}, 60_000)
