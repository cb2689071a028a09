// Session leases: which node runs which session. Every node heartbeats into cluster_nodes and, each tick, renews
// its leases, hands back what is above its fair share (ceil(running sessions / live nodes)) and takes free or
// expired leases up to it. Expiry is the database's clock; a node counts its own deadline on its monotonic clock
// from the moment it *sent* the last successful renewal, and stops its sockets when renewDeadlineMs passes
// without one — before the lease can expire for anyone else (renewDeadlineMs < ttlMs); a renewal sent before the
// deadline and still unanswered at it is waited for, at most half the remaining gap. A round never waits for
// the hooks (opening or closing a socket takes a while on a busy node): they run one after another per session,
// beside the rounds, so a round that takes or hands over many sessions cannot make the node miss its own deadline.
import type { SQL } from 'bun'
import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import type { LeaseRef } from './fencing.ts'

export type LeaseTimings = {
  /** How long a renewal keeps a lease (and a heartbeat keeps a node live), on the database clock. */
  ttlMs: number
  /** How often a node ticks (heartbeat, renew, rebalance). */
  renewEveryMs: number
  /** Without a successful renewal sent within this, the node stops its sessions. Must be below ttlMs. */
  renewDeadlineMs: number
}

/**
 * The defaults `serve` uses (--lease-ttl-ms, --lease-renew-ms, --lease-renew-deadline-ms): a crashed node's sessions
 * are free 10 s after its last renewal; a live node renews every 2 s, so two renewals may fail in a row before it
 * stops its sockets at 6 s (8 s when a renewal sent in time is still unanswered), which leaves 4 s (2 s) before
 * the expiry the others wait for.
 */
export const defaultTimings: LeaseTimings = { ttlMs: 10_000, renewEveryMs: 2_000, renewDeadlineMs: 6_000 }

export type Lease = { sessionId: string; epoch: number }
export type LostReason = 'taken' | 'renew_deadline' | 'not_running'

export type LeaseHooks = {
  /** This node now runs the session: start its socket. */
  onAcquired(lease: Lease): void | Promise<void>
  /** Handing the session over (rebalance, drain): stop its socket; the lease is released once this settles. */
  onRelease(lease: Lease): void | Promise<void>
  /** The lease is gone or may be gone: stop the socket at once and write nothing more for it. */
  onLost(lease: Lease, reason: LostReason): void
}

export type LeaseStats = { renewals: number; renewFailures: number; acquired: number; released: number; lost: number }

/** `<host>-<pid>-<random>`: unique per process start, readable in the nodes table. */
export const newNodeId = () => `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`

const NOW = '(floor(extract(epoch from clock_timestamp()) * 1000))::bigint'

export function checkTimings(t: LeaseTimings): void {
  if (!(t.renewEveryMs > 0 && t.renewEveryMs < t.renewDeadlineMs && t.renewDeadlineMs < t.ttlMs))
    throw new Error(
      `lease timings need 0 < renewEveryMs (${t.renewEveryMs}) < renewDeadlineMs (${t.renewDeadlineMs}) < ttlMs (${t.ttlMs})`,
    )
}

export class LeaseManager {
  readonly stats: LeaseStats = { renewals: 0, renewFailures: 0, acquired: 0, released: 0, lost: 0 }
  private readonly leases = new Map<string, number>()
  /** Per session, the hook running or queued last (acquire, then release, in the order the rounds decided). */
  private readonly work = new Map<string, Promise<void>>()
  /** Sessions being handed over: still held (renewed) until their socket is closed and the row released. */
  private readonly handing = new Set<string>()
  private timer: ReturnType<typeof setInterval> | undefined
  private deadline: ReturnType<typeof setTimeout> | undefined
  private ticking: Promise<void> | undefined
  /** A tick was asked for while a round ran: it runs once that round ends. */
  private again = false
  /** When the round in flight sent its first statement (undefined between rounds). */
  private roundSentAt: number | undefined
  /** The renew deadline passed while a round sent before it was in flight: its answer decides. */
  private overdue = false
  private stopped = false
  private renewedAt: number | undefined

  constructor(
    private readonly sql: SQL,
    readonly nodeId: string,
    private readonly hooks: LeaseHooks,
    readonly timings: LeaseTimings = defaultTimings,
    private readonly onError: (e: unknown) => void = () => {},
  ) {
    checkTimings(timings)
  }

  /** The leases this node holds now. */
  held(): Lease[] {
    return [...this.leases].map(([sessionId, epoch]) => ({ sessionId, epoch }))
  }

