// The capability macro: routes declare `{ auth: 'read' }` and the handler receives `principal`.
import { Elysia } from 'elysia'
import type { Authenticator } from '../auth/authenticator.ts'
import type { Capability, Principal } from '../domain/capability.ts'
import { AppError } from '../errors.ts'
import { ErrorEnvelope } from './errors.ts'

/** The request's principal, if its bearer token is valid and grants `need`; otherwise the 401 or 403 to answer. */
export async function authorize(authenticate: Authenticator, request: Request, need: Capability): Promise<Principal> {
  const header = request.headers.get('authorization') ?? ''
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1]
  const principal = token ? await authenticate(token) : null
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
