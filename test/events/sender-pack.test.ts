// Jobs and results cross between the dispatcher and its sender thread as strings (sender.ts): what goes in comes out.
import { describe, expect, it } from 'bun:test'
import { packJobs, packResults, unpackJobs, unpackResults, type SendResult } from '../../src/events/sender.ts'
import type { Job } from '../../src/store/deliveries.ts'

const job = (pk: number, body: string | null, sessionId: string | null = 's1'): Job => ({
  pk,
  id: `dlv_${pk}`,
  webhookId: 'wh_1',
  eventId: `evt_${pk}`,
  sessionId,
  attemptCount: pk % 3,
  body,
  eventCreatedAt: body === null ? null : 1_700_000_000_000 + pk,
})

describe('jobs packed for the sender thread', () => {
  it('come back field for field, bodies included, in order', () => {
    const jobs = [job(1, '{"id":"evt_1","data":{"body":"hi"}}'), job(2, '{"id":"evt_2"}', null), job(3, '{}')]
    expect(unpackJobs('wh_1', packJobs(jobs))).toEqual(jobs)
  })

  it('keep a body holding newlines, emoji outside the BMP and text shaped like a packed header', () => {
    const body = '{"body":"line 1\nline 2 👍🏽 𝄞","x":[1,"a","b",null,0,null,5]}\n[9,"dlv_9","evt_9","s",0,1,2]\n'
    const jobs = [job(1, body), job(2, '{"after":true}')]
    expect(unpackJobs('wh_1', packJobs(jobs))).toEqual(jobs)
  })

  it('keep a pruned event (null body) apart from an empty body', () => {
    const jobs = [job(1, null), job(2, ''), job(3, null)]
    expect(unpackJobs('wh_1', packJobs(jobs))).toEqual(jobs)
  })

  it('pack an empty claim as nothing', () => {
    expect(unpackJobs('wh_1', packJobs([]))).toEqual([])
  })
})

describe('results packed for the dispatcher', () => {
  it('come back field for field', () => {
    const results: SendResult[] = [
      {
        webhookId: 'wh_1',
        pk: 7,
        status: 'succeeded',
        nextAttemptAt: 1_700_000_000_500,
        attempt: { at: 1_700_000_000_400, statusCode: 200, latencyMs: 3, error: null, response: 'ok\n"quoted" 👍' },
        gone: false,
        lagMs: 12,
      },
      {
        webhookId: 'wh_2',
        pk: 8,
        status: 'pending',
        nextAttemptAt: 1_700_000_060_000,
        attempt: { at: 1_700_000_000_400, statusCode: null, latencyMs: 10_000, error: 'timed out', response: null },
        gone: false,
        lagMs: null,
      },
      {
        webhookId: 'wh_1',
        pk: 9,
        status: 'failed',
        nextAttemptAt: 1_700_000_000_400,
        attempt: { at: 1_700_000_000_400, statusCode: 410, latencyMs: 1, error: 'endpoint gone (410)', response: '' },
        gone: true,
        lagMs: null,
      },
    ]
    expect(unpackResults(packResults(results))).toEqual(results)
  })
})
