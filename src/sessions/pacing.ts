// Send pacing: how long the sender waits before the next queued operation, as a pure policy.
//
// WhatsApp bans numbers whose sending looks automated: bursts at machine speed and perfectly regular gaps. So
// consecutive sends keep a minimum gap plus a random jitter, and a text can be preceded by "typing…" for a time
// that grows with its length, like a person writing it. Reactions, edits and revokes are quick taps: no typing.
import type { OutboundContent, Pacing, SendPacing } from '../domain/outbound.ts'

export type PacingPlan = {
  /** Wait this long first (nothing shown to the recipient). */
  idleMs: number
  /** Then show this presence for `presenceMs` before sending (none when null). */
  presence: 'composing' | 'recording' | null
  presenceMs: number
}

const TYPING_MS_PER_CHAR = 40
const TYPING_MIN_MS = 800
const TYPING_MAX_MS = 4000

/** The session's pacing: its metadata `sendPacing` fields over the global defaults; invalid fields are ignored. */
export function pacingOf(global: Pacing, own: SendPacing | undefined | null): Pacing {
  const p = { ...global }
  if (own && typeof own === 'object') {
    if (Number.isInteger(own.minGapMs) && own.minGapMs! >= 0) p.minGapMs = own.minGapMs!
    if (Number.isInteger(own.jitterMs) && own.jitterMs! >= 0) p.jitterMs = own.jitterMs!
    if (typeof own.typing === 'boolean') p.typing = own.typing
  }
  return p
}

function presenceFor(c: OutboundContent): { presence: PacingPlan['presence']; ms: number } {
  switch (c.kind) {
    case 'text':
      return { presence: 'composing', ms: TYPING_MS_PER_CHAR * c.text.length }
    case 'audio':
      return c.ptt ? { presence: 'recording', ms: TYPING_MAX_MS } : { presence: 'composing', ms: TYPING_MIN_MS }
    case 'react':
    case 'revoke':
      return { presence: null, ms: 0 }
    case 'edit':
      return { presence: 'composing', ms: TYPING_MS_PER_CHAR * c.text.length }
    default:
      return { presence: 'composing', ms: TYPING_MS_PER_CHAR * ('caption' in c ? (c.caption?.length ?? 0) : 0) }
  }
}

/**
 * The wait before sending `content`: at least `minGapMs + random·jitterMs` after the previous send (none before a
 * session's first send), and with typing on at least the typing time, shown as a presence just before the send.
 */
export function planSend(
  p: Pacing,
  content: OutboundContent,
  lastSentAt: number | null,
  now: number,
  random: () => number,
): PacingPlan {
  const gap = p.minGapMs + Math.floor(random() * p.jitterMs)
  const untilGap = lastSentAt === null ? 0 : Math.max(0, lastSentAt + gap - now)
  const shown = p.typing ? presenceFor(content) : { presence: null, ms: 0 }
  if (!shown.presence) return { idleMs: untilGap, presence: null, presenceMs: 0 }
  const presenceMs = Math.min(TYPING_MAX_MS, Math.max(TYPING_MIN_MS, shown.ms))
  return { idleMs: Math.max(0, untilGap - presenceMs), presence: shown.presence, presenceMs }
}
