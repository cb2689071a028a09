// Boot and shutdown: reconnect every session that should run, staggered; close every socket on the way out.
import { detach } from './connection.ts'
import type { Context } from './context.ts'
import { locked, settled } from './live.ts'
import { start } from './lifecycle.ts'

/**
 * Restore pace (scripts/bench/memory.ts measures it at 1,000 sessions). Each restore is a WhatsApp login: a Noise
 * handshake, the pre-key count check, the offline queue, a few IQs: CPU on our side, and a burst of logins from one
 * address on WhatsApp's. Started all at once, a thousand logins saturate the event loop: already connected sockets
 * miss their keepalive answers and login timeouts fire, so sessions close and reconnect, a storm of our own making.
 * So at most `restoreConcurrency` logins are in flight (a slot frees when its session is connected, waits for a QR,
 * or closed), and two start at least `restoreStaggerMs` apart, which bounds the login rate WhatsApp sees.
 */
export const restoreDefaults = { concurrency: 8, staggerMs: 20, slotTimeoutMs: 30_000 }

/** Reconnects every session whose desired state is running (see `restoreDefaults` for the pace). */
export async function restoreRunning(ctx: Context): Promise<void> {
  const ids = await ctx.ingest.runningSessions()
  const concurrency = Math.max(1, ctx.options.restoreConcurrency ?? restoreDefaults.concurrency)
  const gap = ctx.options.restoreStaggerMs ?? restoreDefaults.staggerMs
  let next = 0
  let nextStartAt = 0
  async function lane() {
    while (next < ids.length) {
      const id = ids[next++]!
      const now = Date.now()
      const at = Math.max(now, nextStartAt)
      nextStartAt = at + gap
      if (at > now) await Bun.sleep(at - now)
      try {
        await start(ctx, id)
        const live = ctx.lives.get(id)
        if (live?.sock && !live.connected) await settled(live, restoreDefaults.slotTimeoutMs)
      } catch (e) {
        ctx.log.error({ sessionId: id, err: String(e) }, 'restore failed')
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, lane))
}

/** Closes every socket and marks its session stopped; desiredState stays `running`, so the next boot restores it. */
export async function shutdownAll(ctx: Context): Promise<void> {
  ctx.sending.stopAll()
  ctx.downloads?.stopAll()
  await Promise.all(
    [...ctx.lives.entries()].map(([id, live]) =>
      locked(live, async () => {
        await detach(ctx, live)
        await ctx.setStatus(id, { status: 'stopped' })
      }),
    ),
  )
  for (const live of ctx.lives.values()) live.auth.close()
  ctx.lives.clear()
}
