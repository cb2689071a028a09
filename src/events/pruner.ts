// Retention: events (and finished deliveries) older than the configured days are deleted in the background.
import type { Logger } from '../log.ts'
import type { Repos } from '../store/contract.ts'

export type Pruner = ReturnType<typeof createPruner>

export function createPruner(o: {
  events: Pick<Repos['events'], 'prune'>
  deliveries: Pick<Repos['deliveries'], 'prune'>
  retentionMs: number
  logger: Logger
  intervalMs?: number
}) {
  let timer: ReturnType<typeof setInterval> | null = null
  const runOnce = async (now = Date.now()) => {
    const before = now - o.retentionMs
    try {
      const events = await o.events.prune(before)
      const deliveries = await o.deliveries.prune(before)
      if (events || deliveries) o.logger.info({ events, deliveries }, 'pruned expired events')
      return { events, deliveries }
    } catch (err) {
      o.logger.error({ err }, 'pruning events failed')
      return { events: 0, deliveries: 0 }
    }
  }
  return {
    runOnce,
    /** Prunes now, then every `intervalMs` (default an hour). */
    start() {
      void runOnce() // never rejects: failures are logged
      timer ??= setInterval(() => void runOnce(), o.intervalMs ?? 3600_000)
      timer.unref?.()
    },
    stop() {
      if (timer) clearInterval(timer)
      timer = null
    },
  }
}
