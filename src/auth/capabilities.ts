// Capabilities and the principal a request acts as.

export const capabilities = ['read', 'send', 'manage', 'admin'] as const
export type Capability = (typeof capabilities)[number]

export const isCapability = (s: string): s is Capability => (capabilities as readonly string[]).includes(s)

/** Who is calling: one organisation and a fixed set of capabilities. */
export type Principal = {
  kind: 'jwt' | 'api_key'
  /** The JWT subject or the API key id. */
  subject: string
  orgId: string
  capabilities: Capability[]
}
