// The lifecycle commands of one session (start, stop, restart, logout, remove, pairing), each run under the
// session's lock so two commands never interleave.
import { AppError } from '../errors.ts'
import { upstreamError } from '../whatsapp/upstream.ts'
import { freshBackoff } from './backoff.ts'
import { connect, detach } from './connection.ts'
import type { Context } from './context.ts'
import { locked } from './live.ts'

export function start(ctx: Context, sessionId: string): Promise<void> {
  const live = ctx.liveOf(sessionId)
  return locked(live, async () => {
    ctx.setStatus(sessionId, { desiredState: 'running' })
    if (live.sock || live.timer) return
    live.backoff = freshBackoff()
    connect(ctx, sessionId, live, 'starting')
  })
}

export function stop(ctx: Context, sessionId: string): Promise<void> {
  const live = ctx.liveOf(sessionId)
  return locked(live, async () => {
    await detach(ctx, live)
    ctx.setStatus(sessionId, { desiredState: 'stopped', status: 'stopped', lastError: null })
  })
}

export function restart(ctx: Context, sessionId: string): Promise<void> {
  const live = ctx.liveOf(sessionId)
  return locked(live, async () => {
    await detach(ctx, live)
    live.backoff = freshBackoff()
    ctx.setStatus(sessionId, { desiredState: 'running' })
    connect(ctx, sessionId, live, 'starting')
  })
}

export function logout(ctx: Context, sessionId: string): Promise<void> {
  const live = ctx.liveOf(sessionId)
  return locked(live, async () => {
    await detach(ctx, live, live.connected)
    live.auth.wipe()
    ctx.setStatus(sessionId, { desiredState: 'stopped', status: 'logged_out', lastError: null })
  })
}

/** Closes the live socket of a session about to be deleted and forgets its live state. */
export async function remove(ctx: Context, sessionId: string): Promise<void> {
  const live = ctx.lives.get(sessionId)
  if (!live) return
  await locked(live, () => detach(ctx, live))
  live.auth.close()
  ctx.lives.delete(sessionId)
  ctx.sending.forget(sessionId)
  ctx.downloads?.pause(sessionId)
}

export function qr(ctx: Context, sessionId: string): { qr: string; expiresAt: number } | null {
  const qr = ctx.lives.get(sessionId)?.qr
  return qr && qr.expiresAt > ctx.clock() ? { ...qr } : null
}

/** Starts the session if needed, waits for its first QR (the pairing step), then asks for a phone-number code. */
export async function requestPairingCode(ctx: Context, sessionId: string, phone: string): Promise<{ code: string }> {
  const live = ctx.liveOf(sessionId)
  if (live.connected || live.auth.isLinked()) throw new AppError('conflict', 'session is already linked')
  if (!live.sock) await start(ctx, sessionId)
  await waitFor(() => !!live.qr, 20_000, 'the session did not reach the pairing step')
  const sock = live.sock
  if (!sock) throw new AppError('conflict', 'session is not waiting for a pairing')
  live.pairing = true
  const code = await sock.requestPairingCode(phone).catch((e: unknown) => {
    throw upstreamError('pairing code request', e)
  })
  ctx.setStatus(sessionId, { status: 'pairing' })
  return { code }
}

async function waitFor(cond: () => boolean, timeoutMs: number, message: string) {
  const until = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > until) throw new AppError('conflict', message)
    await Bun.sleep(50)
  }
}
