// WhatsApp's refusals reach API clients as upstream_error with a safe message; the raw text only reaches the
// log, next to the request id. Real Baileys against the simulator, whose fault switch makes WhatsApp refuse.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { randomBytes } from 'node:crypto'
import pino from 'pino'
import { createApp } from '../../src/app.ts'
import { createAuthenticator } from '../../src/auth/authenticator.ts'
import { mintKey } from '../helpers/keys.ts'
import { decide, freshBackoff } from '../../src/sessions/backoff.ts'
import { createStores, sqliteRepos } from '../../src/store/index.ts'
import { loopbackEgress } from '../helpers/lookup.ts'
import { startHarness, type Harness } from './sessions-harness.ts'

const ME = '15551260001'
const BOB = '15551260002'
let h: Harness
let sid: string
let key: string
let app: ReturnType<typeof createApp>
const logged: Record<string, any>[] = []

beforeAll(async () => {
  h = await startHarness()
  await h.control('POST', '/accounts', { phone: BOB, name: 'Bob' })
  sid = await h.linkedSession(ME)
  const stores = createStores(h.db, randomBytes(32))
  const repos = sqliteRepos(stores)
  key = mintKey(stores, { orgId: h.session(sid).org_id, name: 't', capabilities: ['send'] }).key
  const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) })
  app = createApp({
    repos,
    engine: h.supervisor,
    authenticate: createAuthenticator({
      apiKeys: repos.apiKeys,
      orgs: repos.orgs,
      jwt: { orgClaim: 'org_id', roleClaim: 'role', roleCapabilities: {} },
    }),
    logger,
    version: 'test',
    maxBodyBytes: 65536,
    docs: false,
    egress: loopbackEgress(),
  })
})
afterAll(() => h.close())

it('answers a refused channel follow with 502 upstream_error and a safe message, logging the raw text', async () => {
  const { jid } = (await h.control('POST', '/channels', { name: 'Refused', owner: BOB })).body
  await h.control('POST', '/faults', { xmlns: 'w:mex', action: 'fail', code: 500, count: 1 })
  const res = await app.handle(
    new Request(`http://localhost/api/v1/sessions/${sid}/channels/${encodeURIComponent(jid)}:follow`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'x-request-id': 'req_upstream_1' },
    }),
  )
  const text = await res.text()
  expect(res.status).toBe(502)
  expect(JSON.parse(text)).toEqual({
    error: { code: 'upstream_error', message: 'WhatsApp did not accept the channel follow', details: { status: 500 } },
  })
  expect(text).not.toContain('simulated-fault')
  const entry = logged.find((l) => l.requestId === 'req_upstream_1')
  expect(entry).toMatchObject({ code: 'upstream_error', msg: 'WhatsApp did not accept the channel follow' })
  expect(entry!.err.message).toBe('simulated-fault')
})

it("keeps Baileys' close text out of the session's lastError", () => {
  const closed = { code: 500, message: 'Stream Errored (xml-not-well-formed) at node 0x7f3a', linked: true }
  expect(decide(closed, freshBackoff(), 0).decision.reason).toBe('WhatsApp server error (500)')
  const unpaired = { code: 428, message: 'Connection Terminated by Server <internal host>', linked: false }
  expect(decide(unpaired, freshBackoff(), 0).decision.reason).toBe(
    'pairing did not complete (connection closed by WhatsApp (428))',
  )
  const bad = { code: undefined, message: 'certificate: signature 3f9a… invalid', linked: true }
  expect(decide(bad, freshBackoff(), 0).decision.reason).toBe(
    'server certificate not signed by the trusted WhatsApp root',
  )
})
