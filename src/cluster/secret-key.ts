// Every node of a PostgreSQL deployment must hold the same secret key (it opens the auth state and webhook
// secrets all nodes share). The database keeps a fingerprint of it, never the key: HMAC-SHA256 keyed by the key
// over a fixed label, which reveals nothing about the key. The first node records it; a node whose key gives
// another fingerprint refuses to start before it writes anything.
import type { SQL } from 'bun'
import { createHmac, timingSafeEqual } from 'node:crypto'

const KEY = 'secret_key_fingerprint'

export const secretKeyFingerprint = (secretKey: Uint8Array) =>
  'v1:' + createHmac('sha256', secretKey).update('wagate secret key fingerprint').digest('hex')

export class SecretKeyMismatch extends Error {
  constructor() {
    super(
      "this node's secret key differs from the one the database was set up with: every node must use the same " +
        'key (WAGATE_SECRET_KEY or DATA_DIR/secret.key of the first node); nothing was written',
    )
    this.name = 'SecretKeyMismatch'
  }
}

/**
 * Records the key's fingerprint if the database has none yet, else checks it (constant time).
 * Returns `recorded` or `matched`; throws SecretKeyMismatch when the keys differ (the database is left as it was).
 */
export async function claimSecretKey(sql: SQL, secretKey: Uint8Array): Promise<'recorded' | 'matched'> {
  const mine = secretKeyFingerprint(secretKey)
  const inserted: unknown[] = await sql`
    INSERT INTO cluster_meta (key, value) VALUES (${KEY}, ${mine}) ON CONFLICT (key) DO NOTHING RETURNING key`
  if (inserted.length) return 'recorded'
  const [row]: { value: string }[] = await sql`SELECT value FROM cluster_meta WHERE key = ${KEY}`
  const a = Buffer.from(mine)
  const b = Buffer.from(row?.value ?? '')
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new SecretKeyMismatch()
  return 'matched'
}
