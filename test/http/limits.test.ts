// Abuse limits: a token bucket per principal (429 + Retry-After), live streams and webhooks per organisation.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { createRateLimiter, unlimited } from '../../src/http/rate-limit.ts'
import { json, testApp, type TestApp } from '../helpers/app.ts'

describe('the token bucket', () => {
  it('allows a burst, then one request per 1/rate seconds, and says how long to wait', () => {
    let t = 1_000_000
    const limiter = createRateLimiter({ ratePerSecond: 2, burst: 3, now: () => t })
    expect([1, 2, 3, 4].map(() => limiter.take('k'))).toEqual([0, 0, 0, 1])
    t += 500
    expect([limiter.take('k'), limiter.take('k')]).toEqual([0, 1])
    t += 10_000
    expect([1, 2, 3, 4].map(() => limiter.take('k'))).toEqual([0, 0, 0, 1])
  })

  it('keeps one bucket per key', () => {
    const limiter = createRateLimiter({ ratePerSecond: 1, burst: 1, now: () => 0 })
    expect([limiter.take('a'), limiter.take('a'), limiter.take('b')]).toEqual([0, 1, 0])
  })

  it('rounds the wait up to whole seconds', () => {
    const limiter = createRateLimiter({ ratePerSecond: 0.25, burst: 1, now: () => 0 })
    expect([limiter.take('k'), limiter.take('k')]).toEqual([0, 4])
  })
})

describe('rate limiting through the API', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await testApp({ limits: { ...unlimited, ratePerSecond: 0.01, burst: 3 } })
  })
  afterAll(() => t.close())

  it('answers 429 rate_limited with Retry-After once a principal spent its burst', async () => {
    const key = t.key(['read'])
    for (let i = 0; i < 3; i++) expect((await t.request('/api/v1/sessions', { token: key })).status).toBe(200)
    const res = await t.request('/api/v1/sessions', { token: key })
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('100')
    expect(await json(res)).toEqual({
      error: {
        code: 'rate_limited',
        message: 'too many requests: at most 0.01/s (burst 3)',
        details: { retryAfter: 100, limit: 0.01, burst: 3 },
      },
    })
  })

  it('does not charge one principal for another', async () => {
    const spent = t.key(['read'])
    for (let i = 0; i < 4; i++) await t.request('/api/v1/sessions', { token: spent })
    expect((await t.request('/api/v1/sessions', { token: t.key(['read']) })).status).toBe(200)
  })

  it('still answers 401 to a request without a valid token', async () => {
    for (let i = 0; i < 5; i++) expect((await t.request('/api/v1/sessions', { token: 'wgk_nope' })).status).toBe(401)
  })

  it('limits a login user like a key', async () => {
    const jwt = await t.jwks.sign({ sub: 'user_rl' })
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await t.request('/api/v1/sessions', { token: jwt })).status)
    expect(statuses).toEqual([200, 200, 200, 429])
  })
})

describe('live event streams per organisation', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await testApp({ limits: { ...unlimited, streamsPerOrg: 2 } })
  })
  afterAll(() => t.close())

  const open = (token?: string) => t.request('/api/v1/events/stream', token ? { token } : {})

  it('answers 429 rate_limited with Retry-After past the limit, and frees a slot when a stream ends', async () => {
    const first = await open()
    const second = await open()
    expect([first.status, second.status]).toEqual([200, 200])
    const refused = await open()
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('5')
    expect(await json(refused)).toEqual({
      error: {
        code: 'rate_limited',
        message: 'this organisation already has 2 live event streams open',
        details: { retryAfter: 5, limit: 2 },
      },
    })
    const other = await open(t.key(['read'], 'other'))
    expect(other.status).toBe(200)
    await first.body!.cancel()
    const again = await open()
    expect(again.status).toBe(200)
    for (const r of [second, other, again]) await r.body!.cancel()
  })
})

describe('webhooks per organisation', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await testApp({ limits: { ...unlimited, webhooksPerOrg: 2 } })
  })
  afterAll(() => t.close())

  const create = (token?: string) =>
    t.request('/api/v1/webhooks', {
      method: 'POST',
      json: { url: 'http://127.0.0.1:9/hook', events: ['*'] },
      ...(token ? { token } : {}),
    })

  it('answers 409 conflict past the limit, and allows one again after a delete', async () => {
    const made = [await create(), await create()]
    expect(made.map((r) => r.status)).toEqual([201, 201])
    const refused = await create()
    expect(refused.status).toBe(409)
    expect(await json(refused)).toEqual({
      error: {
        code: 'conflict',
        message: 'this organisation already has the maximum of 2 webhooks',
        details: { limit: 2 },
      },
    })
    expect((await create(t.key(['manage'], 'other'))).status).toBe(201)
    const { id } = await json(made[0]!)
    expect((await t.request(`/api/v1/webhooks/${id}`, { method: 'DELETE' })).status).toBe(204)
    expect((await create()).status).toBe(201)
  })
})

describe('webhooks per organisation, created concurrently', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await testApp({ limits: { ...unlimited, webhooksPerOrg: 2 } })
  })
  afterAll(() => t.close())

  it('lets exactly the limit through when creates race', async () => {
    const create = () =>
      t.request('/api/v1/webhooks', { method: 'POST', json: { url: 'http://127.0.0.1:9/hook', events: ['*'] } })
    const statuses = (await Promise.all(Array.from({ length: 6 }, create))).map((r) => r.status).sort()
    expect(statuses).toEqual([201, 201, 409, 409, 409, 409])
    expect(t.stores.webhooks.count('acme')).toBe(2)
  })
})
