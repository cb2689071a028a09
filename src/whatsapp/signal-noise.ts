// Recognises libsignal's console output, which prints whole session records, private keys included: a call whose
// text starts with one of libsignal's messages (e.g. `console.info("Closing session:", session)`), or that carries
// an object shaped like a Signal session (ratchet/chain keys). process-patches.ts wraps the console with it.

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
