// Every process-wide change this program makes to Baileys and its libraries, in one place.
//
// Why process-wide: Baileys 7.0.0-rc14 reads signature checking (`Curve.verify`) and the pinned WhatsApp root key
// (`WA_CERT_DETAILS.PUBLIC_KEY`) from objects it exports once per process, and libsignal writes to the global
// `console`. No socket option reaches any of the three, so the only place to change them is the shared object: every
// socket of every session in the process (and the simulator's test clients) sees the same verify, root and console.
// Hence: apply them once per process (`applyProcessPatches`, idempotent), never per session, and undo a root
// only in the reverse order it was trusted.
//
// 1. Strict signatures. `Curve.verify` wraps libsignal's `verifySignature` in try/catch and returns true unless it
//    throws. libsignal 6 only throws on malformed input (wrong key or signature length); for a well-formed but
//    wrong 64-byte signature it *returns* false, which Baileys ignores. So the noise certificate chain (leaf and
//    intermediate) and the ADV account signature are accepted whatever signs them. We replace `Curve.verify` on
//    Baileys' exported (mutable, single-instance) `Curve` object with a version that honours the boolean.
// 2. Quiet libsignal. It prints whole session records, private keys included, with console.* (research/baileys.md
//    §6.6; node_modules/libsignal/src/session_record.js ~273-301, session_cipher.js ~157-159). We do not patch its
//    files (that would not survive `npm install` or `bun build --compile`), so the console methods are wrapped:
//    a call `isSignalNoise` recognises goes to our logger at debug level as a one-line summary instead.
// 3. The trusted root. `trustRoot()` swaps `WA_CERT_DETAILS.PUBLIC_KEY`, which the noise handler reads on every
//    handshake, so the engine can be pointed at the simulator's test root (WAGATE_WA_ROOT_KEY).
import { Curve, WA_CERT_DETAILS } from '@whiskeysockets/baileys'
import * as curve from 'libsignal/src/curve.js'
import type { Logger } from '../log.ts'
import { isSignalNoise } from './signal-noise.ts'

const STRICT = Symbol.for('wagate.strictVerify')

type VerifyFn = typeof Curve.verify & { [STRICT]?: true }

/**
 * Applies patches 1 and 2 once per process; later calls only change where libsignal's suppressed output is logged.
 * Every entry point that opens Baileys sockets (the supervisor, the simulator) calls this before it does.
 */
export function applyProcessPatches(logger?: Logger): void {
  installStrictVerify()
  quietSignalLogs(logger)
}

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

const METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const
let quieted: (() => void) | null = null
let sink: Logger | null = null

/** Installs the console filter (idempotent); later calls only change where summaries go. Returns the undo. */
export function quietSignalLogs(logger?: Logger): () => void {
  if (logger) sink = logger
  if (quieted) return quieted
  const originals = METHODS.map((m) => [m, console[m]] as const)
  for (const [name, original] of originals) {
    console[name] = (...args: unknown[]) => {
      if (!isSignalNoise(args)) return original.apply(console, args)
      const text = typeof args[0] === 'string' ? args[0].slice(0, 80) : 'signal object'
      sink?.debug({ libsignal: text }, 'suppressed libsignal console output')
    }
  }
  quieted = () => {
    for (const [name, original] of originals) console[name] = original
    quieted = null
  }
  return quieted
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
