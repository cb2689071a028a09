// The store figures of /metrics on a PostgreSQL node (store/gauges.ts is SQLite's): read when Prometheus scrapes.
// They describe the whole deployment, so every node reports the same values; the node's own figures are the
// wagate_cluster_* series.
import type { SQL } from 'bun'
import type { Gauges } from '../metrics/registry.ts'

export function createPgGauges(sql: SQL): Gauges {
  return {
    sessionsByStatus: async () =>
      (await sql`SELECT status, count(*)::int AS n FROM sessions GROUP BY status`) as { status: string; n: number }[],
    sendQueueDepth: async () =>
      ((await sql`SELECT coalesce(sum(n), 0)::int AS n FROM outbound_queue_sizes`) as { n: number }[])[0]!.n,
    outboxBacklog: async () => {
      const [r]: { backlog: number | null; pending: number }[] = await sql`
        SELECT (SELECT coalesce(max(seq), 0) FROM events) - (SELECT min(hwm) FROM webhooks WHERE enabled) AS backlog,
               (SELECT count(*)::int FROM webhook_deliveries WHERE status IN ('pending', 'sending')) AS pending`
      return Math.max(0, Number(r?.backlog ?? 0)) + (r?.pending ?? 0)
    },
  }
}
