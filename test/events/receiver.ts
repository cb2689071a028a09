// A real webhook receiver on 127.0.0.1 that verifies Standard Webhooks signatures exactly as the README
// tells integrators to (written here independently of src/events/signing.ts), and records what it got.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { waitFor as wait } from '../helpers/wait.ts'

export type Received = {
  id: string
  timestamp: number
  signatures: string[]
  body: string
  event: { id: string; type: string; createdAt: number; orgId: string; sessionId: string | null; data: any }
  valid: boolean
  at: number
}

/** The README's verification: any `v1,` signature over `id.timestamp.body` under the secret, and a fresh timestamp. */
export function verify(secret: string, headers: Headers, body: string, toleranceSec = 300, now = Date.now()): boolean {
  const id = headers.get('webhook-id')
  const ts = headers.get('webhook-timestamp')
  const sigs = headers.get('webhook-signature')
  if (!id || !ts || !sigs) return false
  if (Math.abs(now / 1000 - Number(ts)) > toleranceSec) return false
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64')
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest()
  return sigs.split(' ').some((s) => {
    const [version, sig] = s.split(',')
    const given = Buffer.from(sig ?? '', 'base64')
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected)
  })
}

export type Reply = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number }

/** Starts a receiver; `reply` decides each answer (default 204). `secret` may be set after creating the webhook. */
export function startReceiver(
  opts: { reply?: (r: Received, n: number) => Reply | Promise<Reply>; port?: number } = {},
) {
  const received: Received[] = []
  /** `skewMs` shifts the receiver's clock, to play a request captured earlier and replayed later. */
  const state = { secret: '', reply: opts.reply, skewMs: 0, inFlight: 0, maxInFlight: 0 }
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: opts.port ?? 0,
    async fetch(req) {
      state.maxInFlight = Math.max(state.maxInFlight, ++state.inFlight)
      try {
        return await handle(req)
      } finally {
        state.inFlight--
      }
    },
  })
  async function handle(req: Request) {
    const body = await req.text()
    const r: Received = {
      id: req.headers.get('webhook-id') ?? '',
      timestamp: Number(req.headers.get('webhook-timestamp')),
      signatures: (req.headers.get('webhook-signature') ?? '').split(' '),
      body,
      event: JSON.parse(body),
      valid: state.secret ? verify(state.secret, req.headers, body, 300, Date.now() + state.skewMs) : false,
      at: Date.now(),
    }
    received.push(r)
    const out = (await state.reply?.(r, received.length)) ?? { status: 204 }
    if (out.delayMs) await Bun.sleep(out.delayMs)
    if (!r.valid && state.secret) return new Response('bad signature', { status: 401 })
    return new Response(out.body ?? null, { status: out.status, headers: out.headers })
  }
  return {
    url: `http://127.0.0.1:${server.port}/hook`,
    port: server.port!,
    received,
    state,
    ids: () => received.map((r) => r.id),
    stop: () => server.stop(true),
  }
}

/** Polls `cond` every 10 ms until it holds; fails after `timeoutMs` (this suite's argument order). */
export const waitFor = (cond: () => boolean, timeoutMs = 10_000, what = 'condition') =>
  wait(what, cond, timeoutMs, 10).then(() => undefined)
