// The webhook dispatcher: a process over SQLite rows. Fans committed events out to deliveries (advancing
// each webhook's high-water mark in the same transaction), claims due deliveries per endpoint, hands them to
// the sender (sender.ts: per-endpoint lanes and concurrency, first attempts of one (webhook, session) one at a
// time in commit order) and records what came back. Everything it knows survives in the tables, so a restart
// resumes where the last process stopped.
import type { Logger } from '../log.ts'
import type { Repos } from '../store/contract.ts'
import type { DeliveryStatus, FanoutEvent, Job, Outcome } from '../store/deliveries.ts'
import type { WebhookTarget } from '../store/webhooks.ts'
import type { EgressFetch } from './deliver.ts'
import { matcher } from './patterns.ts'
import { threadSender, workerSender, type Sender, type SendResult } from './sender.ts'

export type DispatcherOptions = Pick<Repos, 'events' | 'webhooks' | 'deliveries'> & {
  logger: Logger
  /** Retry delays in ms: attempt n+1 waits schedule[n-1]; after the last one the delivery fails. */
  schedule: readonly number[]
  timeoutMs: number
  /** Requests in flight per endpoint. */
  concurrency: number
  /** Claimed deliveries not yet started, per endpoint, that the sender may hold (more are claimed below half). */
  buffer?: number
  userAgent?: string
  /** Sends on this thread through the egress policy's fetch (src/media/egress.ts). Give this or `egressAllow`. */
  fetch?: EgressFetch
  /**
   * Sends from a worker thread whose egress policy is built from this allow list (`--egress-allow`), so the store
   * work on this thread never holds back a response that came in. Give this or `fetch`.
   */
  egressAllow?: string
  /** With `egressAllow`: the sender thread's script (tests); default src/events/sender-worker.ts. */
  senderScript?: string
  /** Looks at the outbox at least this often even without a commit notification (other writers). */
  pollMs?: number
  /** Told of every attempt's result, with the event's age when it succeeded (for /metrics). */
  observe?: (a: { status: DeliveryStatus; lagMs: number | null }) => void
}

type Endpoint = {
  target: WebhookTarget
  wants: (e: FanoutEvent) => boolean
  /** Claimed deliveries handed to the sender whose result has not come back. */
  claimed: Set<number>
  /**
   * No first attempt of this webhook waits in the table (as far as this process knows), so fan-out may claim the
   * deliveries it makes: they go out in commit order behind nothing older. False from the start (a previous
   * process may have left some), after a fan-out that left deliveries in the table, and after handing claims back;
   * true again once a claim finds fewer due deliveries than it asked for.
   */
  caughtUp: boolean
}

export type Dispatcher = ReturnType<typeof createDispatcher>

// Fan-out runs on the event loop: 5,000 rows held it ~25 ms, while every response that came back waited for it.
// A pass fans out at most this many events and wakes the next pass when it is behind.
const FANOUT_BATCH = 500
const MIN_PASS_GAP_MS = 2
const FLUSH_MS = 20
const FLUSH_MAX = 1000
const LOST_PAUSE_MS = 500
const LOST_PAUSE_MAX_MS = 30_000

