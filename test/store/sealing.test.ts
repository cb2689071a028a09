// One sealer for every secret at rest, bound to its row: a sealed value moved to another row does not open, and
// a data dir whose webhook secrets were sealed the old way (no associated data) is re-sealed once and still works.
import { afterAll, describe, expect, it } from 'bun:test'
import { createCipheriv, createHmac, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mintKey } from '../helpers/keys.ts'
import { loadConfig } from '../../src/config.ts'
import { createSealer } from '../../src/domain/sealer.ts'
import { generateSecret } from '../../src/events/secrets.ts'
import { openData } from '../../src/server.ts'
import { migrateData } from '../../src/store/data-migrations.ts'
import { openDb } from '../../src/store/db.ts'
import { createStores } from '../../src/store/index.ts'
import { loadSecretKey } from '../../src/whatsapp/secret-key.ts'
import { startReceiver, verify, waitFor } from '../events/receiver.ts'
import { startGateway } from '../helpers/gateway-process.ts'

const dirs: string[] = []
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'wagate-sealing-'))
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('sealer', () => {
  const sealer = createSealer(randomBytes(32))

  it('opens what it sealed under the same associated data', () => {
    const sealed = sealer.sealText('whsec_abc', 'webhook-secret:wh_1')
    expect(sealed).toStartWith('v2.')
    expect(sealer.openText(sealed, 'webhook-secret:wh_1')).toBe('whsec_abc')
  })

  it('refuses a value sealed for another row', () => {
    const sealed = sealer.seal('creds', 'ses_1/creds/')
    expect(() => sealer.open(sealed, 'ses_2/creds/')).toThrow()
  })

  it('refuses an altered value and a value sealed under another key', () => {
    const sealed = sealer.seal('x', 'a')
    sealed[sealed.length - 1]! ^= 1
    expect(() => sealer.open(sealed, 'a')).toThrow()
    expect(() => createSealer(randomBytes(32)).open(sealer.seal('x', 'a'), 'a')).toThrow()
  })
})

describe('webhook secrets at rest', () => {
  it("does not open a webhook's sealed secret copied into another webhook's row", () => {
    const db = openDb(':memory:')
    const stores = createStores(db, randomBytes(32))
    stores.orgs.create('acme')
    const a = stores.webhooks.create('acme', { url: 'https://a.test/', events: ['*'] }, generateSecret())
    const b = stores.webhooks.create('acme', { url: 'https://b.test/', events: ['*'] }, generateSecret())
    db.sqlite.run('UPDATE webhooks SET secret = (SELECT secret FROM webhooks WHERE id = ?) WHERE id = ?', [a.id, b.id])
    expect(() => stores.webhooks.target(b.id)).toThrow()
    const unreadable: string[] = []
    expect(stores.webhooks.enabledTargets((id) => unreadable.push(id)).map((t) => t.id)).toEqual([a.id])
    expect(unreadable).toEqual([b.id])
    db.close()
  })
})

/** Seals a secret exactly as wagate did before one sealer, written here from its description, not its code. */
function legacySeal(secretKey: Buffer, secret: string) {
  const cursorKey = createHmac('sha256', secretKey).update('wagate cursor key').digest()
  const key = createHmac('sha256', cursorKey).update('wagate webhook secrets').digest()
  const iv = randomBytes(12)
  const c = createCipheriv('aes-256-gcm', key, iv)
  const ct = Buffer.concat([c.update(secret, 'utf8'), c.final()])
  return ['v1', iv, c.getAuthTag(), ct].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.')
}

/** A data dir as an earlier wagate left it: one org, an admin key, a webhook with old-format secrets. */
function oldDataDir(url: string) {
  const dataDir = tempDir()
  const secretKey = loadSecretKey({ dataDir })
  const db = openDb(join(dataDir, 'wagate.db'))
  const stores = createStores(db, secretKey)
  stores.orgs.create('default')
  const admin = mintKey(stores, { orgId: 'default', name: 'admin', capabilities: ['read', 'manage'] }).key
  const [secret, previous] = [generateSecret(), generateSecret()]
  const id = 'wh_01JOLDFORMAT0000000000000'
  db.sqlite.run(
    `INSERT INTO webhooks (id, org_id, url, events, enabled, secret, previous_secret, previous_expires_at, hwm,
     created_at, updated_at) VALUES (?, 'default', ?, '["*"]', 1, ?, ?, ?, 0, 0, 0)`,
    [id, url, legacySeal(secretKey, secret), legacySeal(secretKey, previous), Date.now() + 3600_000],
  )
  db.close()
  return { dataDir, id, secret, previous, admin }
}

describe('re-sealing old-format webhook secrets', () => {
  it('re-seals them once, bound to their row, and they open to the same secrets', () => {
    const old = oldDataDir('https://hooks.example.test/')
    const { db, stores } = openData(loadConfig({ dataDir: old.dataDir }, {}))
    const row = db.sqlite.query<{ secret: string; previous_secret: string }, []>('SELECT * FROM webhooks').get()!
    expect([row.secret.slice(0, 3), row.previous_secret.slice(0, 3)]).toEqual(['v2.', 'v2.'])
    expect(stores.webhooks.target(old.id)).toMatchObject({ secret: old.secret, previousSecret: old.previous })
    const recorded = db.sqlite.query("SELECT name FROM wagate_migrations WHERE name LIKE 'data/%'").all()
    expect(recorded).toEqual([{ name: 'data/0001_reseal_webhook_secrets' }, { name: 'data/0002_merge_lid_chats' }])
    expect(migrateData(db.sqlite, loadSecretKey({ dataDir: old.dataDir }))).toEqual([])
    db.close()
  })

  it('a gateway started on such a data dir signs deliveries with the same secrets', async () => {
    const rx = startReceiver()
    const old = oldDataDir(rx.url)
    rx.state.secret = old.secret
    const g = await startGateway({ dataDir: old.dataDir, env: { WAGATE_EGRESS_ALLOW: '127.0.0.0/8' } })
    try {
      const res = await fetch(`${g.url}/api/v1/webhooks/${old.id}:test`, {
        method: 'POST',
        headers: { authorization: `Bearer ${old.admin}` },
      })
      expect(res.status).toBe(202)
      await waitFor(() => rx.received.length === 1)
      const got = rx.received[0]!
      expect(got.valid).toBe(true)
      expect(got.signatures).toHaveLength(2)
      const headers = new Headers({
        'webhook-id': got.id,
        'webhook-timestamp': String(got.timestamp),
        'webhook-signature': got.signatures[1]!,
      })
      expect(verify(old.previous, headers, got.body)).toBe(true)
    } finally {
      await g.stop()
      rx.stop()
    }
  }, 30_000)
})
