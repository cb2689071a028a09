import { describe, expect, it } from 'bun:test'
import { boundChains, CLOSED_CHAINS_KEPT } from '../../src/whatsapp/session-chains.ts'

const closed = (n: number) => ({ chainKey: { counter: n }, chainType: 2, messageKeys: { [n]: `mk${n}` } })
const open = { chainKey: { counter: 3, key: 'b3Blbg==' }, chainType: 2, messageKeys: {} }
const sending = { chainKey: { counter: 9, key: 'c2VuZA==' }, chainType: 1, messageKeys: {} }

/** A serialized SessionRecord as libsignal writes it: one session entry whose chains were added in this order. */
function record(chains: Record<string, unknown>) {
  return { version: 'v1', _sessions: { base: { registrationId: 7, _chains: chains } } }
}

describe('boundChains', () => {
  it('keeps the newest closed receiving chains, every open chain and the sending chain, in their order', () => {
    const chains: Record<string, unknown> = {}
    for (let i = 1; i <= 50; i++) chains[`r${i}`] = closed(i)
    chains.open = open
    chains.send = sending
    const r = boundChains(record(chains))
    expect(Object.keys(r._sessions.base._chains)).toEqual(['r46', 'r47', 'r48', 'r49', 'r50', 'open', 'send'])
    expect(r._sessions.base._chains.r50).toEqual(closed(50))
    expect(CLOSED_CHAINS_KEPT).toBe(5)
  })

  it('leaves a record with few closed chains as it was', () => {
    const r = record({ r1: closed(1), r2: closed(2), open, send: sending })
    expect(boundChains(structuredClone(r))).toEqual(r)
  })

  it('leaves values that are not session records alone', () => {
    expect(boundChains(null)).toBeNull()
    expect(boundChains({ keyId: 1 })).toEqual({ keyId: 1 })
  })
})