  /** The fencing reference of a held session, for fenced(); undefined when this node does not hold it. */
  ref(sessionId: string): LeaseRef | undefined {
    const epoch = this.leases.get(sessionId)
    return epoch === undefined ? undefined : { sessionId, nodeId: this.nodeId, epoch }
  }

  /** Milliseconds since the last successful renewal was sent (Infinity before the first). */
  sinceRenewalMs(): number {
    return this.renewedAt === undefined ? Infinity : performance.now() - this.renewedAt
  }

  /** Ticks now and then every renewEveryMs until stop(). */
  async start(): Promise<void> {
    await this.tick()
    this.timer = setInterval(() => void this.tick(), this.timings.renewEveryMs)
  }

  /**
   * One round: heartbeat, renew, hand back the excess, take up to the fair share. Never runs twice at once; a tick
   * asked for meanwhile (the interval, a wake) runs once the round ends, so a slow round delays the next renewal
   * instead of skipping it.
   */
  tick(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    if (this.ticking) {
      this.again = true
      return this.ticking
    }
    this.ticking = this.round()
      .catch((e) => {
        this.stats.renewFailures++
        this.onError(e)
        if (this.overdue) this.loseAll()
      })
      .finally(() => {
        this.ticking = undefined
        this.roundSentAt = undefined
        if (this.again) {
          this.again = false
          void this.tick()
        }
      })
    return this.ticking
  }

  private now() {
    return this.sql.unsafe(NOW)
  }

  private async round(): Promise<void> {
    const sentAt = performance.now()
    this.roundSentAt = sentAt
    const { ttlMs } = this.timings
    await this.sql`
      INSERT INTO cluster_nodes (id, started_at, heartbeat_at, expires_at)
      VALUES (${this.nodeId}, ${this.now()}, ${this.now()}, ${this.now()} + ${ttlMs})
      ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at`
    const renewed: { session_id: string; epoch: string; desired_state: string }[] = await this.sql`
      UPDATE session_leases l SET expires_at = ${this.now()} + ${ttlMs}, updated_at = ${this.now()}
      FROM sessions s WHERE s.id = l.session_id AND l.node_id = ${this.nodeId}
      RETURNING l.session_id, l.epoch, s.desired_state`
    this.stats.renewals++
    this.renewedAt = sentAt
    this.armDeadline(sentAt)
    const current = new Map(renewed.map((r) => [r.session_id, Number(r.epoch)]))
    for (const [sessionId, epoch] of this.leases)
      if (current.get(sessionId) !== epoch) this.lose({ sessionId, epoch }, 'taken')
    for (const r of renewed) {
      const lease = { sessionId: r.session_id, epoch: Number(r.epoch) }
      if (!this.leases.has(lease.sessionId))
        await this.releaseRow(lease) // not ours to run (an older round's)
      else if (r.desired_state !== 'running') void this.handOver(lease)
    }
    await this.rebalance()
  }

  private async rebalance(): Promise<void> {
    await this.sql`
      INSERT INTO session_leases (session_id) SELECT id FROM sessions WHERE desired_state = 'running'
      ON CONFLICT (session_id) DO NOTHING`
    const [counts]: { total: number; live: number; draining: boolean }[] = await this.sql`
      SELECT (SELECT count(*)::int FROM sessions WHERE desired_state = 'running') AS total,
             (SELECT count(*)::int FROM cluster_nodes WHERE expires_at > ${this.now()} AND NOT draining) AS live,
             coalesce((SELECT draining FROM cluster_nodes WHERE id = ${this.nodeId}), false) AS draining`
    await this.sql`DELETE FROM cluster_nodes WHERE expires_at < ${this.now()} - ${10 * this.timings.ttlMs}`
    if (!counts || counts.draining) return
    const fair = Math.ceil(counts.total / Math.max(1, counts.live))
    const staying = this.held().filter((l) => !this.handing.has(l.sessionId))
    const excess = staying.length - fair
    if (excess > 0) {
      for (const lease of staying.slice(-excess)) void this.handOver(lease)
      return
    }
    const want = fair - this.leases.size
    if (want <= 0) return
    const taken: { session_id: string; epoch: string }[] = await this.sql`
      UPDATE session_leases l
      SET node_id = ${this.nodeId}, epoch = l.epoch + 1, expires_at = ${this.now()} + ${this.timings.ttlMs},
          updated_at = ${this.now()}
      WHERE l.session_id IN (
        SELECT c.session_id FROM session_leases c JOIN sessions s ON s.id = c.session_id
        WHERE s.desired_state = 'running' AND (c.node_id IS NULL OR c.expires_at <= ${this.now()})
        ORDER BY c.expires_at, c.session_id LIMIT ${want}
        FOR UPDATE OF c SKIP LOCKED)
      AND (l.node_id IS NULL OR l.expires_at <= ${this.now()})
      RETURNING l.session_id, l.epoch`
    for (const r of taken) {
      const lease = { sessionId: r.session_id, epoch: Number(r.epoch) }
      this.leases.set(lease.sessionId, lease.epoch)
      this.stats.acquired++
      void this.queue(lease.sessionId, () => this.hooks.onAcquired(lease))
    }
  }

