import { describe, expect, it } from 'bun:test'
import type { OutboundContent } from '../../src/domain/outbound.ts'
import { pacingOf, planSend } from '../../src/sessions/pacing.ts'

const paced = { minGapMs: 2000, jitterMs: 3000, typing: false }
const text = (t: string): OutboundContent => ({ kind: 'text', text: t, linkPreview: true })
const react: OutboundContent = {
  kind: 'react',
  emoji: '👍',
  target: { chatJid: 'x@s.whatsapp.net', waId: 'A', fromMe: false, senderJid: null },
}

describe('planSend', () => {
  it('sends a session first message at once', () => {
    expect(planSend(paced, text('hi'), null, 10_000, () => 0.5)).toEqual({ idleMs: 0, presence: null, presenceMs: 0 })
  })

  it('waits the minimum gap plus the drawn jitter after the previous send', () => {
    expect(planSend(paced, text('hi'), 10_000, 10_500, () => 0.5).idleMs).toBe(2000 + 1500 - 500)
  })

  it('does not wait when the gap has already passed', () => {
    expect(planSend(paced, text('hi'), 10_000, 60_000, () => 0.99).idleMs).toBe(0)
  })

  it('shows typing for the text length, inside the gap', () => {
    const p = { ...paced, typing: true }
    expect(planSend(p, text('x'.repeat(50)), 10_000, 10_000, () => 0)).toEqual({
      idleMs: 0,
      presence: 'composing',
      presenceMs: 2000,
    })
  })

  it('types at least 800 ms and at most 4 s', () => {
    const p = { ...paced, typing: true, minGapMs: 0, jitterMs: 0 }
    expect(planSend(p, text('k'), null, 0, () => 0).presenceMs).toBe(800)
    expect(planSend(p, text('k'.repeat(10_000)), null, 0, () => 0).presenceMs).toBe(4000)
  })

  it('shows no typing before a reaction', () => {
    expect(planSend({ ...paced, typing: true }, react, null, 0, () => 0).presence).toBe(null)
  })

  it('shows recording before a voice note', () => {
    const ptt: OutboundContent = {
      kind: 'audio',
      sha256: 'a'.repeat(64),
      size: 1,
      mimetype: 'audio/ogg; codecs=opus',
      filename: null,
      caption: null,
      ptt: true,
      viewOnce: false,
    }
    expect(planSend({ ...paced, typing: true }, ptt, null, 0, () => 0).presence).toBe('recording')
  })
})

describe('pacingOf', () => {
  it('takes the session override over the global pacing, field by field', () => {
    expect(pacingOf(paced, { minGapMs: 0, typing: true })).toEqual({ minGapMs: 0, jitterMs: 3000, typing: true })
  })

  it('ignores an override field of the wrong type', () => {
    expect(pacingOf(paced, { minGapMs: -5, jitterMs: 'x' } as never)).toEqual(paced)
  })
})
