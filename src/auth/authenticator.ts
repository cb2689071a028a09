// Turns a bearer token into a Principal: a login JWT verified against the frontend JWKS first,
// otherwise one of our API keys. Anything else is no principal (the HTTP layer answers 401).
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose'
import { isOrgId } from '../domain/org.ts'
import { AppError } from '../errors.ts'
import { andThen, type Awaitable, type Repos } from '../store/contract.ts'
import { parseApiKey, secretMatches } from './api-key.ts'
import { isCapability, type Capability, type Principal } from '../domain/capability.ts'

export type JwtOptions = {
  jwksUrl?: string
  /** A parsed JWKS document (the config's JWKS file), for offline use. */
  jwks?: { keys: unknown[] }
  issuer?: string
  audience?: string
  /** Seconds of clock difference allowed when checking `exp`, `nbf` and `iat`. Default 30. */
  clockToleranceSeconds?: number
  orgClaim: string
  roleClaim: string
  roleCapabilities: Record<string, Capability[]>
}

/** Only asymmetric algorithms: `none` and HMAC (e.g. HS256 keyed with the public key) never verify. */
const algorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']

/**
 * jose's verdicts on the token itself (a bad token is 401). Anything else, e.g. the JWKS endpoint down,
 * timing out or answering garbage, is our failure to check it: 503, so clients retry instead of logging out.
 */
const tokenFaults = new Set([
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JWT_EXPIRED',
  'ERR_JWT_INVALID',
  'ERR_JWS_INVALID',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JWK_INVALID',
])

const looksLikeJwt = (token: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)

/** The principal of a token, or null; at once when nothing had to be awaited (an API key on SQLite). */
export type Authenticator = (token: string) => Awaitable<Principal | null>

export function createAuthenticator(deps: { jwt: JwtOptions } & Pick<Repos, 'apiKeys' | 'orgs'>): Authenticator {
  const { jwt, apiKeys, orgs } = deps
  let keySet: JWTVerifyGetKey | null = null
  if (jwt.jwks) keySet = createLocalJWKSet(jwt.jwks as Parameters<typeof createLocalJWKSet>[0])
  else if (jwt.jwksUrl) keySet = createRemoteJWKSet(new URL(jwt.jwksUrl), { cooldownDuration: 30_000 })

  async function fromJwt(token: string): Promise<Principal | null> {
    if (!keySet) return null
    let payload
    try {
      ;({ payload } = await jwtVerify(token, keySet, {
        algorithms,
        requiredClaims: ['exp'],
        clockTolerance: jwt.clockToleranceSeconds ?? 30,
        ...(jwt.issuer ? { issuer: jwt.issuer } : {}),
        ...(jwt.audience ? { audience: jwt.audience } : {}),
      }))
    } catch (e) {
      if (tokenFaults.has((e as { code?: string }).code ?? '')) return null
      // The cause (unreachable, timed out, not a JWKS) is logged with the request id by the HTTP layer.
      throw new AppError('unavailable', 'login tokens cannot be verified right now; retry shortly', {}, { cause: e })
    }
    const orgId = payload[jwt.orgClaim]
    const role = payload[jwt.roleClaim]
    // The org claim names an organisation that is created on first sight: only a well-formed id may.
    if (!isOrgId(orgId) || typeof role !== 'string') return null
    await orgs.ensure(orgId)
    const caps = (jwt.roleCapabilities[role] ?? []).filter(isCapability)
    return { kind: 'jwt', subject: payload.sub ?? '', orgId, capabilities: caps }
  }

  function fromApiKey(token: string, now: number): Awaitable<Principal | null> {
    const parts = parseApiKey(token)
    if (!parts) return null
    return andThen(apiKeys.forVerification(parts.prefix), (row) => {
      if (!row || !secretMatches(parts.secret, row.hash)) return null
      if (row.revokedAt !== null || (row.expiresAt !== null && row.expiresAt <= now)) return null
      const principal: Principal = {
        kind: 'api_key',
        subject: row.id,
        orgId: row.orgId,
        capabilities: row.capabilities,
      }
      // Coarse last-used tracking: one write a minute per key at most keeps the hot path read-only.
      if (row.lastUsedAt === null || now - row.lastUsedAt > 60_000)
        return apiKeys.markUsed(row, now).then(() => principal)
      return principal
    })
  }

  return (token) =>
    // Every request starts by checking the auth epoch, so no cached key row or session ownership outlives a
    // revocation (see store/auth-epoch.ts).
    andThen(apiKeys.refreshAuthCaches(), () => {
      if (token.startsWith('wgk_')) return fromApiKey(token, Date.now())
      if (looksLikeJwt(token)) return fromJwt(token)
      return null
    })
}
