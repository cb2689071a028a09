import { describe, expect, it } from 'bun:test'
import { decide, defaultBackoff, freshBackoff, opened, retryDelay } from '../../src/sessions/backoff.ts'

const linked = (code: number | undefined, message = '') => ({ code, message, linked: true })
const half = () => 0.5 // no jitter

describe('reconnect policy', () => {
  it('reconnects at once on 515, even before the first login', () => {
    for (const l of [true, false]) {
      const { decision } = decide({ code: 515, message: 'restart required', linked: l }, freshBackoff(), 0)
      expect(decision).toMatchObject({ action: 'reconnect', delayMs: 0 })
    }
  })

  it('stops on 401 and wipes the creds', () => {
    expect(decide(linked(401), freshBackoff(), 0).decision).toMatchObject({
      action: 'stop',
      status: 'logged_out',
      wipeCreds: true,
    })
  })

  it('stops on 403 and 411 without wiping', () => {
    for (const code of [403, 411]) {
      expect(decide(linked(code), freshBackoff(), 0).decision).toMatchObject({
        action: 'stop',
        status: 'failed',
        wipeCreds: false,
      })
    }
  })

  it('wipes half-written creds when pairing fails', () => {
    const { decision } = decide({ code: 428, message: 'Connection Closed', linked: false }, freshBackoff(), 0)
    expect(decision).toMatchObject({ action: 'stop', status: 'failed', wipeCreds: true })
  })

  it('stops when the QR codes run out', () => {
    const { decision } = decide({ code: 408, message: 'QR refs attempts ended', linked: false }, freshBackoff(), 0)
    expect(decision).toMatchObject({ action: 'stop', wipeCreds: true })
    expect(decision.reason).toContain('QR code expired')
  })

  it('fails with a clear error when the server certificate is not trusted', () => {
    const { decision } = decide(
      { code: 500, message: 'noise certificate signature invalid', linked: true },
      freshBackoff(),
      0,
    )
    expect(decision).toMatchObject({ action: 'stop', status: 'failed', wipeCreds: false })
    expect(decision.reason).toContain('trusted WhatsApp root')
  })

  it('backs off on 440 and stops after a loop within the window', () => {
    let state = freshBackoff()
    const delays: number[] = []
    for (let i = 0; i < defaultBackoff.conflictLimit - 1; i++) {
      const r = decide(linked(440), state, i * 1000, defaultBackoff, half)
      expect(r.decision.action).toBe('reconnect')
      if (r.decision.action === 'reconnect') delays.push(r.decision.delayMs)
      state = opened(r.state) // each reconnect succeeds; the loop is still detected
    }
    expect(delays[0]).toBeGreaterThan(0)
    const last = decide(linked(440), state, 5000, defaultBackoff, half)
    expect(last.decision).toMatchObject({ action: 'stop', status: 'failed' })
  })

  it('forgets 440s older than the window', () => {
    const state = { attempts: 0, conflicts: [0, 1000] }
    const later = defaultBackoff.conflictWindowMs + 2000
    expect(decide(linked(440), state, later).decision.action).toBe('reconnect')
  })

  it('backs off exponentially with a cap on other codes, and gives up after maxAttempts', () => {
    let state = freshBackoff()
    const delays: number[] = []
    for (let i = 0; i < defaultBackoff.maxAttempts; i++) {
      const r = decide(linked(428, 'Connection Closed'), state, 0, defaultBackoff, half)
      if (r.decision.action !== 'reconnect') throw new Error('expected a reconnect')
      expect(r.decision.status).toBe('reconnecting')
      delays.push(r.decision.delayMs)
      state = r.state
    }
    expect(delays.slice(0, 4)).toEqual([1000, 2000, 4000, 8000])
    expect(Math.max(...delays)).toBe(defaultBackoff.capMs)
    expect(decide(linked(428), state, 0).decision).toMatchObject({ action: 'stop', status: 'failed' })
  })

  it('jitters each delay within ±25 %', () => {
    expect(retryDelay(2, defaultBackoff, () => 0)).toBe(3000)
    expect(retryDelay(2, defaultBackoff, () => 1)).toBe(5000)
  })
})
