// The wagate command line, run as a process on a temp data dir.
import { afterAll, describe, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const dir = mkdtempSync(join(tmpdir(), 'wagate-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function wagate(...args: string[]) {
  const p = Bun.spawnSync(
    [process.execPath, join(import.meta.dir, '..', 'src', 'main.ts'), ...args, '--data-dir', dir],
    {
      env: { ...process.env, WAGATE_LOG_LEVEL: 'silent' },
    },
  )
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() }
}

describe('wagate', () => {
  it('prints its version', () => {
    expect(Bun.spawnSync([process.execPath, 'src/main.ts', 'version']).stdout.toString().trim()).toMatch(
      /^\d+\.\d+\.\d+/,
    )
  })

  it('prints help for every command', () => {
    for (const c of ['serve', 'keys', 'orgs', 'migrate', 'version']) {
      const r = wagate(c, '--help')
      expect(r.code).toBe(0)
      expect(r.out).toContain('Usage')
    }
  })

  it('applies migrations with migrate and reports them', () => {
    const r = wagate('migrate')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.out).total).toBeGreaterThan(0)
  })

  it('creates an organisation and an API key printed as one JSON line', () => {
    expect(wagate('orgs', 'create', 'acme', '--name', 'Acme').code).toBe(0)
    const r = wagate('keys', 'create', '--org', 'acme', '--name', 'ci', '--cap', 'read,send')
    expect(r.code).toBe(0)
    const lines = r.out.trim().split('\n')
    expect(lines).toHaveLength(1)
    const k = JSON.parse(lines[0]!)
    expect(Object.keys(k).sort()).toEqual(['capabilities', 'id', 'key', 'orgId'])
    expect(k.key).toMatch(/^wgk_/)
    expect(k.capabilities).toEqual(['read', 'send'])
  })

  it('never shows a key again in keys list', () => {
    const created = JSON.parse(wagate('keys', 'create', '--org', 'acme', '--name', 'x', '--cap', 'admin').out)
    const list = wagate('keys', 'list', '--org', 'acme')
    expect(list.code).toBe(0)
    expect(list.out).toContain(created.id)
    expect(list.out).not.toContain(created.key.slice(17))
  })

  it('revokes a key', () => {
    const created = JSON.parse(wagate('keys', 'create', '--org', 'acme', '--name', 'y', '--cap', 'read').out)
    const r = wagate('keys', 'revoke', '--org', 'acme', created.id)
    expect(r.code).toBe(0)
    expect(JSON.parse(r.out).revokedAt).toBeNumber()
  })

  it('refuses an unknown capability with a clear message', () => {
    const r = wagate('keys', 'create', '--org', 'acme', '--name', 'z', '--cap', 'read,fly')
    expect(r.code).toBe(2)
    expect(r.err).toContain('unknown capability: fly')
  })

  it('refuses an invalid config value naming the field', () => {
    const r = wagate('migrate', '--port', 'abc')
    expect(r.code).toBe(2)
    expect(r.err).toContain('port')
  })
})

it('refuses to serve with an unreadable JWKS file, before creating anything', () => {
  const fresh = join(dir, 'fresh')
  const p = Bun.spawnSync(
    [process.execPath, join(import.meta.dir, '..', 'src', 'main.ts'), 'serve', '--data-dir', fresh, '--port', '0'],
    { env: { ...process.env, WAGATE_LOG_LEVEL: 'silent', WAGATE_JWKS_FILE: join(dir, 'missing.json') } },
  )
  expect(p.exitCode).toBe(2)
  expect(p.stderr.toString()).toContain('jwksFile')
  expect(p.stdout.toString()).not.toContain('wgk_')
})
