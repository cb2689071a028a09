// Commands across nodes: an operation that needs a session's live socket runs on the node holding the session's
// lease, whichever node received the API call. The caller inserts a row in cluster_commands addressed to the lease
// holder and NOTIFYs the holder's channel in the same statement; the holder (LISTENing on its channel) claims the
// row, runs the command through its local engine, writes the answer (or the AppError) and NOTIFYs the caller's
// channel; the caller reads the answer and deletes the row.
//
// Why the database and not an HTTP hop between nodes: the nodes already share PostgreSQL and Bun.SQL has LISTEN/NOTIFY
// (sql.listen / sql.notify, one dedicated connection per process, re-subscribed after a reconnect), so a node needs
// no address other nodes can reach, no second listener, no extra secret and no certificate; the owner is resolved
// and addressed in one statement against the same lease rows that fence its writes; and a lost NOTIFY (the listen
// connection dropped) costs a poll interval, not the command, because the row is the command. The cost is a few
// database round trips per routed command (scripts/bench/commands.ts measures it).
//
// Bounds, so an API call never hangs on a dead node: a command its target has not claimed within claimTimeoutMs is
// withdrawn (it never runs) and fails with 503 `unavailable`; a claimed command not answered within timeoutMs fails
// with 503 `unavailable` too, saying it may have run. A target claims nothing past the command's deadline.
import type { SQL } from 'bun'
import { createHash } from 'node:crypto'
import { AppError, errorStatus, type ErrorCode, type ErrorDetails } from '../errors.ts'

export type CommandTimings = {
  /** A command not answered within this fails with 503 `unavailable` (it may have run). */
  timeoutMs: number
  /** A command its target has not claimed within this is withdrawn and fails with 503 `unavailable` (it did not run). */
  claimTimeoutMs: number
  /** How often a waiting caller re-reads its command, and a node sweeps for commands whose NOTIFY it missed. */
  pollMs: number
}

// 30 s: above the local engine's own longest wait (a pairing code waits up to 20 s for the pairing step).
export const defaultCommandTimings: CommandTimings = { timeoutMs: 30_000, claimTimeoutMs: 5_000, pollMs: 1_000 }

/** Runs a command on this node: the local engine's method `op` with `args` after the session id. */
export type CommandHandler = (sessionId: string, op: string, args: unknown[]) => Promise<unknown>

/** An error as it crosses nodes: the API envelope's fields. */
export type WireError = { code: string; message: string; details: ErrorDetails }

const NOW = '(floor(extract(epoch from clock_timestamp()) * 1000))::bigint'
/** Rows left by a caller that died while waiting are deleted this long after their deadline. */
const LEFTOVER_MS = 60_000

/** PostgreSQL channel names are identifiers of at most 63 bytes: a node id is hashed into one. */
const channel = (kind: 'cmd' | 'ans', nodeId: string) =>
  `wagate_${kind}_${createHash('md5').update(nodeId).digest('hex')}`

/** An AppError keeps its code, message and details; anything else is the API's opaque 500. */
export function toWire(e: unknown): WireError {
  if (e instanceof AppError) return { code: e.errorCode, message: e.message, details: e.details }
  return { code: 'internal', message: 'internal error', details: {} }
}

export function fromWire(w: WireError): AppError {
  const code = (Object.hasOwn(errorStatus, w.code) ? w.code : 'internal') as ErrorCode
  return new AppError(code, w.message, w.details ?? {})
}

type Claimed = { id: string; session_id: string; origin_node: string; op: string; args: string }

/** What the bus did since the node started (read by /metrics). */
export type CommandStats = {
  /** Calls this node routed to the node running the session. */
  sent: number
  /** Commands this node ran for another node. */
  served: number
  /** Routed calls the running node did not take in time: withdrawn, answered 503 (not carried out). */
  unclaimed: number
  /** Routed calls taken but not answered in time: answered 503 (they may have run). */
  timeouts: number
}

