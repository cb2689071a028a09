// Point-in-time figures for /metrics, read when Prometheus scrapes (never on a hot path).
import type { Db } from './db.ts'

export type StoreGauges = ReturnType<typeof createStoreGauges>

export function createStoreGauges(db: Db) {
  const { sqlite } = db
  const sessionsByStatus = sqlite.query<{ status: string; n: number }, []>(
    'SELECT status, count(*) AS n FROM sessions GROUP BY status',
  )
  const queueDepth = sqlite.query<{ n: number }, []>('SELECT coalesce(sum(n), 0) AS n FROM outbound_queue_sizes')
  // The slowest enabled webhook's distance from the outbox head: events not yet fanned out to it.
  const backlog = sqlite.query<{ n: number | null }, []>(
    'SELECT (SELECT coalesce(max(seq), 0) FROM events) - min(hwm) AS n FROM webhooks WHERE enabled = 1',
  )
  const pendingDeliveries = sqlite.query<{ n: number }, []>(
    "SELECT count(*) AS n FROM webhook_deliveries WHERE status IN ('pending', 'sending')",
  )
  return {
    sessionsByStatus: () => sessionsByStatus.all(),
    sendQueueDepth: () => queueDepth.get()!.n,
    /** Events not yet fanned out to the slowest enabled webhook, plus deliveries waiting to be sent. */
    outboxBacklog: () => Math.max(0, backlog.get()?.n ?? 0) + pendingDeliveries.get()!.n,
  }
}
