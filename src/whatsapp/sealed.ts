// AES-256-GCM sealing of auth-state values; the row's address is authenticated so rows cannot be swapped.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

const IV = 12
const TAG = 16

export type Sealer = { seal(plain: Buffer, aad: string): Buffer; open(sealed: Uint8Array, aad: string): Buffer }

/** Layout: iv (12) | tag (16) | ciphertext. `aad` is `session/type/id`. */
export function createSealer(key: Buffer): Sealer {
  if (key.length !== 32) throw new Error('auth-state key must be 32 bytes')
  return {
    seal(plain, aad) {
      const iv = randomBytes(IV)
      const c = createCipheriv('aes-256-gcm', key, iv)
      c.setAAD(Buffer.from(aad))
      const body = Buffer.concat([c.update(plain), c.final()])
      return Buffer.concat([iv, c.getAuthTag(), body])
    },
    open(sealed, aad) {
      const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength)
      const d = createDecipheriv('aes-256-gcm', key, buf.subarray(0, IV))
      d.setAAD(Buffer.from(aad))
      d.setAuthTag(buf.subarray(IV, IV + TAG))
      return Buffer.concat([d.update(buf.subarray(IV + TAG)), d.final()])
    },
  }
}
