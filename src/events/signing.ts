// Standard Webhooks signatures (https://www.standardwebhooks.com/): the MAC covers id, timestamp and body,
// so a captured request cannot be replayed with a new timestamp.
import { createHmac } from 'node:crypto'
import { signingKey } from './secrets.ts'

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under one secret. */
export function sign(secret: string, id: string, timestamp: number, body: string): string {
  return 'v1,' + createHmac('sha256', signingKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')
}

/** The three headers of a delivery; several secrets (during a rotation's grace period) give several signatures. */
export function signatureHeaders(secrets: readonly string[], id: string, body: string, now = Date.now()) {
  const timestamp = Math.floor(now / 1000)
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((s) => sign(s, id, timestamp, body)).join(' '),
  }
}