  /** Runs `hook` after the session's previous one has settled; its failure is reported, never thrown. */
  private queue(sessionId: string, hook: () => unknown): Promise<void> {
    const next = (this.work.get(sessionId) ?? Promise.resolve()).then(hook).then(
      () => {},
      (e) => this.onError(e),
    )
    this.work.set(sessionId, next)
    void next.then(() => this.work.get(sessionId) === next && this.work.delete(sessionId))
    return next
  }

  /** Stops the session (after its acquisition, if still running), then frees its lease for another node at once. */
  private handOver(lease: Lease): Promise<void> {
    const { sessionId } = lease
    if (this.handing.has(sessionId)) return this.work.get(sessionId) ?? Promise.resolve()
    this.handing.add(sessionId)
    return this.queue(sessionId, async () => {
      try {
        await this.hooks.onRelease(lease)
      } finally {
        this.handing.delete(sessionId)
        if (this.leases.get(sessionId) === lease.epoch) this.leases.delete(sessionId)
        await this.releaseRow(lease)
        this.stats.released++
      }
    })
  }

  private async releaseRow(lease: Lease): Promise<void> {
    await this.sql`
      UPDATE session_leases SET node_id = NULL, expires_at = 0, updated_at = ${this.now()}
      WHERE session_id = ${lease.sessionId} AND node_id = ${this.nodeId} AND epoch = ${lease.epoch}`
  }

  private lose(lease: Lease, reason: LostReason): void {
    this.leases.delete(lease.sessionId)
    this.stats.lost++
    try {
      this.hooks.onLost(lease, reason)
    } catch (e) {
      this.onError(e)
    }
  }

  /**
   * After a renewal sent at `sentAt`, every held lease is safe until sentAt + renewDeadlineMs, not longer — unless a
   * renewal sent before then comes back. One may be in flight when the deadline passes: its answer read late because
   * the event loop stalled (a timer that fell due during a stall runs before the I/O that arrived meanwhile), or a slow
   * database. Its answer decides, awaited at most half the way from the deadline to the expiry, so the sockets still
   * stop well before another node may take the lease.
   */
  private armDeadline(sentAt: number): void {
    clearTimeout(this.deadline)
    this.overdue = false
    const { renewDeadlineMs, ttlMs } = this.timings
    const deadline = sentAt + renewDeadlineMs
    this.deadline = setTimeout(
      () => {
        const inFlight = this.roundSentAt
        if (inFlight === undefined || inFlight <= sentAt || inFlight > deadline) return this.loseAll()
        this.overdue = true
        const grace = deadline + (ttlMs - renewDeadlineMs) / 2 - performance.now()
        this.deadline = setTimeout(() => this.loseAll(), Math.max(0, grace))
      },
      Math.max(0, deadline - performance.now()),
    )
  }

  private loseAll(): void {
    clearTimeout(this.deadline)
    this.overdue = false
    for (const lease of this.held()) this.lose(lease, 'renew_deadline')
  }

  /** Drains: takes nothing more, hands every session over (stopped, then released) and leaves the cluster. */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.stopped = true // before the wait: a tick asked for during the last round must not start another
    await this.ticking
    try {
      await this.sql`UPDATE cluster_nodes SET draining = true WHERE id = ${this.nodeId}`
      await Promise.all(this.held().map((lease) => this.handOver(lease)))
      await Promise.all([...this.work.values()])
      await this.sql`DELETE FROM cluster_nodes WHERE id = ${this.nodeId}`
    } catch (e) {
      this.onError(e)
    } finally {
      clearTimeout(this.deadline)
      for (const lease of this.held()) this.lose(lease, 'renew_deadline') // unreleased: they expire on their own
    }
  }
}
