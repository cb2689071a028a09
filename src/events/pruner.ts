// Retention: events (and finished deliveries) older than the configured days are deleted in the background.
import type { Logger } from '../log.ts'
import type { DeliveryStore } from '../store/deliveries.ts'
import type { EventStore } from '../store/events.ts'

export type Pruner = ReturnType<typeof createPruner>

export function createPruner(o: {
  events: EventStore
  deliveries: DeliveryStore
  retentionMs: number
  logger: Logger
  intervalMs?: number
}) {
  let timer: ReturnType<typeof setInterval> | null = null
  const runOnce = (now = Date.now()) => {
    const before = now - o.retentionMs
    try {
      const events = o.events.prune(before)
      const deliveries = o.deliveries.prune(before)
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
      runOnce()
      timer ??= setInterval(runOnce, o.intervalMs ?? 3600_000)
      timer.unref?.()
    },
    stop() {
      if (timer) clearInterval(timer)
      timer = null
    },
  }
}
