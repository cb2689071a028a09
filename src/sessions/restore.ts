// Boot and shutdown: reconnect every session that should run, staggered; close every socket on the way out.
import { detach } from './connection.ts'
import type { Context } from './context.ts'
import { locked } from './live.ts'
import { start } from './lifecycle.ts'

/** Reconnects every session whose desired state is running, one `restoreStaggerMs` apart. */
export async function restoreRunning(ctx: Context): Promise<void> {
  const ids = ctx.ingest.runningSessions()
  for (const [i, id] of ids.entries()) {
    if (i > 0) await Bun.sleep(ctx.options.restoreStaggerMs ?? 250)
    await start(ctx, id).catch((e) => ctx.log.error({ sessionId: id, err: String(e) }, 'restore failed'))
  }
}

/** Closes every socket and marks its session stopped; desiredState stays `running`, so the next boot restores it. */
export async function shutdownAll(ctx: Context): Promise<void> {
  ctx.sending.stopAll()
  ctx.downloads?.stopAll()
  await Promise.all(
    [...ctx.lives.entries()].map(([id, live]) =>
      locked(live, async () => {
        await detach(ctx, live)
        ctx.setStatus(id, { status: 'stopped' })
      }),
    ),
  )
  for (const live of ctx.lives.values()) live.auth.close()
  ctx.lives.clear()
}
