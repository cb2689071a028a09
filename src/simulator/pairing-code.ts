// The primary phone's half of the pairing-code key exchange (the mirror of Baileys' requestPairingCode and its
// link_code_companion_reg handler): ephemeral keys wrapped with PBKDF2(code) + AES-CTR, the key bundle unwrapped
// with HKDF + AES-GCM, and the ADV secret both sides derive.
import { createCipheriv, createDecipheriv, hkdfSync, pbkdf2, randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { sharedKey, type CurveKeyPair } from './pki.ts'

const pbkdf2Async = promisify(pbkdf2)

/** WhatsApp's code key: PBKDF2-SHA256, 2<<16 iterations, 32 bytes. */
const codeKey = (code: string, salt: Uint8Array) => pbkdf2Async(Buffer.from(code), salt, 2 << 16, 32, 'sha256')

function hkdf(ikm: Uint8Array, len: number, info: string, salt: Uint8Array = Buffer.alloc(0)): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from(info), len))
}

/** salt(32) ‖ iv(16) ‖ AES-CTR(pub) under the code key. */
export async function wrapWithCode(code: string, pub: Buffer): Promise<Buffer> {
  const salt = randomBytes(32)
  const iv = randomBytes(16)
  const c = createCipheriv('aes-256-ctr', await codeKey(code, salt), iv)
  return Buffer.concat([salt, iv, c.update(pub), c.final()])
}

export async function unwrapWithCode(code: string, wrapped: Buffer): Promise<Buffer> {
  const key = await codeKey(code, wrapped.subarray(0, 32))
  const d = createDecipheriv('aes-256-ctr', key, wrapped.subarray(32, 48))
  return Buffer.concat([d.update(wrapped.subarray(48, 80)), d.final()])
}

/**
 * Opens the companion's key bundle (salt(32) ‖ iv(12) ‖ AES-GCM(companion identity ‖ primary identity ‖ random))
 * and derives the ADV secret. Throws when the code was wrong (the GCM tag does not verify).
 */
export async function advSecretFromFinish(input: {
  code: string
  wrappedCompanionEphemeral: Buffer
  primaryEphemeral: CurveKeyPair
  primaryIdentityPriv: Buffer
  companionIdentity: Buffer
  wrappedBundle: Buffer
}): Promise<Buffer> {
  const companionEph = await unwrapWithCode(input.code, input.wrappedCompanionEphemeral)
  const companionShared = sharedKey(input.primaryEphemeral.priv, companionEph)
  const b = input.wrappedBundle
  const key = hkdf(companionShared, 32, 'link_code_pairing_key_bundle_encryption_key', b.subarray(0, 32))
  const body = b.subarray(44)
  const d = createDecipheriv('aes-256-gcm', key, b.subarray(32, 44))
  d.setAuthTag(body.subarray(body.length - 16))
  const plain = Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()])
  const random = plain.subarray(64, 96)
  const identityShared = sharedKey(input.primaryIdentityPriv, input.companionIdentity)
  return hkdf(Buffer.concat([companionShared, identityShared, random]), 32, 'adv_secret')
}
