// The capability macro: routes declare `{ auth: 'read' }` and the handler receives `principal`.
import { Elysia } from 'elysia'
import type { Authenticator } from '../auth/authenticator.ts'
import type { Capability, Principal } from '../domain/capability.ts'
import { AppError } from '../errors.ts'
import type { Repos } from '../store/contract.ts'
import { ErrorEnvelope } from './errors.ts'

/**
 * The request's principal, if its bearer token is valid and grants `need`; otherwise the 401 or 403 to answer.
 * `refresh` false: from the auth caches as they stand (see `listingAuth`).
 */
export async function authorize(
  authenticate: Authenticator,
  request: Request,
  need: Capability,
  refresh = true,
): Promise<Principal> {
  const header = request.headers.get('authorization') ?? ''
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1]
  const principal = token ? await authenticate(token, refresh) : null
  if (!principal) throw new AppError('unauthorized', 'missing or invalid bearer token')
  if (!principal.capabilities.includes(need))
    throw new AppError('forbidden', `this route requires the '${need}' capability`, { required: need })
  return principal
}

export function authPlugin(authenticate: Authenticator) {
  // The error envelope is registered here, once, so every route file documents errors as one named component.
  return new Elysia({ name: 'auth' }).model({ error: ErrorEnvelope }).macro({
    auth: (need: Capability) => ({
      // Reads request.headers, not the `headers` context: sucrose may drop the latter in compiled builds.
      async resolve({ request }): Promise<{ principal: Principal }> {
        return { principal: await authorize(authenticate, request, need) }
      },
    }),
  })
}

/**
 * Authorization for the hot listings, whose statement reads the auth epoch with the rows (the stores' listings hand
 * it to the auth caches): the principal and the session ownership come from the caches without a read of their
 * own, and the answer stands only if the caches still hold for the epoch they held for before it, i.e. nothing
 * that can take access away happened (in any process) before the listing read its rows. Otherwise the request is
 * authorized afresh, as on every other route, and the listing runs again; an error is answered only once a fresh
 * read of the epoch confirms the caches it came from. So a revoked key still fails on the very next request.
 */
export function listingAuth(
  authenticate: Authenticator,
  apiKeys: Pick<Repos['apiKeys'], 'authCachesEpoch' | 'refreshAuthCaches'>,
) {
  return async <T>(request: Request, need: Capability, list: (principal: Principal) => Promise<T>): Promise<T> => {
    const held = await apiKeys.authCachesEpoch()
    if (held !== null) {
      try {
        const listed = await list(await authorize(authenticate, request, need, false))
        if ((await apiKeys.authCachesEpoch()) === held) return listed
      } catch (e) {
        await apiKeys.refreshAuthCaches()
        if ((await apiKeys.authCachesEpoch()) === held) throw e
      }
    }
    return list(await authorize(authenticate, request, need))
  }
}
