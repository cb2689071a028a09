// The real HTTP app over a sessions harness: the API as an integrator calls it, the supervisor on the simulator.
import { randomBytes } from 'node:crypto'
import { createApp } from '../../src/app.ts'
import { createAuthenticator } from '../../src/auth/authenticator.ts'
import { capabilities } from '../../src/domain/capability.ts'
import { mintKey } from '../helpers/keys.ts'
import { createLogger } from '../../src/log.ts'
import { createStores, sqliteRepos } from '../../src/store/index.ts'
import { loopbackEgress } from '../helpers/lookup.ts'
import type { Harness } from './sessions-harness.ts'

export type GatewayApi = ReturnType<typeof gatewayApi>

/** `call(method, path, body?)` as the organisation of session `sid`, with every capability. */
export function gatewayApi(h: Harness, sid: string) {
  const stores = createStores(h.db, randomBytes(32))
  const repos = sqliteRepos(stores)
  const authenticate = createAuthenticator({
    apiKeys: repos.apiKeys,
    orgs: repos.orgs,
    jwt: { orgClaim: 'org_id', roleClaim: 'role', roleCapabilities: {} },
  })
  const logger = createLogger('silent')
  const app = createApp({
    repos,
    engine: h.supervisor,
    authenticate,
    logger,
    version: 'e2e',
    egress: loopbackEgress(),
    maxBodyBytes: 1 << 20,
    docs: false,
  })
  const orgId = h.session(sid).org_id as string
  const key = mintKey(stores, { orgId, name: 'e2e', capabilities: [...capabilities] }).key
  const base = `/api/v1/sessions/${sid}`
  return async <T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const headers = new Headers({ authorization: `Bearer ${key}` })
    if (body !== undefined) headers.set('content-type', 'application/json')
    const res = await app.handle(
      new Request(`http://localhost${base}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      }),
    )
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : null }
  }
}
