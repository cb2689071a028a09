// The one AES-256-GCM sealer for secrets at rest: Baileys auth-state values and webhook signing secrets. The
// associated data names the purpose and the row a value belongs to, so a sealed value copied into another row
// (or another kind of row) does not open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

const IV = 12
const TAG = 16
const TEXT_PREFIX = 'v2.'

export type Sealer = {
  /** Layout: iv (12) | tag (16) | ciphertext. */
  seal(plain: Uint8Array | string, aad: string): Buffer
  /** Throws when the value was sealed under another key or another `aad`, or was altered. */
  open(sealed: Uint8Array, aad: string): Buffer
  /** The sealed bytes as text for a TEXT column: `v2.` + base64url. */
  sealText(plain: string, aad: string): string
  openText(sealed: string, aad: string): string
}

/** `key`: the data dir's 32-byte secret key. `aad` examples: `ses_1/pre-key/5`, `webhook-secret:wh_01…`. */
export function createSealer(key: Uint8Array): Sealer {
  if (key.length !== 32) throw new Error('the sealing key must be 32 bytes')
  const seal = (plain: Uint8Array | string, aad: string) => {
    const iv = randomBytes(IV)
    const c = createCipheriv('aes-256-gcm', key, iv)
    c.setAAD(Buffer.from(aad))
    const body = Buffer.concat([c.update(typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain), c.final()])
    return Buffer.concat([iv, c.getAuthTag(), body])
  }
  const open = (sealed: Uint8Array, aad: string) => {
    const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength)
    if (buf.length < IV + TAG) throw new Error('sealed value too short')
    const d = createDecipheriv('aes-256-gcm', key, buf.subarray(0, IV))
    d.setAAD(Buffer.from(aad))
    d.setAuthTag(buf.subarray(IV, IV + TAG))
    return Buffer.concat([d.update(buf.subarray(IV + TAG)), d.final()])
  }
  return {
    seal,
    open,
    sealText: (plain, aad) => TEXT_PREFIX + seal(plain, aad).toString('base64url'),
    openText(sealed, aad) {
      if (!sealed.startsWith(TEXT_PREFIX)) throw new Error('not a v2 sealed value')
      return open(Buffer.from(sealed.slice(TEXT_PREFIX.length), 'base64url'), aad).toString('utf8')
    },
  }
}
