// Keeps libsignal's console output out of stdout: it prints whole session records, private keys included.
//
// libsignal (a Baileys dependency) logs with console.* directly, e.g. `console.info("Closing session:", session)`
// in node_modules/libsignal/src/session_record.js (lines ~273, 281, 301) and session_cipher.js (~157-159);
// see research/baileys.md §6.6. There is no logger option to pass, and we do not patch files (that would not
// survive `npm install` or `bun build --compile`). So we wrap the global console methods once: a call whose
// text starts with one of libsignal's messages, or that carries an object shaped like a Signal session
// (ratchet/chain keys), never reaches the real console; a one-line summary without the objects goes to our
// logger at debug level instead.
import type { Logger } from '../log.ts'

const PREFIXES = [
  'Closing session',
  'Opening session',
  'Removing old closed session',
  'Session already closed',
  'Session already open',
  'Migrating session',
  'Closing open session',
  'Closing stale open session',
  'Decrypted message with closed session',
  'Failed to decrypt message with any known session',
  'Session error',
  'V1 session storage migration error',
  'Unhandled bucket type',
  'WARNING: Expected pubkey',
]

const SECRET_FIELDS = ['currentRatchet', 'indexInfo', 'ephemeralKeyPair', 'privKey', 'rootKey', 'chainKey']

function looksSecret(arg: unknown, depth = 0): boolean {
  if (!arg || typeof arg !== 'object' || depth > 2) return false
  if (SECRET_FIELDS.some((f) => f in (arg as object))) return true
  return Object.values(arg as object).some((v) => looksSecret(v, depth + 1))
}

/** True when a console call comes from libsignal or carries key material; exported for tests. */
export function isSignalNoise(args: unknown[]): boolean {
  const first = args[0]
  if (typeof first === 'string' && PREFIXES.some((p) => first.startsWith(p))) return true
  return args.some((a) => {
    try {
      return looksSecret(a)
    } catch {
      return false
    }
  })
}

const METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const
let installed: (() => void) | null = null
let sink: Logger | null = null

/** Installs the console filter (idempotent); later calls only change where summaries go. Returns the undo. */
export function quietSignalLogs(logger?: Logger): () => void {
  if (logger) sink = logger
  if (installed) return installed
  const originals = METHODS.map((m) => [m, console[m]] as const)
  for (const [name, original] of originals) {
    console[name] = (...args: unknown[]) => {
      if (!isSignalNoise(args)) return original.apply(console, args)
      const text = typeof args[0] === 'string' ? args[0].slice(0, 80) : 'signal object'
      sink?.debug({ libsignal: text }, 'suppressed libsignal console output')
    }
  }
  installed = () => {
    for (const [name, original] of originals) console[name] = original
    installed = null
  }
  return installed
}