export class CommandBus {
  readonly stats: CommandStats = { sent: 0, served: 0, unclaimed: 0, timeouts: 0 }
  private readonly waiters = new Map<number, () => void>()
  /** Answers whose NOTIFY came while their caller was between two reads (consumed by its next wait). */
  private readonly early = new Set<number>()
  private readonly serving = new Set<Promise<void>>()
  private subscriptions: SQL.ListenSubscription[] = []
  private timer: ReturnType<typeof setInterval> | undefined
  private lastCleanup = 0

  constructor(
    private readonly sql: SQL,
    readonly nodeId: string,
    private readonly handler: CommandHandler,
    readonly timings: CommandTimings = defaultCommandTimings,
    private readonly onError: (e: unknown) => void = () => {},
  ) {}

  private now() {
    return this.sql.unsafe(NOW)
  }

  /** LISTENs for answers and for commands addressed to this node, and sweeps for missed ones every pollMs. */
  async start(): Promise<void> {
    this.subscriptions.push(await this.sql.listen(channel('ans', this.nodeId), (p) => this.answered(Number(p))))
    // After a reconnect of the listen connection, NOTIFYs sent meanwhile are lost: sweep for their rows.
    this.subscriptions.push(
      await this.sql.listen(
        channel('cmd', this.nodeId),
        (p) => void this.claim(Number(p)),
        () => void this.sweep(),
      ),
    )
    this.timer = setInterval(() => void this.sweep(), this.timings.pollMs)
  }

