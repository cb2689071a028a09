import { describe, expect, test } from 'bun:test'
import { decodeTime, isValid, monotonicFactory } from 'ulid'
import { monotonicUlid, random80 } from '../../src/store/ulid.ts'

const NOW = 1_764_633_600_123 // 2025-12-02T00:00:00.123Z
const TIME = monotonicFactory(() => 0)(NOW).slice(0, 10)

describe('monotonicUlid', () => {
  test('time, then the random part as drawn, then increments within the millisecond', () => {
    const ulid = monotonicUlid(() => [0, 0])
    expect(TIME).toBe('01KBE5QR3V') // the `ulid` package's encoding of NOW
    expect(ulid(NOW)).toBe(`${TIME}0000000000000000`)
    expect(ulid(NOW)).toBe(`${TIME}0000000000000001`)
    expect(ulid(NOW)).toBe(`${TIME}0000000000000002`)
  })

  test('a new millisecond draws a new random part; a clock that goes back keeps the last time and increments', () => {
    const draws: [number, number][] = [
      [1, 31],
      [2 ** 40 - 1, 1023],
    ]
    const ulid = monotonicUlid(() => draws.shift()!)
    expect(ulid(NOW)).toBe(`${TIME}000000010000000Z`)
    expect(ulid(NOW - 5)).toBe(`${TIME}0000000100000010`)
    const next = ulid(NOW + 1)
    expect(next).toBe(`${next.slice(0, 10)}ZZZZZZZZ000000ZZ`)
    expect(decodeTime(next)).toBe(NOW + 1)
    expect(ulid(NOW + 1)).toBe(`${next.slice(0, 10)}ZZZZZZZZ00000100`)
  })

  test('the low half carries into the high half; past 2^80 in one millisecond it throws', () => {
    const ulid = monotonicUlid(() => [5, 2 ** 40 - 1])
    expect(ulid(NOW)).toBe(`${TIME}00000005ZZZZZZZZ`)
    expect(ulid(NOW)).toBe(`${TIME}0000000600000000`)
    const full = monotonicUlid(() => [2 ** 40 - 1, 2 ** 40 - 1])
    expect(full(NOW)).toBe(`${TIME}ZZZZZZZZZZZZZZZZ`)
    expect(() => full(NOW)).toThrow('ULID random part overflowed within one millisecond')
    expect(() => full(NOW)).toThrow('ULID random part overflowed within one millisecond')
    expect(full(NOW + 1)).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/)
  })

  test('refuses a time a ULID cannot hold', () => {
    const ulid = monotonicUlid()
    expect(() => ulid(1.5)).toThrow('not a ULID time: 1.5')
    expect(() => ulid(2 ** 48)).toThrow(`not a ULID time: ${2 ** 48}`)
    expect(() => ulid(-1)).toThrow('not a ULID time: -1')
    expect(() => ulid(NaN)).toThrow('not a ULID time: NaN')
  })

  test('with real randomness: valid ULIDs of the given time, strictly increasing across 3,000 ids and a carry', () => {
    const ulid = monotonicUlid()
    const ids = [...Array.from({ length: 2000 }, () => ulid(NOW)), ...Array.from({ length: 1000 }, () => ulid(NOW + 1))]
    expect(new Set(ids).size).toBe(3000)
    expect(ids.every((id) => isValid(id) && id.length === 26)).toBe(true)
    expect(ids.slice(0, 2000).every((id) => decodeTime(id) === NOW)).toBe(true)
    expect(ids.slice(2000).every((id) => decodeTime(id) === NOW + 1)).toBe(true)
    expect(ids.every((id, i) => i === 0 || ids[i - 1]! < id)).toBe(true)
  })

  test('random80 gives two integers of 40 bits', () => {
    for (let i = 0; i < 100; i++) {
      const [hi, lo] = random80()
      for (const half of [hi, lo]) {
        expect(Number.isInteger(half)).toBe(true)
        expect(half).toBeGreaterThanOrEqual(0)
        expect(half).toBeLessThan(2 ** 40)
      }
    }
  })
})
