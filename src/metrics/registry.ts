// The gateway's Prometheus metrics: counters and histograms fed by the event store, the webhook dispatcher and
// the HTTP layer as things happen, and gauges read from the store when Prometheus scrapes. prom-client keeps the
// registry and writes the text format; the process figures (CPU, RSS, event-loop lag) are its default metrics.
// The parts used, not prom-client's index: that also evaluates Summary (tdigest, bintrees), the Pushgateway
// (node:http, https, zlib) and the cluster aggregator at every start, for nothing (see prom-client-lib.d.ts).
import Registry from 'prom-client/lib/registry'
import Counter from 'prom-client/lib/counter'
import Gauge from 'prom-client/lib/gauge'
import collectDefaultMetrics from 'prom-client/lib/defaultMetrics'
import { FastHistogram, type Observe } from './histogram.ts'
import type { StoreGauges } from '../store/gauges.ts'
import type { DeliveryStatus } from '../store/deliveries.ts'
import type { TransactionObserver } from '../store/events.ts'
import type { CommandStats } from '../cluster/commands.ts'
import type { LeaseStats } from '../cluster/leases.ts'

export type Metrics = ReturnType<typeof createMetrics>

/** What a delivery attempt's status means for an operator. */
const outcomeOf: Record<DeliveryStatus, string> = {
  succeeded: 'succeeded',
  pending: 'retrying',
  failed: 'failed',
  sending: 'sending',
}

const messageCounters = {
  'message.received': 'received',
  'message.sent': 'sent',
  'message.undecryptable': 'undecryptable',
} as const

/** A cluster node's figures (serve --database-url): its id, the sessions it holds, its lease and command counters. */
export type ClusterSource = {
  nodeId: string
  owned(): number
  stats: LeaseStats
  /** The command bus's counters (calls routed to the node running a session, and how they ended). */
  commands: CommandStats
}

/** The store figures, read at scrape time: synchronous on SQLite, promises on PostgreSQL. */
export type Gauges = {
  [K in keyof StoreGauges]: () => ReturnType<StoreGauges[K]> | Promise<ReturnType<StoreGauges[K]>>
}

export function createMetrics(sources: {
  gauges: Gauges
  /** Connected live-stream clients. */
  sseClients: () => number
  cluster?: ClusterSource | undefined
}) {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 })
  const registers = [registry]

  const messages = new Counter({
    name: 'wagate_messages_total',
    help: 'Messages stored, by direction: received (from others), sent (from this number), undecryptable',
    labelNames: ['direction'],
    registers,
  })
  for (const d of Object.values(messageCounters)) messages.inc({ direction: d }, 0)
  const events = new Counter({
    name: 'wagate_events_total',
    help: 'Events appended to the outbox, by type',
    labelNames: ['type'],
    registers,
  })
  const commit = new FastHistogram(
    'wagate_ingest_commit_seconds',
    'Duration of one state-change transaction (stored copy + outbox events), inbound ingest included',
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    [],
    registers,
  ).labels()
  // Tallied per outcome and added when collected, as the request counter below: one per delivery otherwise.
  const attempts = new Map<string, number>()
  new Counter({
    name: 'wagate_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome (succeeded, retrying, failed)',
    labelNames: ['outcome'],
    registers,
    collect() {
      for (const [outcome, n] of attempts)
        if (n) {
          this.inc({ outcome }, n)
          attempts.set(outcome, 0)
        }
    },
  })
  const lag = new FastHistogram(
    'wagate_webhook_delivery_lag_seconds',
    'From an event being stored to its webhook delivery succeeding',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
    [],
    registers,
  ).labels()
  // Requests are tallied in a plain map per label set and added to the counter when it is collected (a scrape):
  // prom-client checks and hashes the labels on every inc, about a tenth of a microsecond a request here. Each tally
  // holds its label set's latency observe, so a request costs one map lookup.
  type Tally = { labels: { route: string; method: string; status: string }; n: number; observe: Observe }
  const tallies = new Map<string, Tally>()
  new Counter({
    name: 'wagate_http_requests_total',
    help: 'HTTP requests by route template, method and status',
    labelNames: ['route', 'method', 'status'],
    registers,
    collect() {
      for (const t of tallies.values())
        if (t.n) {
          this.inc(t.labels, t.n)
          t.n = 0
        }
    },
  })
  const duration = new FastHistogram(
    'wagate_http_request_duration_seconds',
    'HTTP request latency by route template and method',
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    ['route', 'method'],
    registers,
  )
  new Gauge({
    name: 'wagate_sessions',
    help: 'Sessions by status',
    labelNames: ['status'],
    registers,
    async collect() {
      const rows = await sources.gauges.sessionsByStatus()
      this.reset()
      for (const s of ['stopped', 'starting', 'qr', 'pairing', 'connected', 'reconnecting', 'logged_out', 'failed'])
        this.set({ status: s }, 0)
      for (const r of rows) this.set({ status: r.status }, r.n)
    },
  })
  new Gauge({
    name: 'wagate_outbox_backlog',
    help: 'Events not yet fanned out to the slowest enabled webhook plus deliveries waiting to be sent',
    registers,
    async collect() {
      this.set(await sources.gauges.outboxBacklog())
    },
  })
  new Gauge({
    name: 'wagate_send_queue_depth',
    help: 'Accepted outbound operations not yet handed to WhatsApp',
    registers,
    async collect() {
      this.set(await sources.gauges.sendQueueDepth())
    },
  })
  new Gauge({
    name: 'wagate_sse_clients',
    help: 'Connected live-stream (SSE) clients',
    registers,
    collect() {
      this.set(sources.sseClients())
    },
  })

  if (sources.cluster) clusterMetrics(sources.cluster, registers)

  const observeTransaction: TransactionObserver = ({ ms, types }) => {
    commit(ms / 1000)
    for (const type of types) {
      events.inc({ type })
      const direction = messageCounters[type as keyof typeof messageCounters]
      if (direction) messages.inc({ direction })
    }
  }

  return {
    registry,
    contentType: registry.contentType,
    /** The exposition text. */
    text: () => registry.metrics(),
    observeTransaction,
    observeDelivery({ status, lagMs }: { status: DeliveryStatus; lagMs: number | null }) {
      const outcome = outcomeOf[status]
      attempts.set(outcome, (attempts.get(outcome) ?? 0) + 1)
      if (lagMs !== null) lag(lagMs / 1000)
    },
    observeRequest(route: string, method: string, status: number, seconds: number) {
      const key = `${status} ${method} ${route}`
      let tally = tallies.get(key)
      if (!tally) {
        const labels = { route, method, status: String(status) }
        tallies.set(key, (tally = { labels, n: 0, observe: duration.labels(route, method) }))
      }
      tally.n++
      tally.observe(seconds)
    },
  }
}

