// Bounds the receiving chains kept in a serialized Signal session record. libsignal (the library Baileys uses)
// closes a contact's receiving chain at each turn of the conversation — every time the contact answers after we
// wrote — but never deletes it (lib/session_cipher.js maybeStepRatchet), so a chatty contact's record grows with
// every turn, and each message pays for the whole record twice: decoded, then encoded and sealed again
// (scripts/bench/soak.ts: CPU per inbound message 1.15 → 2.58 ms in 3 minutes). A closed chain only keeps the
// keys of messages it skipped, for late out-of-order delivery. The official Signal libraries keep 5 receiver
// chains (libsignal-protocol-java SessionState, MAX_RECEIVER_CHAINS); so do we: the newest closed ones survive.

/** Closed receiving chains kept per session entry, newest first; open chains are always kept. */
export const CLOSED_CHAINS_KEPT = 5
const RECEIVING = 2

type Chain = { chainType?: number; chainKey?: { key?: unknown } }
type Entry = { _chains?: Record<string, Chain> }
type Record_ = { _sessions?: Record<string, Entry> }

/** Drops all but the newest closed receiving chains of each session entry, in place; returns `record`. */
export function boundChains<T>(record: T): T {
  const sessions = (record as Record_ | null)?._sessions
  if (!sessions || typeof sessions !== 'object') return record
  for (const entry of Object.values(sessions)) {
    const chains = entry?._chains
    if (!chains) continue
    // Insertion order is creation order: libsignal adds a chain at each ratchet step and serializes in key order.
    const closed = Object.keys(chains).filter((k) => chains[k]!.chainType === RECEIVING && !chains[k]!.chainKey?.key)
    for (const k of closed.slice(0, Math.max(0, closed.length - CLOSED_CHAINS_KEPT))) delete chains[k]
  }
  return record
}
