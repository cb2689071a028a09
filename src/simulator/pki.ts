// The simulator's own test PKI: root → intermediate → leaf, each signature real, so the chain still verifies when the
// engine checks signatures strictly (see src/whatsapp/process-patches.ts). The leaf certifies the server's Noise static key,
// which is what real WhatsApp does even though Baileys rc14 does not check that binding.
import { proto } from '@whiskeysockets/baileys'
import * as curve from 'libsignal/src/curve.js'

export interface CurveKeyPair {
  /** 32 bytes, no 0x05 prefix (the WhatsApp wire form). */
  pub: Buffer
  priv: Buffer
}

export function generateKeyPair(): CurveKeyPair {
  const { pubKey, privKey } = curve.generateKeyPair()
  return { pub: Buffer.from(pubKey).subarray(1), priv: Buffer.from(privKey) }
}

/** 33-byte libsignal form of a 32-byte public key. */
export function prefixed(pub: Uint8Array): Buffer {
  if (pub.length === 33) return Buffer.from(pub)
  const out = Buffer.alloc(33)
  out[0] = 5
  out.set(pub, 1)
  return out
}

export function sign(priv: Uint8Array, message: Uint8Array): Buffer {
  return Buffer.from(curve.calculateSignature(priv, message))
}

/** Strict check (libsignal returns false for a bad signature, throws for a malformed one). */
export function verify(pub: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return curve.verifySignature(prefixed(pub), message, signature) === true
  } catch {
    return false
  }
}

export function sharedKey(priv: Uint8Array, pub: Uint8Array): Buffer {
  return Buffer.from(curve.calculateAgreement(prefixed(pub), priv))
}

export interface Pki {
  root: CurveKeyPair
  /** The Noise static key pair the leaf certifies. */
  noiseStatic: CurveKeyPair
  /** Encoded proto.CertChain sent in every ServerHello. */
  certChain: Buffer
}

const YEAR_S = 365 * 24 * 3600

export function createPki(): Pki {
  const root = generateKeyPair()
  const intermediate = generateKeyPair()
  const noiseStatic = generateKeyPair()
  const now = Math.floor(Date.now() / 1000)
  // issuerSerial 0 is what Baileys compares against WA_CERT_DETAILS.SERIAL.
  const intermediateDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 1,
    issuerSerial: 0,
    key: intermediate.pub,
    notBefore: now - 3600,
    notAfter: now + 10 * YEAR_S,
  }).finish()
  const leafDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 2,
    issuerSerial: 1,
    key: noiseStatic.pub,
    notBefore: now - 3600,
    notAfter: now + YEAR_S,
  }).finish()
  const certChain = Buffer.from(
    proto.CertChain.encode({
      intermediate: { details: intermediateDetails, signature: sign(root.priv, intermediateDetails) },
      leaf: { details: leafDetails, signature: sign(intermediate.priv, leafDetails) },
    }).finish(),
  )
  return { root, noiseStatic, certChain }
}
