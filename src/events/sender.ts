// Webhook sending: claimed jobs go into per-endpoint lanes and out as signed POSTs under a per-endpoint
// concurrency limit; every finished attempt is reported back to the dispatcher, which records it. First attempts
// of one (webhook, session) share a lane and go one at a time in commit order; a retry gets a lane of its own.
//
// The server runs this in a worker thread (sender-worker.ts, through `workerSender`): the dispatcher's store work
// runs on the event loop in batches (a claim of a few hundred rows, a fan-out of 500 events), and while a batch ran
// every response that had come back waited for it, so all lanes stood still. From the worker, requests keep going
// out of the lanes while the store works. Tests that inject a fetch run it on the dispatcher's thread (`threadSender`).
import type { Job, Outcome } from '../store/deliveries.ts'
import { attemptDelivery, type EgressFetch } from './deliver.ts'

/** Where and how one webhook's jobs are sent. */
export type SenderTarget = {
  id: string
  url: string
  /** The current secret, then the previous one while it is still accepted. */
  secrets: string[]
  /** When the previous secret stops signing (epoch ms; 0 when there is none). */
  previousUntil: number
}

/** One finished attempt, as the dispatcher records it. */
export type SendResult = Outcome & {
  webhookId: string
  /** The endpoint answered 410 Gone: the webhook must be disabled. */
  gone: boolean
  /** The event's age when it was delivered (null unless it succeeded and its event still exists). */
  lagMs: number | null
}

export type SendSettings = {
  /** Retry delays in ms: attempt n+1 waits schedule[n-1]; after the last one the delivery fails. */
  schedule: readonly number[]
  timeoutMs: number
  /** Requests in flight per endpoint. */
  concurrency: number
  userAgent: string
}

/** What the dispatcher sees of a sender, on its own thread or in a worker. */
export type Sender = {
  /** Adds an endpoint or refreshes one in place (its lanes and requests in flight carry over). */
  target(t: SenderTarget): void
  /** Queues claimed jobs of an endpoint (which must have been given by `target`) behind those it has. */
  send(webhookId: string, jobs: Job[]): void
  /** Forgets an endpoint; returns the jobs it had not started. Requests in flight still finish and report. */
  drop(webhookId: string): Promise<number[]>
  /**
   * Stops starting requests, waits for those in flight (bounded by the timeout) and returns the jobs never started;
   * every result is reported before it resolves. The sender is spent afterwards (its thread, if any, is gone).
   */
  stop(): Promise<number[]>
}

type Endpoint = {
  target: SenderTarget
  /** `[current]`, for once the previous secret has expired. */
  current: string[]
  lanes: Map<string, Job[]>
  busy: Set<string>
  inFlight: number
}

/**
 * The lanes and the requests, wherever they run: `report` gets every finished attempt. `fetch` is the egress
 * policy's fetch (src/media/egress.ts), the only way a delivery reaches the network.
 */
