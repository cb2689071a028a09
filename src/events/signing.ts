// Standard Webhooks signatures (https://www.standardwebhooks.com/): the MAC covers id, timestamp and body,
// so a captured request cannot be replayed with a new timestamp.
import { signingKey } from './secrets.ts'

/** Past this many secrets the keyed hashers start over (a bound on memory: a miss only costs one key setup). */
const MAX_KEYED = 1024
const keyed = new Map<string, Bun.CryptoHasher>()

/**
 * An HMAC-SHA256 hasher already keyed with `secret`, to copy per message: the secret is decoded and the key's inner
 * and outer blocks hashed once per secret instead of once per delivery, and Bun's hasher costs about half of
 * node:crypto's createHmac per message.
 */
function hasherOf(secret: string): Bun.CryptoHasher {
  let h = keyed.get(secret)
  if (!h) {
    if (keyed.size >= MAX_KEYED) keyed.clear()
    h = new Bun.CryptoHasher('sha256', signingKey(secret))
    keyed.set(secret, h)
  }
  return h
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under one secret. */
export function sign(secret: string, id: string, timestamp: number, body: string): string {
  return 'v1,' + hasherOf(secret).copy().update(`${id}.${timestamp}.${body}`).digest('base64')
}

/** The `webhook-signature` value: one signature per secret (several during a rotation's grace period). */
export function signatures(secrets: readonly string[], id: string, timestamp: number, body: string): string {
  let out = secrets.length ? sign(secrets[0]!, id, timestamp, body) : ''
  for (let i = 1; i < secrets.length; i++) out += ' ' + sign(secrets[i]!, id, timestamp, body)
  return out
}

/** The three headers of a delivery, `timestamp` in seconds. */
export function signatureHeaders(secrets: readonly string[], id: string, body: string, now = Date.now()) {
  const timestamp = Math.floor(now / 1000)
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatures(secrets, id, timestamp, body),
  }
}
