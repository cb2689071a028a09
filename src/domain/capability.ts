// Capabilities and the principal a request acts as. In domain/ because the store (API keys' capabilities), auth
// (who the caller is) and http (what a route needs) all speak of them, and none of those may import another.
import { Type, type Static } from '@sinclair/typebox'

export const capabilities = ['read', 'send', 'manage', 'admin'] as const

/** One capability, as config and stored rows validate it. */
export const Capability = Type.Union(capabilities.map((c) => Type.Literal(c)))
export type Capability = Static<typeof Capability>

export const isCapability = (s: string): s is Capability => (capabilities as readonly string[]).includes(s)

/** Who is calling: one organisation and a fixed set of capabilities. */
export type Principal = {
  kind: 'jwt' | 'api_key'
  /** The JWT subject or the API key id. */
  subject: string
  orgId: string
  capabilities: Capability[]
}
