// Abuse limits on the API: a token bucket per principal (429 rate_limited with Retry-After), and the caps on
// live event streams and webhooks per organisation that the routes enforce. Applied where the auth macro
// resolves the principal, so every authenticated route is limited and a rejected request does no work.
import type { Authenticator } from '../auth/authenticator.ts'
import type { Principal } from '../domain/capability.ts'
import { AppError } from '../errors.ts'
import { andThen } from '../store/contract.ts'

export type Limits = {
  /** Requests a principal may make per second, sustained (0: no limit). */
  ratePerSecond: number
  /** Requests a principal may make at once after being idle. */
  burst: number
  /** Live event streams (SSE) open at once per organisation (0: no limit). */
  streamsPerOrg: number
  /** Webhooks per organisation (0: no limit). */
  webhooksPerOrg: number
}

/** No limits: what the HTTP layer applies when it is given none (tests that are not about limits). */
export const unlimited: Limits = { ratePerSecond: 0, burst: 1, streamsPerOrg: 0, webhooksPerOrg: 0 }

type Bucket = { tokens: number; at: number }

/** Past this many tracked principals, buckets that refilled completely are dropped (they equal a new one). */
const PRUNE_AT = 10_000

/**
 * Token buckets keyed by principal: each holds up to `burst` tokens, refilled at `ratePerSecond`; a request
 * takes one. Returns 0 when allowed, else the whole seconds until a token is back (the Retry-After).
 */
export function createRateLimiter(o: { ratePerSecond: number; burst: number; now?: () => number }) {
  const now = o.now ?? Date.now
  const buckets = new Map<string, Bucket>()
  const refill = (b: Bucket, t: number) => Math.min(o.burst, b.tokens + ((t - b.at) / 1000) * o.ratePerSecond)

  return {
    take(key: string): number {
      if (o.ratePerSecond <= 0) return 0
      const t = now()
      let b = buckets.get(key)
      if (!b) {
        if (buckets.size >= PRUNE_AT) for (const [k, v] of buckets) if (refill(v, t) >= o.burst) buckets.delete(k)
        b = { tokens: o.burst, at: t }
        buckets.set(key, b)
      }
      b.tokens = refill(b, t)
      b.at = t
      if (b.tokens >= 1) {
        b.tokens -= 1
        return 0
      }
      return Math.max(1, Math.ceil((1 - b.tokens) / o.ratePerSecond))
    },
    size: () => buckets.size,
  }
}

const principalKey = (p: Principal) => `${p.kind}:${p.orgId}:${p.subject}`

/** The AppError a limit answers with; the error plugin turns `retryAfter` into the Retry-After header. */
export const rateLimited = (message: string, retryAfter: number, details: Record<string, unknown> = {}) =>
  new AppError('rate_limited', message, { retryAfter, ...details })

/**
 * The authenticator the routes use: the principal's bucket is charged once it is known, so unauthenticated
 * requests still answer 401 and one principal cannot starve another.
 */
export function rateLimitedAuthenticator(
  authenticate: Authenticator,
  limits: Pick<Limits, 'ratePerSecond' | 'burst'>,
  now?: () => number,
): Authenticator {
  if (limits.ratePerSecond <= 0) return authenticate
  const limiter = createRateLimiter({ ...limits, ...(now ? { now } : {}) })
  return (token) =>
    andThen(authenticate(token), (principal) => {
      if (!principal) return null
      const wait = limiter.take(principalKey(principal))
      if (wait)
        throw rateLimited(`too many requests: at most ${limits.ratePerSecond}/s (burst ${limits.burst})`, wait, {
          limit: limits.ratePerSecond,
          burst: limits.burst,
        })
      return principal
    })
}
