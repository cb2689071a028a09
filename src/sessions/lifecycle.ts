// The lifecycle commands of one session (start, stop, restart, logout, remove, pairing), each run under the
// session's lock so two commands never interleave.
import { AppError } from '../errors.ts'
import { upstreamError } from '../whatsapp/upstream.ts'
import { freshBackoff } from './backoff.ts'
import { connect, detach } from './connection.ts'
import type { Context } from './context.ts'
import { locked, settle, type Live } from './live.ts'

export async function start(ctx: Context, sessionId: string): Promise<void> {
  const live = await ctx.liveOf(sessionId)
  return locked(live, async () => {
    await ctx.setStatus(sessionId, { desiredState: 'running' })
    if (live.sock || live.timer) return
    live.backoff = freshBackoff()
    await connect(ctx, sessionId, live, 'starting')
  })
}

export async function stop(ctx: Context, sessionId: string): Promise<void> {
  const live = await ctx.liveOf(sessionId)
  return locked(live, async () => {
    await detach(ctx, live)
    await ctx.setStatus(sessionId, { desiredState: 'stopped', status: 'stopped', lastError: null })
  })
}

export async function restart(ctx: Context, sessionId: string): Promise<void> {
  const live = await ctx.liveOf(sessionId)
  return locked(live, async () => {
    await detach(ctx, live)
    live.backoff = freshBackoff()
    await ctx.setStatus(sessionId, { desiredState: 'running' })
    await connect(ctx, sessionId, live, 'starting')
  })
}

export async function logout(ctx: Context, sessionId: string): Promise<void> {
  const live = await ctx.liveOf(sessionId)
  return locked(live, async () => {
    await detach(ctx, live, live.connected)
    await live.auth.wipe()
    await ctx.setStatus(sessionId, { desiredState: 'stopped', status: 'logged_out', lastError: null })
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
  const live = await ctx.liveOf(sessionId)
  if (live.connected || (await live.auth.isLinked())) throw new AppError('conflict', 'session is already linked')
  if (!live.sock) await start(ctx, sessionId)
  await waitFor(() => !!live.qr, 20_000, 'the session did not reach the pairing step')
  const sock = live.sock
  if (!sock) throw new AppError('conflict', 'session is not waiting for a pairing')
  live.pairing = true
  const code = await sock.requestPairingCode(phone).catch((e: unknown) => {
    throw upstreamError('pairing code request', e)
  })
  await ctx.setStatus(sessionId, { status: 'pairing' })
  return { code }
}

async function waitFor(cond: () => boolean, timeoutMs: number, message: string) {
  const until = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > until) throw new AppError('conflict', message)
    await Bun.sleep(50)
  }
}

// Lease-driven ownership (cluster mode, src/cluster/node.ts): the lease manager, not the API, decides which node
// runs a session's socket. These three never change the desired state, which is the API's.

/** This node now holds the session's lease: open its socket from the stored auth state (linked: no QR). */
export async function acquire(ctx: Context, sessionId: string): Promise<void> {
  const live = await ctx.liveOf(sessionId)
  return locked(live, async () => {
    if (live.sock || live.timer) return
    live.backoff = freshBackoff()
    await connect(ctx, sessionId, live, 'starting')
  })
}

/**
 * Handing the session to another node (rebalance, drain, stopped through the API): close the socket gracefully
 * (buffered events stored) and record it stopped while the lease is still ours, then forget the live state so a later acquisition reads the
 * auth state afresh from the database (the next owner moves it on).
 */
export async function release(ctx: Context, sessionId: string): Promise<void> {
  const live = ctx.lives.get(sessionId)
  if (!live) return
  await locked(live, async () => {
    ctx.sending.forget(sessionId)
    ctx.downloads?.pause(sessionId)
    // A session that ended on its own (logged out, failed) keeps the status that says why.
    const running = !!(live.sock || live.timer)
    await detach(ctx, live)
    if (running) await ctx.setStatus(sessionId, { status: 'stopped' })
  })
  forget(ctx, sessionId, live)
}

/**
 * The lease is lost or may be (taken, renew deadline passed): end the socket at once, without waiting for a
 * lifecycle change in flight and without writing anything (writes are fenced and would fail anyway). Its events are
 * no longer current, so its late key and creds writes are dropped and its receipt hook stores nothing.
 */
export function drop(ctx: Context, sessionId: string): void {
  const live = ctx.lives.get(sessionId)
  if (!live) return
  ctx.sending.forget(sessionId)
  ctx.downloads?.pause(sessionId)
  live.generation++
  settle(live)
  if (live.timer) clearTimeout(live.timer)
  live.timer = null
  live.watchdog?.stop()
  const sock = live.sock
  live.sock = null
  live.connected = false
  live.qr = null
  sock?.kill('lease lost')
  forget(ctx, sessionId, live)
}

function forget(ctx: Context, sessionId: string, live: Live) {
  if (ctx.lives.get(sessionId) !== live) return
  ctx.lives.delete(sessionId)
  live.auth.close()
}
