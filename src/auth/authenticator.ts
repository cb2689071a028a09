// Turns a bearer token into a Principal: a login JWT verified against the frontend JWKS first,
// otherwise one of our API keys. Anything else is no principal (the HTTP layer answers 401).
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose'
import type { ApiKeyStore } from '../store/api-keys.ts'
import type { OrgStore } from '../store/orgs.ts'
import { parseApiKey, secretMatches } from './api-key.ts'
import { isCapability, type Capability, type Principal } from './capabilities.ts'

export type JwtOptions = {
  jwksUrl?: string
  /** A parsed JWKS document (the config's JWKS file), for offline use. */
  jwks?: { keys: unknown[] }
  issuer?: string
  audience?: string
  orgClaim: string
  roleClaim: string
  roleCapabilities: Record<string, Capability[]>
}

/** Only asymmetric algorithms: `none` and HMAC (e.g. HS256 keyed with the public key) never verify. */
const algorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']

const looksLikeJwt = (token: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)

export type Authenticator = (token: string) => Promise<Principal | null>

export function createAuthenticator(deps: { jwt: JwtOptions; apiKeys: ApiKeyStore; orgs: OrgStore }): Authenticator {
  const { jwt, apiKeys, orgs } = deps
  let keySet: JWTVerifyGetKey | null = null
  if (jwt.jwks) keySet = createLocalJWKSet(jwt.jwks as Parameters<typeof createLocalJWKSet>[0])
  else if (jwt.jwksUrl) keySet = createRemoteJWKSet(new URL(jwt.jwksUrl), { cooldownDuration: 30_000 })

  async function fromJwt(token: string): Promise<Principal | null> {
    if (!keySet) return null
    try {
      const { payload } = await jwtVerify(token, keySet, {
        algorithms,
        ...(jwt.issuer ? { issuer: jwt.issuer } : {}),
        ...(jwt.audience ? { audience: jwt.audience } : {}),
      })
      const orgId = payload[jwt.orgClaim]
      const role = payload[jwt.roleClaim]
      if (typeof orgId !== 'string' || !orgId || typeof role !== 'string') return null
      orgs.ensure(orgId)
      const caps = (jwt.roleCapabilities[role] ?? []).filter(isCapability)
      return { kind: 'jwt', subject: payload.sub ?? '', orgId, capabilities: caps }
    } catch {
      return null
    }
  }

  function fromApiKey(token: string, now: number): Principal | null {
    const parts = parseApiKey(token)
    if (!parts) return null
    const row = apiKeys.forVerification(parts.prefix)
    if (!row || !secretMatches(parts.secret, row.hash)) return null
    if (row.revokedAt !== null || (row.expiresAt !== null && row.expiresAt <= now)) return null
    // Coarse last-used tracking: one write a minute per key at most keeps the hot path read-only.
    if (row.lastUsedAt === null || now - row.lastUsedAt > 60_000) apiKeys.markUsed(row.id, now)
    return { kind: 'api_key', subject: row.id, orgId: row.orgId, capabilities: row.capabilities }
  }

  return async (token) => {
    if (token.startsWith('wgk_')) return fromApiKey(token, Date.now())
    if (looksLikeJwt(token)) return fromJwt(token)
    return null
  }
}
