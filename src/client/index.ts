// The typed client (`wagate/client`): openapi-fetch over the types scripts/gen-client.ts generates from /openapi.json.
// Every path, parameter, body and response is checked by TypeScript; path parameters are percent-encoded (a JID's
// `@` travels as %40), custom methods are paths of their own: client.POST('/api/v1/sessions/{sid}:start', …).
import createClient, { type Client, type ClientOptions } from 'openapi-fetch'
import type { components, paths } from './schema.ts'

export type { components, operations, paths, webhooks } from './schema.ts'

export type WagateClient = Client<paths>

/** The API's named shapes: `Schemas['Message']`, `Schemas['Session']`, `Schemas['Chat']`, … */
export type Schemas = components['schemas']

/** The error envelope of every non-2xx answer: `{ error: { code, message, details } }`. */
export type WagateError = components['schemas']['error']

export type WagateClientOptions = Omit<ClientOptions, 'baseUrl' | 'headers'> & {
  /** The gateway's origin, e.g. `http://127.0.0.1:8080` (the paths carry `/api/v1`). */
  baseUrl: string
  /** An API key (`wgk_…`) or a frontend login JWT, sent as `Authorization: Bearer`. */
  token: string
  /** Further headers sent with every request. */
  headers?: Record<string, string>
}

export function createWagateClient({ baseUrl, token, headers, ...options }: WagateClientOptions): WagateClient {
  return createClient<paths>({
    ...options,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    headers: { ...headers, authorization: `Bearer ${token}` },
  })
}
