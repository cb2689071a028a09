// The auth matrix: every route against every kind of principal, good and bad.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { createHash } from 'node:crypto'
import { exportSPKI, importJWK, SignJWT, UnsecuredJWT } from 'jose'
import { capabilities } from '../../src/domain/capability.ts'
import { fillWebhookPath } from '../events/fixtures.ts'
import { json, testApp, type TestApp } from '../helpers/app.ts'
import { chat, routes, type RouteCase } from '../helpers/routes.ts'
import { seedChats, seedMessages } from '../helpers/seed.ts'

let t: TestApp

const label = (r: RouteCase) => `${r.method} ${r.path}`

beforeAll(async () => {
  t = await testApp()
})
afterAll(() => t.close())

/** Fills the path with fresh resources of `orgId` so destructive routes never share state. */
function pathFor(r: RouteCase, orgId = 'acme') {
  const sid = t.stores.sessions.create({ orgId, name: 's' }).id
  const keyId = t.stores.apiKeys.page(orgId, { limit: 1 }).data[0]!.id
  seedChats(t.db.sqlite, sid, 1)
  if (r.path.includes('{mid}')) seedMessages(t.db.sqlite, sid, decodeURIComponent(chat), 1)
  const path = r.path.replace('{sid}', sid).replace('{key}', keyId).replace('{mid}', SEEDED_MESSAGE)
  return path.includes('{webhook}') ? fillWebhookPath(t.stores, orgId, path) : path
}

/** The WhatsApp id seedMessages gives its first message. */
const SEEDED_MESSAGE = '3EB00000000000000000'

async function call(r: RouteCase, token: string | null, orgId = 'acme') {
  return t.request(pathFor(r, orgId), { method: r.method, token, ...(r.body ? { json: r.body } : {}) })
}

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status)
  const body = await json(res)
  expect(body.error.code).toBe(code)
  expect(typeof body.error.message).toBe('string')
}

const badTokens: [string, () => Promise<string | null>][] = [
  ['no token', async () => null],
  ['a garbage token', async () => 'not-a-token'],
  ['a key-shaped token with a wrong secret', async () => t.admin.slice(0, -4) + 'AAAA'],
  [
    'a revoked key',
    async () => {
      const k = t.key()
      const id = t.stores.apiKeys.page('acme', { limit: 1 }).data[0]!.id
      t.stores.apiKeys.revoke('acme', id)
      return k
    },
  ],
  ['an expired key', async () => t.key([...capabilities], 'acme', { expiresAt: Date.now() - 1000 })],
  [
    'a JWT with alg none',
    async () =>
      new UnsecuredJWT({ org_id: 'acme', role: 'owner' })
        .setIssuer(t.jwks.issuer)
        .setAudience(t.jwks.audience)
        .setExpirationTime('5m')
        .encode(),
  ],
  [
    'an HS256 JWT signed with the public key',
    async () => {
      const pem = await exportSPKI((await importJWK(t.jwks.publicJwk, 'RS256', { extractable: true })) as CryptoKey)
      return new SignJWT({ org_id: 'acme', role: 'owner' })
        .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
        .setIssuer(t.jwks.issuer)
        .setAudience(t.jwks.audience)
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(pem))
    },
  ],
  ['an expired JWT', async () => t.jwks.sign({ exp: Math.floor(Date.now() / 1000) - 60 }, { expiresIn: 1 })],
  ['a JWT from another issuer', async () => t.jwks.sign({ iss: 'https://evil.test' })],
  ['a JWT for another audience', async () => t.jwks.sign({ aud: 'someone-else' })],
  ['a JWT with an unknown kid', async () => t.jwks.sign({}, { kid: 'nope' })],
  ['a JWT signed by a stranger under the known kid', async () => t.jwks.sign({}, { key: 'stranger' })],
  ['a JWT without the org claim', async () => t.jwks.sign({ org_id: undefined })],
]

/** Routes that take no principal by design. */
const PUBLIC = new Set(['GET /healthz', 'GET /readyz'])

/** The registered route (`METHOD /path/:param`) a case lands on: the most specific pattern matching its path. */
function routeOf(r: RouteCase, registered: string[]) {
  const path = r.path.split('?')[0]!.replace(/\{[a-z]+\}/g, 'x')
  const hits = registered.filter((k) => {
    const [method, pattern] = k.split(' ')
    return method === r.method && new RegExp(`^${pattern!.replace(/:[^/]+/g, '[^/]+')}$`).test(path)
  })
  return hits.sort((a, b) => a.split(':').length - b.split(':').length)[0] ?? `unregistered: ${label(r)}`
}

it('has a case for every authenticated route the app registers, and none for a route it lacks', () => {
  const registered = t.app.routes
    .filter((r) => !(r.hooks as { detail?: { hide?: boolean } }).detail?.hide)
    .map((r) => `${r.method} ${r.path}`)
    .filter((k) => !PUBLIC.has(k))
    .sort()
  expect(registered.length).toBeGreaterThan(30)
  expect([...new Set(routes.map((r) => routeOf(r, registered)))].sort()).toEqual(registered)
})

describe.each(routes.map((r) => [label(r), r] as const))('%s', (_, r) => {
  for (const [name, token] of badTokens) {
    it(`answers 401 unauthorized to ${name}`, async () => {
      await expectError(await call(r, await token()), 401, 'unauthorized')
    })
  }

  it(`answers 403 forbidden to a key lacking '${r.cap}'`, async () => {
    await expectError(await call(r, t.key(capabilities.filter((c) => c !== r.cap))), 403, 'forbidden')
  })

  // Viewers hold read: a read route has no weaker role to refuse.
  if (r.cap !== 'read')
    it('answers 403 forbidden to a JWT whose role lacks the capability', async () => {
      await expectError(await call(r, await t.jwks.sign({ role: 'viewer' })), 403, 'forbidden')
    })

  it(`lets a key holding only '${r.cap}' through: ${r.status}`, async () => {
    expect((await call(r, t.key([r.cap]))).status).toBe(r.status)
  })

  it(`lets a valid login JWT through: ${r.status}`, async () => {
    expect((await call(r, await t.jwks.sign({ org_id: 'acme', role: 'owner' }))).status).toBe(r.status)
  })

  if (r.scoped) {
    it("answers 404 not_found to another organisation's key, as for a missing resource", async () => {
      const res = await t.request(pathFor(r, 'acme'), {
        method: r.method,
        token: t.key([...capabilities], 'other'),
        ...(r.body ? { json: r.body } : {}),
      })
      await expectError(res, 404, 'not_found')
    })
  }
})

it('lists only the caller organisation sessions', async () => {
  t.stores.sessions.create({ orgId: 'other', name: 'theirs' })
  const res = await t.request('/api/v1/sessions?limit=200', { token: t.key(['read'], 'acme') })
  const body = await json(res)
  expect(body.data.every((s: { orgId: string }) => s.orgId === 'acme')).toBe(true)
  expect(label(routes[0]!)).toBe('POST /api/v1/sessions')
})

it('stores API keys only as a hash', () => {
  const key = t.key(['read'])
  const secret = key.slice('wgk_'.length + 12 + 1)
  const dump = JSON.stringify(t.db.sqlite.query('SELECT * FROM api_keys').all())
  expect(dump).not.toContain(secret)
  expect(dump).toContain(createHash('sha256').update(secret).digest('hex'))
})
