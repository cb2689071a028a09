// The webhook dispatcher: a process over SQLite rows. Fans committed events out to deliveries (advancing
// each webhook's high-water mark in the same transaction), claims due deliveries per endpoint, and sends
// them with a per-endpoint concurrency limit. First attempts of one (webhook, session) go one at a time
// in commit order; retries run independently. Everything it knows survives in the tables, so a restart
// resumes where the last process stopped.
import type { Logger } from '../log.ts'
import type { Repos } from '../store/contract.ts'
import type { DeliveryStatus, FanoutEvent, Job, Outcome } from '../store/deliveries.ts'
import type { WebhookTarget } from '../store/webhooks.ts'
import { attemptDelivery, type EgressFetch } from './deliver.ts'
import { matcher } from './patterns.ts'

export type DispatcherOptions = Pick<Repos, 'events' | 'webhooks' | 'deliveries'> & {
  logger: Logger
  /** Retry delays in ms: attempt n+1 waits schedule[n-1]; after the last one the delivery fails. */
  schedule: readonly number[]
  timeoutMs: number
  /** Requests in flight per endpoint. */
  concurrency: number
  /** Claimed-but-unsent deliveries kept in memory per endpoint. */
  buffer?: number
  userAgent?: string
  /** The egress policy's fetch (src/media/egress.ts): checks the resolved address, follows no redirect. */
  fetch: EgressFetch
  /** Looks at the outbox at least this often even without a commit notification (other writers). */
  pollMs?: number
  /** Told of every attempt's result, with the event's age when it succeeded (for /metrics). */
  observe?: (a: { status: DeliveryStatus; lagMs: number | null }) => void
}

type Endpoint = {
  target: WebhookTarget
  /** The current secret, then the previous one while it is still accepted. */
  secrets: string[]
  /** The current secret alone (after the previous one expired). */
  current: string[]
  previousUntil: number
  wants: (e: FanoutEvent) => boolean
  lanes: Map<string, Job[]>
  busy: Set<string>
  queued: number
  inFlight: number
}

export type Dispatcher = ReturnType<typeof createDispatcher>

// Fan-out runs on the event loop: 5,000 rows held it ~25 ms, while every response that came back waited for it.
// A pass fans out at most this many events and wakes the next pass when it is behind.
const FANOUT_BATCH = 500
const MIN_PASS_GAP_MS = 2
const FLUSH_MS = 20
const FLUSH_MAX = 1000

