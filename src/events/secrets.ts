// Webhook signing secrets: generated as `whsec_<base64>`; the store keeps them AES-256-GCM encrypted.
import { randomBytes } from 'node:crypto'

const PREFIX = 'whsec_'

/** A new Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export const generateSecret = () => PREFIX + randomBytes(32).toString('base64')

/** The HMAC key of a secret: the base64-decoded part after `whsec_`. */
export const signingKey = (secret: string) => Buffer.from(secret.slice(PREFIX.length), 'base64')