export function createDispatcher(o: DispatcherOptions) {
  const { events, webhooks, deliveries, logger } = o
  const buffer = o.buffer ?? Math.max(256, o.concurrency * 16)
  // An endpoint holds at most this many claimed deliveries (queued or in flight), and claims more below `refill`.
  const most = buffer + o.concurrency
  const refill = most - buffer / 2
  const settings = {
    schedule: o.schedule,
    timeoutMs: o.timeoutMs,
    concurrency: o.concurrency,
    userAgent: o.userAgent ?? 'wagate-webhooks',
  }
  const endpoints = new Map<string, Endpoint>()
  const outcomes: Outcome[] = []
  const flushing = new Set<Promise<void>>()
  /** Disabling webhooks that answered 410; stop() waits for them. */
  const chores = new Set<Promise<void>>()
  let sender: Sender | null = null
  /** Sender threads lost since the last result came back. */
  let lostInARow = 0
  let targetsDirty = true
  let running = false
  let passTimer: ReturnType<typeof setTimeout> | null = null
  let dueTimer: ReturnType<typeof setTimeout> | null = null
  let flushTimer: ReturnType<typeof setTimeout> | null = null
  let lastPass = 0
  // One pass at a time (a pass awaits the store): a wake during a pass runs another once it ends.
  let passing: Promise<void> | null = null
  let passAgain = false
  const unsubscribe: (() => void)[] = []

  if ((o.fetch === undefined) === (o.egressAllow === undefined))
    throw new Error('createDispatcher: give either fetch (send on this thread) or egressAllow (send from a worker)')
  const failed = (err: unknown) => logger.error({ err }, 'webhook send failed')
  const makeSender = (): Sender =>
    o.fetch
      ? threadSender({ ...settings, fetch: o.fetch, report: received, failed })
      : workerSender({
          ...settings,
          egressAllow: o.egressAllow!,
          report: received,
          failed,
          lost: () => void senderLost(),
          ...(o.senderScript ? { script: o.senderScript } : {}),
        })

  /**
   * The sender's thread ended unasked: what it held goes back to the table and, after a pause that doubles while
   * threads keep ending before any result (a thread that cannot start must not be restarted in a tight loop), a
   * new thread takes over.
   */
  async function senderLost() {
    lostInARow++
    const pauseMs = Math.min(LOST_PAUSE_MAX_MS, LOST_PAUSE_MS * 2 ** (lostInARow - 1))
    logger.error({ pauseMs }, 'the webhook sender thread ended unexpectedly; starting another after a pause')
    sender = null // passes claim nothing meanwhile
    await passing // a pass under way has finished with the old one
    const held = [...endpoints.values()].flatMap((ep) => {
      const pks = [...ep.claimed]
      ep.claimed.clear()
      ep.caughtUp = false
      return pks
    })
    try {
      if (held.length) await deliveries.unclaim(held)
    } catch (err) {
      logger.error({ err }, 'handing back the deliveries of the lost sender thread failed')
    }
    await new Promise((resolve) => setTimeout(resolve, pauseMs))
    // Stopped meanwhile, or stopped and started again (which made its own sender).
    if (!running || sender) return
    sender = makeSender()
    targetsDirty = true // the new thread is told every endpoint
    wake()
  }

  /** Builds an endpoint, or refreshes one in place so its claims carry over; tells the sender. */
  function endpointFor(t: WebhookTarget, old: Endpoint | undefined): Endpoint {
    const types = matcher(t.events)
    const sessions = t.sessionIds ? new Set(t.sessionIds) : null
    sender!.target({
      id: t.id,
      url: t.url,
      secrets: t.previousSecret ? [t.secret, t.previousSecret] : [t.secret],
      previousUntil: t.previousSecretExpiresAt ?? 0,
    })
    const fields = {
      target: t,
      wants: (e: FanoutEvent) => types(e.type) && (!sessions || (e.sessionId !== null && sessions.has(e.sessionId))),
    }
    if (old) return Object.assign(old, fields)
    return { ...fields, claimed: new Set(), caughtUp: false }
  }

  /** Reloads enabled webhooks; claimed jobs of a webhook that went away and were not started go back to the table. */
  async function refreshTargets() {
    targetsDirty = false
    const unreadable = (webhookId: string, err: unknown) =>
      logger.error({ webhookId, err }, 'webhook secret cannot be decrypted (was the secret key changed?)')
    const fresh = new Map((await webhooks.enabledTargets(unreadable)).map((t) => [t.id, t]))
    for (const id of endpoints.keys()) {
      if (fresh.has(id)) continue
      endpoints.delete(id)
      const unsent = await sender!.drop(id)
      if (unsent.length) await deliveries.unclaim(unsent)
    }
    for (const [id, t] of fresh) endpoints.set(id, endpointFor(t, endpoints.get(id)))
  }

  /** Results from the sender: recorded in batches; a 410 disables its webhook; room left wakes a pass. */
  function received(results: SendResult[]) {
    lostInARow = 0
    let roomy = false
    for (const r of results) {
      outcomes.push({ pk: r.pk, status: r.status, nextAttemptAt: r.nextAttemptAt, attempt: r.attempt })
      o.observe?.({ status: r.status, lagMs: r.lagMs })
      const ep = endpoints.get(r.webhookId)
      if (ep?.claimed.delete(r.pk) && ep.claimed.size < refill) roomy = true
      if (r.gone) disableGone(r.webhookId)
    }
    scheduleFlush()
    if (roomy) wake()
  }

  function disableGone(webhookId: string) {
    const p = (async () => {
      await flush()
      await webhooks.disable(webhookId, 'the endpoint answered 410 Gone')
      logger.warn({ webhookId }, 'webhook disabled: endpoint answered 410')
    })()
      .catch((err: unknown) => logger.error({ err, webhookId }, 'disabling a webhook that answered 410 failed'))
      .finally(() => chores.delete(p))
    chores.add(p)
  }

  /** Records the outcomes gathered so far; stop() waits for the recordings in flight. */
  function flush(): Promise<void> {
    if (flushTimer) clearTimeout(flushTimer)
    flushTimer = null
    if (!outcomes.length) return Promise.resolve()
    const batch = outcomes.splice(0)
    const p = (async () => {
      try {
        await deliveries.record(batch)
      } catch (err) {
        logger.error({ err }, 'recording webhook attempts failed')
      }
      if (batch.some((b) => b.status === 'pending')) wake()
    })()
    flushing.add(p)
    void p.finally(() => flushing.delete(p))
    return p
  }

  // Outcomes are recorded in batches, one transaction each: by the next pass (a result that frees room wakes one),
  // at the latest FLUSH_MS after the first one waiting, or at once past FLUSH_MAX.
  function scheduleFlush() {
    if (outcomes.length >= FLUSH_MAX) return void flush()
    flushTimer ??= setTimeout(() => void flush(), FLUSH_MS)
  }

  /** One pass: fan out, claim what is due, hand it to the sender, and arm the timer for the next due retry. */
  async function pass() {
    lastPass = Date.now()
    if (!sender) return // a lost sender thread is being replaced
    try {
      await flush()
      if (targetsDirty) await refreshTargets()
      const head = await events.maxSeq()
      let behind = false
      let nextDue = Infinity
      for (const ep of endpoints.values()) {
        const t = ep.target
        // Not `<`: on PostgreSQL positions follow (transaction, seq) order, so a mark behind the head may have
        // the higher seq. A mark is never past the head, so "not at the head" is "behind" on both dialects.
        if (t.hwm !== head) {
          // Caught up, fan-out claims what it makes, up to the room the endpoint has.
          const room = ep.caughtUp ? most - ep.claimed.size : 0
          const r = await deliveries.fanOut(t, ep.wants, FANOUT_BATCH, Date.now(), room)
          t.hwm = r.hwm
          behind ||= r.full
          if (r.made > r.jobs.length) ep.caughtUp = false
          hand(ep, r.jobs)
        }
        if (ep.claimed.size >= refill) continue
        const want = most - ep.claimed.size
        const jobs = await deliveries.claim(t.id, want)
        hand(ep, jobs)
        if (jobs.length < want) {
          ep.caughtUp = true
          nextDue = Math.min(nextDue, (await deliveries.nextDue(t.id)) ?? Infinity)
        }
      }
      if (behind) wake()
      armDue(nextDue)
    } catch (err) {
      logger.error({ err }, 'webhook dispatch pass failed')
      armDue(Date.now() + 1000)
    }
  }

  /** Claimed jobs to the sender. */
  function hand(ep: Endpoint, jobs: Job[]) {
    if (!jobs.length) return
    for (const j of jobs) ep.claimed.add(j.pk)
    sender!.send(ep.target.id, jobs)
  }

  function armDue(at: number) {
    if (dueTimer) clearTimeout(dueTimer)
    dueTimer = null
    if (!running) return
    dueTimer = setTimeout(wake, Math.min(Math.max(at - Date.now(), 0) + 1, o.pollMs ?? 1000))
  }

  async function runPass() {
    passTimer = null
    if (!running) return
    passAgain = false
    passing = pass()
    try {
      await passing
    } finally {
      passing = null
    }
    if (passAgain) wake()
  }

  /** Schedules a pass soon (passes are coalesced). */
  function wake() {
    if (!running || passTimer) return
    if (passing) return void (passAgain = true)
    passTimer = setTimeout(() => void runPass(), Math.max(0, lastPass + MIN_PASS_GAP_MS - Date.now()))
  }

  return {
    /** Starts delivering: what a previous process left in flight is due again at once. */
    async start() {
      if (running) return
      running = true
      targetsDirty = true
      sender = makeSender()
      const released = await deliveries.releaseInFlight()
      if (!running) return // stopped meanwhile
      if (released) logger.info({ released }, 'resuming webhook deliveries left in flight')
      unsubscribe.push(events.onCommitted(wake))
      unsubscribe.push(
        webhooks.onChange(() => {
          targetsDirty = true
          wake()
        }),
      )
      wake()
    },
    /** Stops claiming, waits for requests in flight (bounded by the timeout) and records them. */
    async stop() {
      if (!running) return
      running = false
      for (const u of unsubscribe.splice(0)) u()
      if (passTimer) clearTimeout(passTimer)
      if (dueTimer) clearTimeout(dueTimer)
      // Cleared handles left set would make wake() after a restart believe a pass is already scheduled.
      passTimer = dueTimer = null
      await passing
      const unsent = (await sender?.stop()) ?? []
      sender = null
      await flush()
      await Promise.allSettled([...flushing, ...chores])
      if (unsent.length) await deliveries.unclaim(unsent)
      endpoints.clear()
    },
    wake,
    /** In-memory figures for metrics and tests. */
    stats: () => ({
      endpoints: endpoints.size,
      claimed: [...endpoints.values()].reduce((n, ep) => n + ep.claimed.size, 0),
    }),
  }
}
