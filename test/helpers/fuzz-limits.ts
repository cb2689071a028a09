// The abuse limits under hostile load: the fuzzed binary runs with small limits, so the generated requests
// meet them (a 429 keeps the contract when it carries Retry-After), and exerciseLimits() drives each limit past
// its edge on purpose and reports what broke the contract.
import { contractViolation } from './fuzz-requests.ts'

export const fuzzLimits = { rate: 50, burst: 100, streams: 3, webhooks: 3 }

/** `serve` flags of the fuzzed binary. Loopback webhooks are allowed so the webhook limit can be reached. */
export const fuzzServeFlags = [
  '--max-body-bytes',
  '65536',
  '--rate-limit',
  String(fuzzLimits.rate),
  '--rate-burst',
  String(fuzzLimits.burst),
  '--max-streams-per-org',
  String(fuzzLimits.streams),
  '--max-webhooks-per-org',
  String(fuzzLimits.webhooks),
  '--egress-allow',
  '127.0.0.1',
]

/** Why a 429 breaks the contract (no whole-second Retry-After), or null. */
export const retryAfterViolation = (status: number, retryAfter: string | null) =>
  status === 429 && !/^[1-9]\d*$/.test(retryAfter ?? '') ? `429 without a Retry-After (${retryAfter})` : null

export type LimitsReport = {
  /** Statuses of a burst of `3 × burst` requests sent at once by one fresh key. */
  burst: Record<number, number>
  /** Status of the stream opened past the organisation's limit, and of the webhook created past it. */
  streamRefused: number | null
  webhookRefused: number | null
  violations: string[]
}

export async function exerciseLimits(url: string, adminKey: string): Promise<LimitsReport> {
  const report: LimitsReport = { burst: {}, streamRefused: null, webhookRefused: null, violations: [] }
  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    })
    const streaming = res.headers.get('content-type')?.startsWith('text/event-stream') ?? false
    const text = streaming ? '' : await res.text()
    const broken =
      contractViolation(res.status, res.headers.get('content-type'), text) ??
      retryAfterViolation(res.status, res.headers.get('retry-after'))
    if (broken) report.violations.push(`${method} ${path} → ${res.status}: ${broken}`)
    return { res, text }
  }
  /** The admin key itself may be out of budget after the fuzz run: wait for it as a client would. */
  const asAdmin = async (method: string, path: string, body?: unknown) => {
    for (;;) {
      const r = await call(adminKey, method, path, body)
      // Only the request budget refills by waiting (its details name the burst); the stream cap does not.
      const spent = r.res.status === 429 && r.text.includes('"burst"')
      if (!spent) return r
      await Bun.sleep(Number(r.res.headers.get('retry-after')) * 1000)
    }
  }
  const key = JSON.parse((await asAdmin('POST', '/api/v1/api-keys', { name: 'limits', capabilities: ['read'] })).text)
    .key as string

  const burst = await Promise.all(
    Array.from({ length: 3 * fuzzLimits.burst }, () => call(key, 'GET', '/api/v1/sessions')),
  )
  for (const { res } of burst) report.burst[res.status] = (report.burst[res.status] ?? 0) + 1

  const streams: Response[] = []
  for (let i = 0; i <= fuzzLimits.streams + 10 && report.streamRefused === null; i++) {
    const { res } = await asAdmin('GET', '/api/v1/events/stream')
    if (res.status === 200) streams.push(res)
    else report.streamRefused = res.status
  }
  for (const s of streams) await s.body?.cancel()

  for (let i = 0; i <= fuzzLimits.webhooks && report.webhookRefused === null; i++) {
    const hook = { url: 'http://127.0.0.1:9/limits', events: ['message.received'], enabled: false }
    const { res } = await asAdmin('POST', '/api/v1/webhooks', hook)
    if (res.status !== 201) report.webhookRefused = res.status
  }
  return report
}
