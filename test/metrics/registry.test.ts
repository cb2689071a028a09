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
