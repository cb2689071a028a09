// A gateway node of a PostgreSQL deployment: its lease manager drives the session engine. Acquiring a lease opens
// the session's socket from the auth state in the database (a linked session needs no QR), handing one over closes
// it gracefully before the lease is released, losing one (taken, or the renew deadline passed) ends it at once.
// Sessions are not restored at boot: the leases say which run here. SIGTERM drains: every socket is closed and
// its lease released, so the other nodes take the sessions at their next tick instead of after the lease TTL.
import type { SQL } from 'bun'
import type { Logger } from '../log.ts'
import type { SessionEngine } from '../sessions/engine.ts'
import type { LeaseDriven } from '../sessions/supervisor.ts'
import type { LeaseRef } from './fencing.ts'
import { joinCluster } from './join.ts'
import { LeaseManager, newNodeId, type LeaseStats, type LeaseTimings } from './leases.ts'

export type NodeOptions = {
  sql: SQL
  secretKey: Uint8Array
  nodeId?: string | undefined
  timings: LeaseTimings
  logger: Logger
}

export type ClusterNode = {
  readonly nodeId: string
  readonly stats: LeaseStats
  /** The fencing reference of a session this node holds (pgingest's `leaseOf`); undefined when it holds none. */
  leaseOf(sessionId: string): LeaseRef | undefined
  /** Sessions whose lease this node holds now. */
  owned(): number
  /** Ticks now: a session just marked running is taken without waiting for the next renewal. */
  wake(): Promise<void>
  /** The database answers (within 2 s) and this node still heartbeats into it. */
  ready(): Promise<{ ok: true } | { ok: false; reason: string }>
  /** SIGTERM: hands every session over (socket closed, then lease released) and leaves the cluster. */
  drain(): Promise<void>
}

/** The lease timings of `serve`'s flags. */
export const timingsOf = (c: { leaseTtlMs: number; leaseRenewMs: number; leaseRenewDeadlineMs: number }) => ({
  ttlMs: c.leaseTtlMs,
  renewEveryMs: c.leaseRenewMs,
  renewDeadlineMs: c.leaseRenewDeadlineMs,
})

/**
 * Joins the cluster (the secret key is checked first: a node with another key writes nothing) and starts leasing.
 * `engine` is called for each lease event; `leaseOf` answers from the moment the first lease is taken.
 */
export async function startNode(o: NodeOptions, engine: LeaseDriven): Promise<ClusterNode> {
  const log = o.logger.child({ module: 'cluster' })
  const nodeId = o.nodeId ?? newNodeId()
  let manager: LeaseManager | undefined
  let lastError: string | null = null
  manager = await joinCluster(o.sql, {
    secretKey: o.secretKey,
    nodeId,
    timings: o.timings,
    beforeStart: (m) => void (manager = m),
    onError: (e) => {
      lastError = String(e)
      log.warn({ nodeId, err: lastError }, 'lease round failed')
    },
    hooks: {
      onAcquired: async ({ sessionId, epoch }) => {
        log.info({ nodeId, sessionId, epoch }, 'lease acquired: starting the session')
        await engine.acquire(sessionId)
      },
      onRelease: async ({ sessionId, epoch }) => {
        log.info({ nodeId, sessionId, epoch }, 'handing the session over')
        await engine.release(sessionId)
      },
      onLost: ({ sessionId, epoch }, reason) => {
        log.warn({ nodeId, sessionId, epoch, reason }, 'lease lost: the session stops here at once')
        engine.drop(sessionId)
      },
    },
  })
  const m = manager
  log.info({ nodeId, timings: o.timings, held: m.held().length }, 'joined the cluster')
  return {
    nodeId,
    stats: m.stats,
    leaseOf: (id) => m.ref(id),
    owned: () => m.held().length,
    wake: () => m.tick(),
    async ready() {
      // A node whose renewals stopped is not a working member even if a fresh query happens to pass.
      if (m.sinceRenewalMs() > o.timings.renewDeadlineMs)
        return { ok: false, reason: `no lease renewal for over ${o.timings.renewDeadlineMs} ms (${lastError})` }
      try {
        await Promise.race([
          o.sql`SELECT 1 AS one`,
          Bun.sleep(2000).then(() => Promise.reject(new Error('no answer within 2 s'))),
        ])
        return { ok: true }
      } catch (e) {
        return { ok: false, reason: `database unreachable: ${(e as Error).message}` }
      }
    },
    async drain() {
      log.info({ nodeId, held: m.held().length }, 'draining: handing every session over')
      await m.stop()
    },
  }
}

/**
 * The engine a node's HTTP layer is given (`routed`: commands-engine.ts, which runs a call on the lease holder) as a
 * cluster node runs it: nothing is restored at boot (the leases say what runs here), and shutdown drains (every
 * socket closed and its lease released, so the others take the sessions at their next tick) before `after` (the
 * command bus, then the local supervisor) stops.
 */
export function nodeEngine(
  routed: SessionEngine,
  node: Pick<ClusterNode, 'drain'>,
  after: () => Promise<void>,
): SessionEngine {
  return {
    ...routed,
    restore: async () => {},
    shutdown: async () => {
      await node.drain()
      await after()
    },
  }
}
