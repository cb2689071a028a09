// Monotonic ULIDs (https://github.com/ulid/spec) for ids made in bulk (webhook deliveries at fan-out). The `ulid`
// package's monotonicFactory encodes the time again and increments the random part as a base32 string on every
// call (about 1 µs each, a tenth of fan-out's cost per delivery); here the time's ten characters are kept while the
// millisecond lasts and the 80 random bits are two 40-bit integers, incremented as numbers.
import { getRandomValues } from 'node:crypto'

const ENCODING = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const TIME_MAX = 2 ** 48
const HALF = 2 ** 40
/** The last two characters of every id, by the value of the random part's low 10 bits. */
const PAIRS = Array.from({ length: 1024 }, (_, n) => ENCODING[n >> 5]! + ENCODING[n & 31]!)

/** `n` (below 32^len) as `len` Crockford base32 characters. */
function encode(n: number, len: number): string {
  let s = ''
  for (let i = 0; i < len; i++) {
    const m = n % 32
    s = ENCODING[m]! + s
    n = (n - m) / 32
  }
  return s
}

/** 80 random bits as two 40-bit integers (high half first). */
export function random80(): [number, number] {
  const b = getRandomValues(new Uint8Array(10))
  const half = (i: number) =>
    b[i]! * 2 ** 32 + (((b[i + 1]! << 24) | (b[i + 2]! << 16) | (b[i + 3]! << 8) | b[i + 4]!) >>> 0)
  return [half(0), half(5)]
}

/**
 * A ULID factory like the `ulid` package's monotonicFactory: within one millisecond, or when `now` goes back, the
 * next id keeps the last time and increments the random part, so ids it makes sort in the order they were made.
 * Throws when the random part would overflow within one millisecond (2^80 ids), as the package does.
 */
export function monotonicUlid(random: () => [number, number] = random80) {
  let lastTime = -Infinity
  let hi = 0
  let lo = 0
  /** The first 24 characters: time, random high half, and all of the low half but its last 10 bits. */
  let prefix = ''
  const remake = () => (prefix = encode(lastTime, 10) + encode(hi, 8) + encode(Math.floor(lo / 1024), 6))
  return (now: number = Date.now()): string => {
    if (!(now <= lastTime)) {
      if (!Number.isInteger(now) || now < 0 || now >= TIME_MAX) throw new RangeError(`not a ULID time: ${now}`)
      lastTime = now
      ;[hi, lo] = random()
      remake()
    } else if (lo === HALF - 1) {
      if (hi === HALF - 1) throw new RangeError('ULID random part overflowed within one millisecond')
      hi++
      lo = 0
      remake()
    } else if (++lo % 1024 === 0) remake()
    return prefix + PAIRS[lo % 1024]!
  }
}
