// The authenticator answers an API key at once when the store does (SQLite): no promise on the read path, and the
// same principal, refusals and last-used record as before.
import { afterEach, beforeEach, expect, it } from 'bun:test'
import { createAuthenticator, type Authenticator } from '../../src/auth/authenticator.ts'
import { testApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let authenticate: Authenticator
beforeEach(async () => {
  t = await testApp()
  authenticate = createAuthenticator({
    apiKeys: t.repos.apiKeys,
    orgs: t.repos.orgs,
    jwt: { orgClaim: 'org_id', roleClaim: 'role', roleCapabilities: {} },
  })
})
afterEach(() => t.close())

const rowOf = (key: string) => t.stores.apiKeys.forVerification(key.split('_')[1]!)!

it('records the first use of a key before answering its principal', async () => {
  const key = t.key(['read', 'send'])
  const first = authenticate(key)
  expect(first).toBeInstanceOf(Promise)
  expect(await first).toEqual({
    kind: 'api_key',
    subject: rowOf(key).id,
    orgId: 'acme',
    capabilities: ['read', 'send'],
  })
  expect(t.db.sqlite.query('SELECT last_used_at FROM api_keys WHERE id = ?').get(rowOf(key).id)).toEqual({
    last_used_at: expect.any(Number),
  })
})

it('answers a key used within the last minute at once, without a promise', async () => {
  const key = t.key(['read'])
  await authenticate(key)
  const again = authenticate(key)
  expect(again).not.toBeInstanceOf(Promise)
  expect(again).toEqual({ kind: 'api_key', subject: rowOf(key).id, orgId: 'acme', capabilities: ['read'] })
})

it('answers a wrong secret under a known prefix with null at once', async () => {
  const key = t.key(['read'])
  await authenticate(key)
  expect(authenticate(`${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`)).toBeNull()
})

it('answers a token that is neither an API key nor a JWT with null', () => {
  expect(authenticate('not-a-token')).toBeNull()
})