export function createDispatcher(o: DispatcherOptions) {
  const { events, webhooks, deliveries, logger } = o
  const buffer = o.buffer ?? Math.max(256, o.concurrency * 16)
  const doFetch = o.fetch
  const userAgent = o.userAgent ?? 'wagate-webhooks'
  const endpoints = new Map<string, Endpoint>()
  const outcomes: Outcome[] = []
  const sending = new Set<Promise<void>>()
  const flushing = new Set<Promise<void>>()
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

  /** Builds an endpoint, or refreshes one in place so its lanes and counters carry over. */
  function endpointFor(t: WebhookTarget, old: Endpoint | undefined): Endpoint {
    const types = matcher(t.events)
    const sessions = t.sessionIds ? new Set(t.sessionIds) : null
    const fields = {
      target: t,
      secrets: t.previousSecret ? [t.secret, t.previousSecret] : [t.secret],
      current: [t.secret],
      previousUntil: t.previousSecretExpiresAt ?? 0,
      wants: (e: FanoutEvent) => types(e.type) && (!sessions || (e.sessionId !== null && sessions.has(e.sessionId))),
    }
    if (old) return Object.assign(old, fields)
    return { ...fields, lanes: new Map(), busy: new Set(), queued: 0, inFlight: 0 }
  }

  /** Reloads enabled webhooks; claimed jobs of a webhook that went away are handed back to the table. */
  async function refreshTargets() {
    targetsDirty = false
    const unreadable = (webhookId: string, err: unknown) =>
      logger.error({ webhookId, err }, 'webhook secret cannot be decrypted (was the secret key changed?)')
    const fresh = new Map((await webhooks.enabledTargets(unreadable)).map((t) => [t.id, t]))
    for (const [id, ep] of endpoints) {
      if (fresh.has(id)) continue
      endpoints.delete(id)
      const jobs = [...ep.lanes.values()].flat()
      ep.lanes.clear()
      ep.queued = 0
      if (jobs.length) await deliveries.unclaim(jobs.map((j) => j.pk))
    }
    for (const [id, t] of fresh) endpoints.set(id, endpointFor(t, endpoints.get(id)))
  }

  function enqueue(ep: Endpoint, job: Job) {
    // First attempts share their session's lane (one at a time, in order); a retry gets a lane of its own.
    const lane = job.attemptCount === 0 ? `s:${job.sessionId ?? ''}` : `r:${job.pk}`
    const q = ep.lanes.get(lane)
    if (q) q.push(job)
    else ep.lanes.set(lane, [job])
    ep.queued++
  }

  function pump(ep: Endpoint) {
    if (!running) return
    for (const [lane, q] of ep.lanes) {
      if (ep.inFlight >= o.concurrency) return
      if (ep.busy.has(lane)) continue
      const job = q.shift()!
      if (!q.length) ep.lanes.delete(lane)
      ep.queued--
      ep.inFlight++
      ep.busy.add(lane)
      const p: Promise<void> = send(ep, job)
        .catch((err: unknown) => logger.error({ err, webhookId: ep.target.id }, 'webhook send failed'))
        .finally(() => {
          sending.delete(p)
          ep.inFlight--
          ep.busy.delete(lane)
          if (endpoints.get(ep.target.id) !== ep) return
          pump(ep)
          if (ep.queued < buffer / 2) wake()
        })
      sending.add(p)
    }
  }

  async function send(ep: Endpoint, job: Job) {
    const now = Date.now()
    const secrets = now < ep.previousUntil ? ep.secrets : ep.current
    const r = await attemptDelivery(job, {
      url: ep.target.url,
      secrets,
      schedule: o.schedule,
      timeoutMs: o.timeoutMs,
      userAgent,
      fetch: doFetch,
    })
    outcomes.push({ pk: job.pk, status: r.status, nextAttemptAt: r.nextAttemptAt, attempt: r.attempt })
    o.observe?.({
      status: r.status,
      lagMs: r.status === 'succeeded' && job.eventCreatedAt !== null ? Date.now() - job.eventCreatedAt : null,
    })
    if (r.gone) {
      await flush()
      await webhooks.disable(ep.target.id, 'the endpoint answered 410 Gone')
      logger.warn({ webhookId: ep.target.id }, 'webhook disabled: endpoint answered 410')
    } else scheduleFlush()
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

  // Outcomes are recorded in batches, one transaction each: by the next pass (a send that frees room wakes one),
  // at the latest FLUSH_MS after the first one waiting, or at once past FLUSH_MAX.
  function scheduleFlush() {
    if (outcomes.length >= FLUSH_MAX) return void flush()
    flushTimer ??= setTimeout(() => void flush(), FLUSH_MS)
  }

  /** One pass: fan out, claim what is due, start sends, and arm the timer for the next due retry. */
  async function pass() {
    lastPass = Date.now()
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
          const r = await deliveries.fanOut(t, ep.wants, FANOUT_BATCH)
          t.hwm = r.hwm
          behind ||= r.full
        }
        if (ep.queued >= buffer / 2) continue
        const want = buffer - ep.queued
        const jobs = await deliveries.claim(t.id, want)
        for (const j of jobs) enqueue(ep, j)
        pump(ep)
        if (jobs.length < want) nextDue = Math.min(nextDue, (await deliveries.nextDue(t.id)) ?? Infinity)
      }
      if (behind) wake()
      armDue(nextDue)
    } catch (err) {
      logger.error({ err }, 'webhook dispatch pass failed')
      armDue(Date.now() + 1000)
    }
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
      await Promise.allSettled([...sending])
      await flush()
      await Promise.allSettled([...flushing])
      const unsent = [...endpoints.values()].flatMap((ep) => [...ep.lanes.values()].flat().map((j) => j.pk))
      if (unsent.length) await deliveries.unclaim(unsent)
      endpoints.clear()
    },
    wake,
    /** In-memory figures for metrics and tests. */
    stats: () => ({
      endpoints: endpoints.size,
      queued: [...endpoints.values()].reduce((n, ep) => n + ep.queued, 0),
      inFlight: sending.size,
    }),
  }
}
