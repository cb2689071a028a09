// Which WhatsApp root key the engine trusts, and whether signatures are really checked.
//
// Baileys 7.0.0-rc14 bug: `Curve.verify` wraps libsignal's `verifySignature` in try/catch and returns true unless it
// throws. libsignal 6 only throws on malformed input (wrong key or signature length); for a well-formed but wrong
// 64-byte signature it *returns* false, which Baileys ignores. So the noise certificate chain (leaf and intermediate)
// and the ADV account signature are accepted whatever signs them. `installStrictVerify()` replaces `Curve.verify` on
// Baileys' exported (mutable, single-instance) `Curve` object with a version that honours the boolean.
//
// `trustRoot()` swaps `WA_CERT_DETAILS.PUBLIC_KEY`, which the noise handler reads on every handshake, so the engine
// can be pointed at the simulator's test root (WAGATE_WA_ROOT_KEY). Both changes are process-global.
import { Curve, WA_CERT_DETAILS } from '@whiskeysockets/baileys'
import * as curve from 'libsignal/src/curve.js'

const STRICT = Symbol.for('wagate.strictVerify')

type VerifyFn = typeof Curve.verify & { [STRICT]?: true }

/** Adds the 0x05 type prefix libsignal expects on 32-byte Curve25519 public keys. */
function signalKey(pub: Uint8Array): Uint8Array {
  if (pub.length === 33) return pub
  const out = Buffer.alloc(33)
  out[0] = 5
  out.set(pub, 1)
  return out
}

/** Makes Baileys' `Curve.verify` return false for a bad signature. Idempotent. */
export function installStrictVerify(): void {
  if ((Curve.verify as VerifyFn)[STRICT]) return
  const strict: VerifyFn = (pubKey, message, signature) => {
    try {
      return curve.verifySignature(signalKey(pubKey), message, signature) === true
    } catch {
      return false
    }
  }
  strict[STRICT] = true
  Curve.verify = strict
}

/** Trusts `publicKey` (32 bytes, or 33 with the 0x05 prefix) as the WhatsApp root; returns a function that undoes it. */
export function trustRoot(publicKey: Buffer): () => void {
  const key = publicKey.length === 33 ? publicKey.subarray(1) : publicKey
  if (key.length !== 32) throw new Error(`root public key must be 32 bytes, got ${publicKey.length}`)
  const previous = WA_CERT_DETAILS.PUBLIC_KEY
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(key)
  return () => {
    WA_CERT_DETAILS.PUBLIC_KEY = previous
  }
}
