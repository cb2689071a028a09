// The status a stored message's media starts with: --media-auto-download kinds, --media-max-bytes, live or history.
import { expect, it } from 'bun:test'
import { initialMediaStatus, type MediaPolicy } from '../../src/sessions/ingest-media.ts'
import type { MessageRecord } from '../../src/whatsapp/records.ts'

const policy: MediaPolicy = { autoDownload: ['image', 'document'], maxBytes: 1000 }
const record = (over: Partial<MessageRecord> = {}, src: Partial<NonNullable<MessageRecord['mediaSource']>> = {}) =>
  ({
    type: 'image',
    media: { mimetype: 'image/jpeg', filename: null, size: 10 },
    mediaSource: {
      kind: 'image',
      mediaKey: new Uint8Array(32),
      directPath: '/p',
      url: null,
      fileSha256: null,
      fileEncSha256: null,
      size: 10,
      ...src,
    },
    ...over,
  }) as MessageRecord

it('queues live media of an allowed kind within the size cap', () => {
  expect(initialMediaStatus(record(), true, policy)).toBe('pending')
})
it('skips a kind not in --media-auto-download', () => {
  expect(initialMediaStatus(record({ type: 'video' }), true, policy)).toBe('skipped')
})
it('skips media larger than --media-max-bytes', () => {
  expect(initialMediaStatus(record({}, { size: 1001 }), true, policy)).toBe('skipped')
})
it('skips media from a history sync', () => {
  expect(initialMediaStatus(record(), false, policy)).toBe('skipped')
})
it('fails media without a key or path at once', () => {
  expect(initialMediaStatus(record({}, { mediaKey: null }), true, policy)).toBe('failed')
  expect(initialMediaStatus(record({}, { directPath: null }), true, policy)).toBe('failed')
})
it('keeps the status a sent message brings (its file is stored already)', () => {
  expect(
    initialMediaStatus(
      record({ media: { mimetype: 'image/png', filename: null, size: 5, status: 'stored' } }),
      true,
      policy,
    ),
  ).toBe('stored')
})
it('has no status for a message without media', () => {
  expect(initialMediaStatus(record({ media: null, mediaSource: null }), true, policy)).toBeNull()
})
