// API key rows and session ownership are cached in memory; every change that can take access away bumps the auth
// epoch in the database (triggers), which each request reads first. So access ends on the very next request,
// whichever process or connection made the change, and nothing cached for one organisation serves another.
import { Database } from 'bun:sqlite'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { json, testApp, type TestApp } from '../helpers/app.ts'
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.ts'

describe('principal and ownership caches (one server)', () => {
  let t: TestApp
  let other: Database
  let sid: string
  beforeEach(async () => {
    t = await testApp()
    // A second connection to the same file: what another process (or a migration) writes through.
    other = new Database(join(t.dir, 'wagate.db'))
    other.run('PRAGMA foreign_keys = ON')
    sid = t.stores.sessions.create({ orgId: 'acme', name: 'main' }).id
  })
  afterEach(async () => {
    other.close()
    await t.close()
  })
  const chats = (token: string, session = sid) => t.request(`/api/v1/sessions/${session}/chats`, { token })
  const idOf = (key: string) => t.stores.apiKeys.forVerification(key.split('_')[1]!)!.id

  it('a key revoked through the API fails on the very next request', async () => {
    const key = t.key(['read'])
    expect((await chats(key)).status).toBe(200)
    expect((await t.request(`/api/v1/api-keys/${idOf(key)}`, { method: 'DELETE' })).status).toBe(204)
    expect((await chats(key)).status).toBe(401)
  })

  it('a wrong secret under the prefix of a key just accepted is refused', async () => {
    const key = t.key(['read'])
    expect((await chats(key)).status).toBe(200)
    const forged = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`
    expect((await chats(forged)).status).toBe(401)
  })

  it('the right secret is still accepted after a wrong one under its prefix', async () => {
    const key = t.key(['read'])
    expect((await chats(`${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`)).status).toBe(401)
    expect((await chats(key)).status).toBe(200)
  })

  it('a key revoked by another connection fails on the very next request', async () => {
    const key = t.key(['read'])
    expect((await chats(key)).status).toBe(200)
    other.run('UPDATE api_keys SET revoked_at = ? WHERE id = ?', [Date.now(), idOf(key)])
    expect((await chats(key)).status).toBe(401)
  })

  it('a key whose capabilities change elsewhere is held to the new ones on the very next request', async () => {
    const key = t.key(['read'])
    expect((await chats(key)).status).toBe(200)
    other.run(`UPDATE api_keys SET capabilities = '["send"]' WHERE id = ?`, [idOf(key)])
    const res = await chats(key)
    expect(res.status).toBe(403)
    expect((await json(res)).error.details).toEqual({ required: 'read' })
  })

  it('a key deleted with its organisation fails on the very next request', async () => {
    const otherSid = t.stores.sessions.create({ orgId: 'other', name: 'theirs' }).id
    const key = t.key(['read'], 'other')
    expect((await chats(key, otherSid)).status).toBe(200)
    other.run(`DELETE FROM orgs WHERE id = 'other'`)
    expect((await chats(key, otherSid)).status).toBe(401)
  })

  it('a key moved to another organisation acts for that one on the very next request', async () => {
    const key = t.key(['read'])
    expect((await chats(key)).status).toBe(200)
    other.run(`UPDATE api_keys SET org_id = 'other' WHERE id = ?`, [idOf(key)])
    expect((await chats(key)).status).toBe(404)
  })

  it('a cached key past its expiry fails', async () => {
    const key = t.key(['read'], 'acme', { expiresAt: Date.now() + 400 })
    expect((await chats(key)).status).toBe(200)
    await Bun.sleep(450)
    expect((await chats(key)).status).toBe(401)
  })

  it('a deleted session is not found on the very next listing', async () => {
    const key = t.key(['read', 'manage'])
    expect((await chats(key)).status).toBe(200)
    other.run('DELETE FROM sessions WHERE id = ?', [sid])
    const res = await chats(key)
    expect(res.status).toBe(404)
    expect((await json(res)).error.code).toBe('not_found')
  })

  it("ownership seen for one organisation does not serve another organisation's key", async () => {
    const mine = t.key(['read'])
    const theirs = t.key(['read'], 'other')
    const theirSid = t.stores.sessions.create({ orgId: 'other', name: 'theirs' }).id
    expect((await chats(mine)).status).toBe(200)
    expect((await chats(theirs)).status).toBe(404)
    expect((await chats(theirs, theirSid)).status).toBe(200)
    expect((await chats(mine, theirSid)).status).toBe(404)
  })

  it('a key used once keeps working (the cached row verifies the secret every time)', async () => {
    const key = t.key(['read'])
    expect((await chats(key)).status).toBe(200)
    const forged = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A')
    expect((await chats(forged)).status).toBe(401)
    expect((await chats(key)).status).toBe(200)
  })
})

describe('a key revoked by `wagate keys revoke` beside a running serve', () => {
  const root = mkdtempSync(join(tmpdir(), 'wagate-revoke-'))
  const dataDir = join(root, 'data')
  const main = join(import.meta.dir, '..', '..', 'src', 'main.ts')
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WAGATE_')))
  const wagate = (...args: string[]) => {
    const p = Bun.spawnSync([process.execPath, main, ...args, '--data-dir', dataDir], {
      env: { ...env, WAGATE_LOG_LEVEL: 'warn' },
      timeout: 30_000,
    })
    if (p.exitCode !== 0) throw new Error(`wagate ${args.join(' ')}: ${p.stderr.toString()}`)
    return JSON.parse(p.stdout.toString()) as { id: string; key: string; revokedAt: number | null }
  }
  let gw: GatewayProcess
  beforeAll(async () => {
    gw = await startGateway({ dataDir, timeoutMs: 30_000 })
  })
  afterAll(async () => {
    await gw.stop()
    rmSync(root, { recursive: true, force: true })
  })

  it('fails on the very next request', async () => {
    const created = wagate('keys', 'create', '--org', 'default', '--name', 'ci', '--cap', 'read')
    const me = () => fetch(`${gw.url}/api/v1/me`, { headers: { authorization: `Bearer ${created.key}` } })
    expect((await me()).status).toBe(200)
    expect((await me()).status).toBe(200)
    expect(wagate('keys', 'revoke', '--org', 'default', created.id).revokedAt).toBeNumber()
    expect((await me()).status).toBe(401)
  })
})
