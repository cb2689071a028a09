// A real JWKS endpoint on 127.0.0.1 and a token minter for it, as the frontend would run.
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose'

export type JwksServer = Awaited<ReturnType<typeof startJwks>>

export async function startJwks() {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true })
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }
  const stranger = await generateKeyPair('RS256', { extractable: true })
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: () => Response.json({ keys: [publicJwk] }),
  })
  const issuer = 'https://frontend.test'
  const audience = 'wagate'

  return {
    url: `http://127.0.0.1:${server.port}/.well-known/jwks.json`,
    issuer,
    audience,
    publicJwk,
    /** A token as the frontend mints it; override claims or header to build the bad cases. */
    async sign(
      claims: JWTPayload = {},
      opts: { kid?: string; expiresIn?: string | number | null; key?: 'own' | 'stranger' } = {},
    ): Promise<string> {
      const jwt = new SignJWT({ org_id: 'acme', role: 'owner', ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? 'k1' })
        .setIssuedAt()
        .setSubject('user_1')
        .setIssuer(typeof claims.iss === 'string' ? claims.iss : issuer)
        .setAudience(claims.aud ?? audience)
      // null: no `exp` at all.
      if (opts.expiresIn !== null) jwt.setExpirationTime(opts.expiresIn ?? '5m')
      return jwt.sign(opts.key === 'stranger' ? stranger.privateKey : privateKey)
    },
    stop: () => server.stop(true),
  }
}
