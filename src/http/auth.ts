// The capability macro: routes declare `{ auth: 'read' }` and the handler receives `principal`.
import { Elysia } from 'elysia'
import type { Authenticator } from '../auth/authenticator.ts'
import type { Capability, Principal } from '../domain/capability.ts'
import { AppError } from '../errors.ts'
import { andThen, type Awaitable } from '../store/contract.ts'
import { ErrorEnvelope } from './errors.ts'

/**
 * The request's principal, if its bearer token is valid and grants `need`; otherwise the 401 or 403 to answer
 * (thrown, or the promise rejected with it).
 */
export function authorize(authenticate: Authenticator, request: Request, need: Capability): Awaitable<Principal> {
  const header = request.headers.get('authorization') ?? ''
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1]
  return andThen(token ? authenticate(token) : null, (principal) => {
    if (!principal) throw new AppError('unauthorized', 'missing or invalid bearer token')
    if (!principal.capabilities.includes(need))
      throw new AppError('forbidden', `this route requires the '${need}' capability`, { required: need })
    return principal
  })
}

export function authPlugin(authenticate: Authenticator) {
  // The error envelope is registered here, once, so every route file documents errors as one named component.
  return new Elysia({ name: 'auth' }).model({ error: ErrorEnvelope }).macro({
    auth: (need: Capability) => ({
      // Reads request.headers, not the `headers` context: sucrose may drop the latter in compiled builds. Not an
      // async function: with an API key on SQLite the principal is known at once (see `andThen`).
      resolve({ request }): Awaitable<{ principal: Principal }> {
        return andThen(authorize(authenticate, request, need), (principal) => ({ principal }))
      },
    }),
  })
}
