// The binary is the product: build it once, run it on an empty data dir, talk to it, stop it.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = join(import.meta.dir, '..')
const dir = mkdtempSync(join(tmpdir(), 'wagate-bin-'))
const bin = join(dir, 'wagate')
let proc: ReturnType<typeof Bun.spawn>
let url = ''
let key = ''
let stdout = ''

async function readUntil(stream: ReadableStream<Uint8Array>, done: () => boolean, ms: number) {
  const reader = stream.getReader()
  const deadline = Date.now() + ms
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`binary did not start in time; output so far:\n${stdout}`)
    const { value, done: end } = await reader.read()
    if (end) throw new Error(`binary exited early:\n${stdout}`)
    stdout += new TextDecoder().decode(value)
  }
  reader.releaseLock()
}

beforeAll(async () => {
  const build = Bun.spawnSync([process.execPath, join(root, 'scripts', 'build.ts'), bin], { stderr: 'pipe' })
  if (build.exitCode !== 0) throw new Error(build.stderr.toString())
  // A stray .env and bunfig.toml in the working dir must not change the binary's behaviour.
  writeFileSync(join(dir, '.env'), 'WAGATE_PORT=1\nWAGATE_DATA_DIR=/nonexistent\n')
  writeFileSync(join(dir, 'bunfig.toml'), '[install]\nregistry = "http://127.0.0.1:1"\n')
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WAGATE_')))
  proc = Bun.spawn([bin, 'serve', '--data-dir', join(dir, 'data'), '--port', '0', '--log-level', 'info'], {
    cwd: dir,
    env,
    stdout: 'pipe',
    stderr: 'inherit',
  })
  await readUntil(proc.stdout as ReadableStream<Uint8Array>, () => /"url":"[^"]+"/.test(stdout), 20_000)
  url = /"url":"([^"]+)"/.exec(stdout)![1]!
  key = /(wgk_[A-Za-z0-9_-]+)/.exec(stdout)![1]!
}, 120_000)

afterAll(() => {
  proc?.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

const get = (path: string, auth = true) =>
  fetch(url + path, auth ? { headers: { authorization: `Bearer ${key}` } } : {})

it('prints the first-start admin key once in a banner', () => {
  expect(stdout).toContain('first start')
  expect(stdout.split(key).length - 1).toBe(1)
})

it('is ready on an empty data dir', async () => {
  const res = await get('/readyz', false)
  expect(res.status).toBe(200)
  expect(await res.json()).toEqual({ status: 'ready' })
})

it('serves an authenticated route', async () => {
  const created = await fetch(url + '/api/v1/sessions', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bin' }),
  })
  expect(created.status).toBe(201)
  const { id } = (await created.json()) as { id: string }
  const res = await get(`/api/v1/sessions/${id}/chats?limit=0`)
  expect(res.status).toBe(200)
  expect(await res.json()).toEqual({ data: [], nextCursor: null })
})

it('still validates queries in the compiled build', async () => {
  const res = await get('/api/v1/sessions?limit=abc')
  expect(res.status).toBe(400)
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe('validation_error')
})

it('refuses a request without a token', async () => {
  expect((await get('/api/v1/sessions', false)).status).toBe(401)
})

it('exits cleanly on SIGTERM', async () => {
  proc.kill('SIGTERM')
  expect(await proc.exited).toBe(0)
})
