// API key minting and verification. A key is `wgk_<prefix>_<secret>`: the prefix finds the row,
// the secret (256 random bits) is stored only as its SHA-256 and compared in constant time.
import { randomBytes, timingSafeEqual } from 'node:crypto'

export type MintedKey = { key: string; prefix: string; hash: string }

const hashOf = (secret: string) => new Bun.CryptoHasher('sha256').update(secret).digest('hex')

export function mintApiKey(): MintedKey {
  const prefix = randomBytes(6).toString('hex')
  const secret = randomBytes(32).toString('base64url')
  return { key: `wgk_${prefix}_${secret}`, prefix, hash: hashOf(secret) }
}

/** Splits a presented key into its prefix and secret; null when it is not shaped like one of ours. */
export function parseApiKey(token: string): { prefix: string; secret: string } | null {
  const m = /^wgk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(token)
  return m ? { prefix: m[1]!, secret: m[2]! } : null
}

/** Checked on every API request: one-shot digest bytes against the stored hex (a third of a hex round trip's cost). */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Bun.CryptoHasher.hash('sha256', secret) as Uint8Array
  const b = Buffer.from(storedHash, 'hex')
  return a.length === b.length && timingSafeEqual(a, b)
}
