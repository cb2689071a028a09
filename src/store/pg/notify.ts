// Wake-ups across nodes: a PostgreSQL NOTIFY channel every node LISTENs on. A transaction that changes what
// deliverers read queues a NOTIFY (PostgreSQL sends it at commit, drops it on rollback); each node's listeners
// then run locally. Bun.SQL keeps the LISTEN on one dedicated connection and re-subscribes after a reconnect.
import type { SQL } from 'bun'

/** Committed events (payload empty: receivers re-read the outbox). */
export const EVENTS_CHANNEL = 'wagate_events'
/** Webhooks created, changed or deleted (dispatchers reload their targets). */
export const WEBHOOKS_CHANNEL = 'wagate_webhooks'

export type Wakeups = {
  /** Runs the local listeners now (this node's own commits, without waiting for the NOTIFY's round trip). */
  wake(): void
  /** NOTIFY outside a transaction (every node, this one included), then the local listeners. */
  notify(): Promise<void>
  /** Registers a listener; the first one starts the LISTEN, the last one gone ends it. */
  on(listener: () => void): () => undefined
  /** Resolves once the LISTEN is acknowledged (or at once when nothing listens). */
  ready(): Promise<void>
}

export function createWakeups(sql: SQL, channel: string, onError?: (err: unknown) => void): Wakeups {
  const listeners = new Set<() => void>()
  let subscription: Promise<SQL.ListenSubscription | null> | null = null
  const wake = () => {
    for (const l of listeners) l()
  }
  const start = () => {
    subscription = sql.listen(channel, wake, wake).catch((err: unknown) => {
      onError?.(err)
      return null
    })
  }
  const stop = () => {
    const s = subscription
    subscription = null
    void s?.then((sub) => sub?.unlisten()).catch((err: unknown) => onError?.(err))
  }
  return {
    wake,
    async notify() {
      await sql.notify(channel)
      wake()
    },
    on(listener) {
      listeners.add(listener)
      if (!subscription) start()
      return () => {
        listeners.delete(listener)
        if (!listeners.size) stop()
        return undefined
      }
    },
    async ready() {
      await subscription
    },
  }
}