export function createLanes(
  o: SendSettings & { fetch: EgressFetch; report: (r: SendResult) => void; failed: (err: unknown, id: string) => void },
) {
  const endpoints = new Map<string, Endpoint>()
  const sending = new Set<Promise<void>>()
  let running = true

  function pump(ep: Endpoint) {
    if (!running) return
    for (const [lane, q] of ep.lanes) {
      if (ep.inFlight >= o.concurrency) return
      if (ep.busy.has(lane)) continue
      const job = q.shift()!
      if (!q.length) ep.lanes.delete(lane)
      ep.inFlight++
      ep.busy.add(lane)
      const p: Promise<void> = attempt(ep, job)
        .catch((err: unknown) => o.failed(err, ep.target.id))
        .finally(() => {
          sending.delete(p)
          ep.inFlight--
          ep.busy.delete(lane)
          if (endpoints.get(ep.target.id) === ep) pump(ep)
        })
      sending.add(p)
    }
  }

  async function attempt(ep: Endpoint, job: Job) {
    const t = ep.target
    const r = await attemptDelivery(job, {
      url: t.url,
      secrets: Date.now() < t.previousUntil ? t.secrets : ep.current,
      schedule: o.schedule,
      timeoutMs: o.timeoutMs,
      userAgent: o.userAgent,
      fetch: o.fetch,
    })
    o.report({
      webhookId: t.id,
      pk: job.pk,
      status: r.status,
      nextAttemptAt: r.nextAttemptAt,
      attempt: r.attempt,
      gone: r.gone,
      lagMs: r.status === 'succeeded' && job.eventCreatedAt !== null ? Date.now() - job.eventCreatedAt : null,
    })
  }

  const unsent = (ep: Endpoint) => [...ep.lanes.values()].flat().map((j) => j.pk)

  return {
    target(t: SenderTarget) {
      const old = endpoints.get(t.id)
      if (old) Object.assign(old, { target: t, current: t.secrets.slice(0, 1) })
      else
        endpoints.set(t.id, {
          target: t,
          current: t.secrets.slice(0, 1),
          lanes: new Map(),
          busy: new Set(),
          inFlight: 0,
        })
    },
    send(webhookId: string, jobs: readonly Job[]) {
      const ep = endpoints.get(webhookId)
      if (!ep) throw new Error(`jobs for an unknown webhook endpoint ${webhookId}`)
      for (const job of jobs) {
        const lane = job.attemptCount === 0 ? `s:${job.sessionId ?? ''}` : `r:${job.pk}`
        const q = ep.lanes.get(lane)
        if (q) q.push(job)
        else ep.lanes.set(lane, [job])
      }
      pump(ep)
    },
    drop(webhookId: string): number[] {
      const ep = endpoints.get(webhookId)
      if (!ep) return []
      endpoints.delete(webhookId)
      return unsent(ep)
    },
    async stop(): Promise<number[]> {
      running = false
      await Promise.allSettled([...sending])
      const pks = [...endpoints.values()].flatMap(unsent)
      endpoints.clear()
      return pks
    },
  }
}

/** A sender on the calling thread: each finished attempt is reported as a batch of one. */
export function threadSender(
  o: SendSettings & { fetch: EgressFetch; report: (rs: SendResult[]) => void; failed: (err: unknown) => void },
): Sender {
  const lanes = createLanes({ ...o, report: (r) => o.report([r]), failed: o.failed })
  return {
    target: lanes.target,
    send: lanes.send,
    drop: async (id) => lanes.drop(id),
    stop: lanes.stop,
  }
}

/** Messages to the worker (`packed`: jobs as `packJobs` writes them). */
export type ToWorker =
  | { op: 'init'; settings: SendSettings; egressAllow: string }
  | { op: 'target'; target: SenderTarget }
  | { op: 'send'; webhookId: string; packed: string }
  | { op: 'drop'; webhookId: string; req: number }
  | { op: 'stop'; req: number }

/** Messages from the worker: results in batches (as `packResults` writes them), answers to drop and stop, errors. */
export type FromWorker =
  { results: string } | { req: number; pks: number[] } | { error: string; webhookId: string | null }

// Jobs and results cross between the threads as strings. Structured-cloning a claim of a few hundred job objects was
// a sixth of the dispatcher's time on the event loop (CPU profile of the delivery bench), and a string crosses as one
// copy. A job is its fields as a JSON array ending with the body's length, a newline, then the body as it is: the
// body (a few hundred bytes of JSON) is neither escaped nor parsed, and is cut by its length, whatever it holds.
type PackedJob = [number, string, string, string | null, number, number | null, number]

export function packJobs(jobs: readonly Job[]): string {
  let out = ''
  for (const j of jobs) {
    const head: PackedJob = [j.pk, j.id, j.eventId, j.sessionId, j.attemptCount, j.eventCreatedAt, j.body?.length ?? -1]
    out += JSON.stringify(head) + '\n' + (j.body ?? '')
  }
  return out
}