/**
 * Lease and command bus counters of this node, read from the lease manager and the bus when Prometheus scrapes;
 * every series names the node.
 */
function clusterMetrics(c: ClusterSource, registers: Registry[]) {
  const node = { node_id: c.nodeId }
  new Gauge({
    name: 'wagate_cluster_node_info',
    help: 'This node of the cluster (always 1; the node id as a label)',
    labelNames: ['node_id'],
    registers,
  }).set(node, 1)
  new Gauge({
    name: 'wagate_cluster_sessions_owned',
    help: 'Sessions whose lease this node holds (their sockets run here)',
    labelNames: ['node_id'],
    registers,
    collect() {
      this.set(node, c.owned())
    },
  })
  const leaseCounters: [keyof LeaseStats, string, string][] = [
    ['renewals', 'wagate_cluster_lease_renewals_total', 'Lease rounds whose renewal the database accepted'],
    ['renewFailures', 'wagate_cluster_lease_renew_failures_total', 'Lease rounds that failed (database unreachable)'],
    ['acquired', 'wagate_cluster_leases_acquired_total', 'Session leases this node took (free or expired)'],
    [
      'released',
      'wagate_cluster_leases_released_total',
      'Session leases this node handed over (rebalance, stop, drain)',
    ],
    [
      'lost',
      'wagate_cluster_leases_lost_total',
      'Session leases this node lost (taken over, or its renew deadline passed)',
    ],
  ]
  const commandCounters: [keyof CommandStats, string, string][] = [
    ['sent', 'wagate_cluster_commands_sent_total', 'API calls this node routed to the node running the session'],
    ['served', 'wagate_cluster_commands_served_total', 'Routed calls this node ran for another node'],
    [
      'unclaimed',
      'wagate_cluster_commands_unclaimed_total',
      'Routed calls the running node did not take in time: answered 503 unavailable, not carried out',
    ],
    [
      'timeouts',
      'wagate_cluster_commands_timeouts_total',
      'Routed calls taken but not answered in time: answered 503 unavailable, they may have run',
    ],
  ]
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      labelNames: ['node_id'],
      registers,
      collect() {
        this.reset()
        this.inc(node, read())
      },
    })
  for (const [key, name, help] of leaseCounters) counter(name, help, () => c.stats[key])
  for (const [key, name, help] of commandCounters) counter(name, help, () => c.commands[key])
}
