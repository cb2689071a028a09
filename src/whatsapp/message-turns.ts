// Baileys handles the messages of one socket one at a time, under its message mutex: decrypt, our receipt hook
// (which waits for the commit), the receipt, the upsert. With one linked session nothing else shares a commit, so
// every message paid a whole SQLite commit of its own. `messageTurns` (given to Baileys through the option that
// scripts/patch-baileys.mjs adds) wraps that mutex for handleMessage so the hook can hand the mutex on once its
// write is queued: the next message decrypts while this one's commit is pending, and both commit in one transaction.
//
// What keeps this safe is on the store's side, not here: the writes of one socket commit in the order the hooks
// queued them (ingest-group.ts), each message with its own key writes, and a key write whose decrypt read a
// ratchet step that then failed to commit is refused (auth-state.ts `messageKeys`). This message's receipt still
// waits for its own hook, and its upsert runs after it as before; the outer call still waits for the whole body.

/** Baileys' mutex as its handleMessage uses it (Utils/make-mutex.js). */
export type BaileysMutex = { mutex<T>(code: () => Promise<T>): Promise<T> }

/**
 * `perTurn`: hand-overs in one turn of the event loop. Messages handed on decrypt in one run of microtasks, with no
 * I/O in between; past this many, a message keeps the mutex until its commit (the next `setImmediate`), so the event
 * loop serves requests between runs and the receipts of a long backlog leave as it goes.
 */
export function createMessageTurns(perTurn = 32) {
  const wrapped = new WeakMap<BaileysMutex, BaileysMutex>()
  /** Ends the exclusive part of the task that holds the mutex now (at most one does). */
  let current: (() => void) | null = null
  let handed = 0
  return {
    /** For Baileys' `messageTurns` option: its mutex, whose holder may hand it on early (`handOver`). */
    wrap(m: BaileysMutex): BaileysMutex {
      let w = wrapped.get(m)
      if (!w)
        wrapped.set(
          m,
          (w = {
            mutex<T>(code: () => Promise<T>): Promise<T> {
              let body!: Promise<T>
              return m
                .mutex(() => {
                  let mine!: () => void
                  const handedOn = new Promise<void>((resolve) => (current = mine = resolve))
                  body = code()
                  const over = () => void (current === mine && (current = null))
                  return Promise.race([body, handedOn]).finally(over)
                })
                .then(() => body)
            },
          }),
        )
      return w
    },
    /**
     * Lets the next task in while the current one goes on (called by the receipt hook once its write is queued).
     * Outside a task, a second time, or past `perTurn` in this turn, it does nothing.
     */
    handOver(): void {
      if (!current || handed >= perTurn) return
      if (handed++ === 0) setImmediate(() => (handed = 0))
      const release = current
      current = null
      release()
    },
  }
}
