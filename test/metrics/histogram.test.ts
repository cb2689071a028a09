// The hot paths' histogram writes what prom-client's own histogram writes for the same observations.
import { describe, expect, it } from 'bun:test'
import Histogram from 'prom-client/lib/histogram'
import Registry from 'prom-client/lib/registry'
import { FastHistogram } from '../../src/metrics/histogram.ts'

const bounds = [0.001, 0.01, 0.1, 1]
const values = [0.0005, 0.001, 0.002, 0.05, 0.1, 0.7, 3, 12.5]

describe('FastHistogram', () => {
  it('writes the same exposition as prom-client for a labelled histogram', async () => {
    const ours = new Registry()
    const theirs = new Registry()
    const fast = new FastHistogram('t_seconds', 'Test latency', bounds, ['route', 'method'], [ours])
    const prom = new Histogram({
      name: 't_seconds',
      help: 'Test latency',
      labelNames: ['route', 'method'],
      buckets: bounds,
      registers: [theirs],
    })
    const get = fast.labels('/a', 'GET')
    const post = fast.labels('/b "quoted"', 'POST')
    values.forEach((v, i) => {
      get(v)
      prom.observe({ route: '/a', method: 'GET' }, v)
      if (i % 2) {
        post(v)
        prom.observe({ route: '/b "quoted"', method: 'POST' }, v)
      }
    })
    expect(await ours.metrics()).toBe(await theirs.metrics())
  })

  it('writes the same exposition as prom-client for a histogram without labels', async () => {
    const ours = new Registry()
    const theirs = new Registry()
    const observe = new FastHistogram('u_seconds', 'Unlabelled', bounds, [], [ours]).labels()
    const prom = new Histogram({ name: 'u_seconds', help: 'Unlabelled', buckets: bounds, registers: [theirs] })
    for (const v of values) {
      observe(v)
      prom.observe(v)
    }
    expect(await ours.metrics()).toBe(await theirs.metrics())
  })

  it('counts a value equal to a bound in that bound’s bucket', async () => {
    const registry = new Registry()
    const observe = new FastHistogram('b_seconds', 'Bounds', bounds, [], [registry]).labels()
    observe(0.01)
    const text = await registry.metrics()
    expect(text).toContain('b_seconds_bucket{le="0.001"} 0\n')
    expect(text).toContain('b_seconds_bucket{le="0.01"} 1\n')
    expect(text).toContain('b_seconds_bucket{le="+Inf"} 1\n')
  })

  it('reset zeroes every series, and observes handed out before it still count', async () => {
    const registry = new Registry()
    const observe = new FastHistogram('r_seconds', 'Reset', bounds, [], [registry]).labels()
    observe(0.5)
    observe(0.5)
    registry.resetMetrics()
    observe(0.05)
    const text = await registry.metrics()
    expect(text).toContain('r_seconds_count 1\n')
    expect(text).toContain('r_seconds_sum 0.05\n')
    expect(text).toContain('r_seconds_bucket{le="1"} 1\n')
  })

  it('refuses label values that do not name every label', () => {
    const h = new FastHistogram('l_seconds', 'Labels', bounds, ['route', 'method'], [new Registry()])
    expect(() => h.labels('/a')).toThrow('l_seconds takes 2 label values, given 1')
  })
})
