// The cursor codec: cursors issued before stay valid (the tag's bytes are part of the contract with clients that
// keep a cursor), and any cursor not issued for the listing is a 400, never an exception.
import { describe, expect, it } from 'bun:test'
import { AppError } from '../../src/errors.ts'
import { createCursorCodec } from '../../src/store/cursor.ts'

const codec = createCursorCodec(new Uint8Array(32).fill(3))
const listing = 'messages:s1:123@s.whatsapp.net'

/** The AppError details a decode fails with, or null when it decodes. */
function failure(cursor: string, l = listing): unknown {
  try {
    codec.decode(l, cursor, ['number', 'number'])
    return null
  } catch (e) {
    if (!(e instanceof AppError)) throw e
    return { status: e.status, code: e.errorCode, details: e.details }
  }
}

describe('cursor codec', () => {
  it('encodes the same cursor as every earlier release for the same key, listing and values', () => {
    // Minted with the codec as of f622182 (MAC keyed per call, three updates, tag from the digest's first 12 bytes).
    expect(codec.encode(listing, [1700000000000, 42])).toBe('WzE3MDAwMDAwMDAwMDAsNDJd.JKZF9kqlRfZ8HQHy')
    expect(codec.encode('chats:s1', [0, 1700000000000, 7])).toBe('WzAsMTcwMDAwMDAwMDAwMCw3XQ.XQiMzLWq-JzCS7GS')
  })

  it('decodes a cursor issued by an earlier release', () => {
    expect(codec.decode(listing, 'WzE3MDAwMDAwMDAwMDAsNDJd.JKZF9kqlRfZ8HQHy', ['number', 'number'])).toEqual([
      1700000000000, 42,
    ])
  })

  it('rejects a cursor of another listing', () => {
    expect(failure(codec.encode('messages:s1:other@s.whatsapp.net', [1, 2]))).toEqual({
      status: 400,
      code: 'validation_error',
      details: { cursor: 'not issued for this listing' },
    })
  })

  it('rejects a tag with non-ASCII characters as not issued, without throwing anything else', () => {
    const [payload] = codec.encode(listing, [1, 2]).split('.')
    expect(failure(`${payload}.JKZF9kqlRfZ8HQHé`)).toEqual({
      status: 400,
      code: 'validation_error',
      details: { cursor: 'not issued for this listing' },
    })
  })

  it('rejects a truncated tag', () => {
    expect(failure(codec.encode(listing, [1, 2]).slice(0, -1))).toEqual({
      status: 400,
      code: 'validation_error',
      details: { cursor: 'not issued for this listing' },
    })
  })
})