  /** Takes no more commands and waits for the answers of those running, at most timeoutMs (no caller waits longer). */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    const subscriptions = this.subscriptions
    this.subscriptions = []
    await Promise.all(subscriptions.map((s) => s.unlisten().catch(this.onError)))
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([
      Promise.all(this.serving),
      new Promise((resolve) => (timer = setTimeout(resolve, this.timings.timeoutMs))),
    ])
    clearTimeout(timer)
  }

  /**
   * Runs `op` on the node holding the session's live lease and answers `{ value }` with its result, or throws its
   * AppError; answers null at once when no node holds a live lease.
   */
  async call(
    sessionId: string,
    op: string,
    args: unknown[],
    timeoutMs = this.timings.timeoutMs,
  ): Promise<{ value: unknown } | null> {
    const [row]: { id: string }[] = await this.sql`
      WITH c AS (
        INSERT INTO cluster_commands (session_id, origin_node, target_node, op, args, created_at, deadline_at)
        SELECT l.session_id, ${this.nodeId}, l.node_id, ${op}, ${JSON.stringify(args)}, ${this.now()},
               ${this.now()} + ${timeoutMs}
        FROM session_leases l
        WHERE l.session_id = ${sessionId} AND l.node_id IS NOT NULL AND l.expires_at > ${this.now()}
        RETURNING id, target_node)
      SELECT id, pg_notify('wagate_cmd_' || md5(target_node), id::text)::text AS notified FROM c`
    if (!row) return null
    this.stats.sent++
    return { value: await this.outcome(Number(row.id), timeoutMs) }
  }

  /** Waits for the answer of command `id`: woken by its NOTIFY, re-reading every pollMs in case it was lost. */
  private async outcome(id: number, timeoutMs: number): Promise<unknown> {
    const start = performance.now()
    const claimBy = start + Math.min(this.timings.claimTimeoutMs, timeoutMs)
    const until = start + timeoutMs
    let claimed = false
    try {
      for (;;) {
        const next = Math.min(claimed ? until : claimBy, performance.now() + this.timings.pollMs)
        await this.wake(id, next - performance.now())
        const [done]: { answer: string | null; error: string | null }[] = await this.sql`
          DELETE FROM cluster_commands WHERE id = ${id} AND done_at IS NOT NULL RETURNING answer, error`
        if (done) return decode(done)
        const t = performance.now()
        if (!claimed && t >= claimBy) {
          const withdrawn: unknown[] = await this.sql`
            DELETE FROM cluster_commands WHERE id = ${id} AND taken_at IS NULL RETURNING id`
          if (withdrawn.length) {
            this.stats.unclaimed++
            throw new AppError(
              'unavailable',
              'the node running this session did not take the request (it may have just stopped; its sessions ' +
                'move to another node): it was not carried out, retry',
              { reason: 'owner_unreachable' },
            )
          }
          claimed = true
        }
        if (t >= until) {
          const [last]: { answer: string | null; error: string | null; done_at: string | null }[] = await this.sql`
            DELETE FROM cluster_commands WHERE id = ${id} RETURNING answer, error, done_at`
          if (last?.done_at != null) return decode(last)
          this.stats.timeouts++
          throw new AppError(
            'unavailable',
            `the node running this session did not answer within ${timeoutMs} ms: the request may or may not ` +
              'have been carried out',
            { reason: 'owner_timeout' },
          )
        }
      }
    } finally {
      this.waiters.delete(id)
      this.early.delete(id)
    }
  }

  private wake(id: number, ms: number): Promise<void> {
    if (this.early.delete(id)) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms))
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.waiters.set(id, done)
    })
  }

  private answered(id: number): void {
    const waiter = this.waiters.get(id)
    if (waiter) {
      this.waiters.delete(id)
      waiter()
      return
    }
    // An answer read by a poll first leaves its id here: keep the set from growing without bound.
    if (this.early.size > 10_000) this.early.clear()
    this.early.add(id)
  }

  /** Claims one command this node was NOTIFYed about; a command claimed already (by the sweep) is skipped. */
  private async claim(id: number): Promise<void> {
    try {
      const rows: Claimed[] = await this.sql`
        UPDATE cluster_commands SET taken_at = ${this.now()}
        WHERE id = ${id} AND target_node = ${this.nodeId} AND taken_at IS NULL AND deadline_at > ${this.now()}
        RETURNING id, session_id, origin_node, op, args`
      for (const r of rows) this.serve(r)
    } catch (e) {
      this.onError(e)
    }
  }

  /** Claims every command addressed to this node and not yet taken; now and then deletes callers' leftovers. */
  private async sweep(): Promise<void> {
    try {
      const rows: Claimed[] = await this.sql`
        UPDATE cluster_commands SET taken_at = ${this.now()}
        WHERE target_node = ${this.nodeId} AND taken_at IS NULL AND deadline_at > ${this.now()}
        RETURNING id, session_id, origin_node, op, args`
      for (const r of rows) this.serve(r)
      if (Date.now() - this.lastCleanup > LEFTOVER_MS) {
        this.lastCleanup = Date.now()
        await this.sql`DELETE FROM cluster_commands WHERE deadline_at < ${this.now()} - ${LEFTOVER_MS}`
      }
    } catch (e) {
      this.onError(e)
    }
  }

  private serve(r: Claimed): void {
    const running = (async () => {
      let answer: string | null = null
      let error: string | null = null
      try {
        answer = JSON.stringify({ value: await this.handler(r.session_id, r.op, JSON.parse(r.args) as unknown[]) })
      } catch (e) {
        if (!(e instanceof AppError)) this.onError(e)
        error = JSON.stringify(toWire(e))
      }
      this.stats.served++
      // The caller may have given up and deleted the row: then nothing is updated and nobody is notified.
      await this.sql`
        WITH u AS (
          UPDATE cluster_commands SET answer = ${answer}, error = ${error}, done_at = ${this.now()}
          WHERE id = ${r.id} RETURNING id)
        SELECT pg_notify(${channel('ans', r.origin_node)}, id::text)::text AS notified FROM u`
    })()
      .catch(this.onError)
      .finally(() => this.serving.delete(running))
    this.serving.add(running)
  }
}

function decode(row: { answer: string | null; error: string | null }): unknown {
  if (row.error !== null) throw fromWire(JSON.parse(row.error) as WireError)
  return (JSON.parse(row.answer ?? '{}') as { value?: unknown }).value
}
