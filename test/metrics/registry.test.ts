// The HTTP request counter is tallied between scrapes: every scrape shows the exact total so far.
import { describe, expect, it } from 'bun:test'
import { createMetrics } from '../../src/metrics/registry.ts'

const gauges = { sessionsByStatus: () => [], outboxBacklog: () => 0, sendQueueDepth: () => 0 }
const metricsOf = () => createMetrics({ gauges: gauges as never, sseClients: () => 0 })
const line = (text: string, labels: string) =>
  text.split('\n').find((l) => l.startsWith(`wagate_http_requests_total{${labels}}`))

describe('wagate_http_requests_total', () => {
  it('counts each request under its route, method and status', async () => {
    const m = metricsOf()
    for (let i = 0; i < 3; i++) m.observeRequest('/api/v1/sessions/:sid/chats', 'GET', 200, 0.001)
    m.observeRequest('/api/v1/sessions/:sid/chats', 'GET', 404, 0.001)
    m.observeRequest('unmatched', 'POST', 404, 0.001)
    const text = await m.text()
    expect(line(text, 'route="/api/v1/sessions/:sid/chats",method="GET",status="200"')).toEndWith(' 3')
    expect(line(text, 'route="/api/v1/sessions/:sid/chats",method="GET",status="404"')).toEndWith(' 1')
    expect(line(text, 'route="unmatched",method="POST",status="404"')).toEndWith(' 1')
  })

  it('a second scrape shows the running total, not the count since the first', async () => {
    const m = metricsOf()
    m.observeRequest('/api/v1/me', 'GET', 200, 0.001)
    m.observeRequest('/api/v1/me', 'GET', 200, 0.001)
    expect(line(await m.text(), 'route="/api/v1/me",method="GET",status="200"')).toEndWith(' 2')
    expect(line(await m.text(), 'route="/api/v1/me",method="GET",status="200"')).toEndWith(' 2')
    m.observeRequest('/api/v1/me', 'GET', 200, 0.001)
    expect(line(await m.text(), 'route="/api/v1/me",method="GET",status="200"')).toEndWith(' 3')
  })

  it('the latency histogram still counts every request', async () => {
    const m = metricsOf()
    for (let i = 0; i < 4; i++) m.observeRequest('/api/v1/me', 'GET', 200, 0.002)
    const count = (await m.text())
      .split('\n')
      .find((l) => l.startsWith('wagate_http_request_duration_seconds_count{route="/api/v1/me",method="GET"}'))
    expect(count).toEndWith(' 4')
  })
})

describe('wagate_webhook_deliveries_total', () => {
  const attempts = (text: string, outcome: string) =>
    text.split('\n').find((l) => l.startsWith(`wagate_webhook_deliveries_total{outcome="${outcome}"}`))

  it('counts each attempt under its outcome, a running total across scrapes', async () => {
    const m = metricsOf()
    m.observeDelivery({ status: 'succeeded', lagMs: 12 })
    m.observeDelivery({ status: 'succeeded', lagMs: 30 })
    m.observeDelivery({ status: 'pending', lagMs: null })
    const first = await m.text()
    expect(attempts(first, 'succeeded')).toBe('wagate_webhook_deliveries_total{outcome="succeeded"} 2')
    expect(attempts(first, 'retrying')).toBe('wagate_webhook_deliveries_total{outcome="retrying"} 1')
    expect(attempts(first, 'failed')).toBeUndefined()
    m.observeDelivery({ status: 'succeeded', lagMs: 5 })
    m.observeDelivery({ status: 'failed', lagMs: null })
    const second = await m.text()
    expect(attempts(second, 'succeeded')).toBe('wagate_webhook_deliveries_total{outcome="succeeded"} 3')
    expect(attempts(second, 'retrying')).toBe('wagate_webhook_deliveries_total{outcome="retrying"} 1')
    expect(attempts(second, 'failed')).toBe('wagate_webhook_deliveries_total{outcome="failed"} 1')
  })

  it('observes the lag of succeeded attempts only', async () => {
    const m = metricsOf()
    m.observeDelivery({ status: 'succeeded', lagMs: 12 })
    m.observeDelivery({ status: 'pending', lagMs: null })
    const text = await m.text()
    expect(text).toContain('wagate_webhook_delivery_lag_seconds_count 1\n')
    expect(text).toContain('wagate_webhook_delivery_lag_seconds_sum 0.012\n')
  })
})
