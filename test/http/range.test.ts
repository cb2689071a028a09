// The Range header as RFC 9110 reads it: one byte range, or the whole file.
import { expect, it } from 'bun:test'
import { parseRange } from '../../src/http/range.ts'

const cases: [string | null, number, ReturnType<typeof parseRange>][] = [
  [null, 100, { kind: 'full' }],
  ['bytes=0-9', 100, { kind: 'partial', start: 0, end: 9 }],
  ['bytes=90-', 100, { kind: 'partial', start: 90, end: 99 }],
  ['bytes=90-500', 100, { kind: 'partial', start: 90, end: 99 }],
  ['bytes=-10', 100, { kind: 'partial', start: 90, end: 99 }],
  ['bytes=-500', 100, { kind: 'partial', start: 0, end: 99 }],
  ['bytes=100-', 100, { kind: 'unsatisfiable' }],
  ['bytes=-0', 100, { kind: 'unsatisfiable' }],
  ['bytes=0-1,5-6', 100, { kind: 'full' }],
  ['items=0-1', 100, { kind: 'full' }],
  ['bytes=9-2', 100, { kind: 'full' }],
]
for (const [header, size, want] of cases)
  it(`reads ${JSON.stringify(header)} of ${size} bytes as ${JSON.stringify(want)}`, () => {
    expect(parseRange(header, size)).toEqual(want)
  })