export function unpackJobs(webhookId: string, packed: string): Job[] {
  const jobs: Job[] = []
  for (let at = 0; at < packed.length;) {
    const newline = packed.indexOf('\n', at)
    const [pk, id, eventId, sessionId, attemptCount, eventCreatedAt, n] = JSON.parse(
      packed.slice(at, newline),
    ) as PackedJob
    at = newline + 1 + Math.max(n, 0)
    const body = n < 0 ? null : packed.slice(newline + 1, at)
    jobs.push({ pk, id, webhookId, eventId, sessionId, attemptCount, body, eventCreatedAt })
  }
  return jobs
}

type PackedResult = [
  string,
  number,
  SendResult['status'],
  number,
  number,
  number | null,
  number,
  string | null,
  string | null,
  0 | 1,
  number | null,
]

export const packResults = (rs: readonly SendResult[]): string =>
  JSON.stringify(
    rs.map((r): PackedResult => [
      r.webhookId,
      r.pk,
      r.status,
      r.nextAttemptAt,
      r.attempt.at,
      r.attempt.statusCode,
      r.attempt.latencyMs,
      r.attempt.error,
      r.attempt.response,
      r.gone ? 1 : 0,
      r.lagMs,
    ]),
  )

export const unpackResults = (packed: string): SendResult[] =>
  (JSON.parse(packed) as PackedResult[]).map(
    ([webhookId, pk, status, nextAttemptAt, at, statusCode, latencyMs, error, response, gone, lagMs]) => ({
      webhookId,
      pk,
      status,
      nextAttemptAt,
      attempt: { at, statusCode, latencyMs, error, response },
      gone: gone === 1,
      lagMs,
    }),
  )

/**
 * A sender in a worker thread with its own egress policy, built there from the allow list (`--egress-allow`).
 * Results come back in batches, each before the answer to a later `stop`.
 */
export function workerSender(
  o: SendSettings & {
    egressAllow: string
    report: (rs: SendResult[]) => void
    failed: (err: unknown) => void
    /** The thread ended without being asked to: what it held will never report (the caller takes it back). */
    lost: () => void
    /** The thread's script (tests); default sender-worker.ts. */
    script?: string
  },
): Sender {
  // In the compiled binary the worker is an extra entry point laid out under the bundle root (scripts/build.ts);
  // from source it sits next to this file.
  const compiled = import.meta.url.startsWith('file:///$bunfs/')
  const worker = new Worker(
    o.script ?? new URL(compiled ? './events/sender-worker.ts' : './sender-worker.ts', import.meta.url).href,
  )
  const waiting = new Map<number, (pks: number[]) => void>()
  let req = 0
  const post = (m: ToWorker) => worker.postMessage(m)
  let closed = false
  const ask = (m: (req: number) => ToWorker) =>
    new Promise<number[]>((resolve) => {
      if (closed) return resolve([])
      const id = ++req
      waiting.set(id, resolve)
      post(m(id))
    })
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    const m = e.data
    if ('results' in m) o.report(unpackResults(m.results))
    else if ('req' in m) {
      waiting.get(m.req)?.(m.pks)
      waiting.delete(m.req)
    } else o.failed(Object.assign(new Error(m.error), { webhookId: m.webhookId }))
  }
  worker.onerror = (e) => o.failed(new Error(`webhook sender thread failed: ${e.message}`))
  let ending = false
  worker.addEventListener('close', () => {
    closed = true
    for (const resolve of waiting.values()) resolve([])
    waiting.clear()
    if (!ending) o.lost()
  })
  post({
    op: 'init',
    settings: { schedule: o.schedule, timeoutMs: o.timeoutMs, concurrency: o.concurrency, userAgent: o.userAgent },
    egressAllow: o.egressAllow,
  })
  return {
    target: (target) => post({ op: 'target', target }),
    send: (webhookId, jobs) => post({ op: 'send', webhookId, packed: packJobs(jobs) }),
    drop: (webhookId) => ask((req) => ({ op: 'drop', webhookId, req })),
    async stop() {
      const pks = await ask((req) => ({ op: 'stop', req }))
      ending = true
      worker.terminate()
      return pks
    },
  }
}
