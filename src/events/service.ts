// Events out, as `wagate serve` runs it: the webhook dispatcher, the live-stream hub and the retention
// pruner, built from config.
import type { Config } from '../config.ts'
import type { Logger } from '../log.ts'
import type { Repos } from '../store/contract.ts'
import { createDispatcher, type DispatcherOptions } from './dispatcher.ts'
import { createPruner } from './pruner.ts'
import { parseSchedule } from './retry.ts'
import { createSseHub } from './sse.ts'

export type EventDelivery = ReturnType<typeof createEventDelivery>

export function createEventDelivery(
  config: Pick<
    Config,
    'webhookRetrySchedule' | 'webhookTimeoutMs' | 'webhookConcurrency' | 'eventRetentionDays' | 'egressAllow'
  >,
  repos: Pick<Repos, 'events' | 'webhooks' | 'deliveries'>,
  logger: Logger,
  version = 'dev',
  observeDelivery?: DispatcherOptions['observe'],
) {
  const dispatcher = createDispatcher({
    events: repos.events,
    webhooks: repos.webhooks,
    deliveries: repos.deliveries,
    logger: logger.child({ component: 'webhooks' }),
    schedule: parseSchedule(config.webhookRetrySchedule),
    timeoutMs: config.webhookTimeoutMs,
    concurrency: config.webhookConcurrency,
    userAgent: `wagate/${version} (webhooks)`,
    // Requests go out from a worker thread with its own egress policy, built from the same allow list as the
    // server's (src/events/sender.ts): the store work on this event loop never holds back a response.
    egressAllow: config.egressAllow,
    ...(observeDelivery ? { observe: observeDelivery } : {}),
  })
  const pruner = createPruner({
    events: repos.events,
    deliveries: repos.deliveries,
    retentionMs: config.eventRetentionDays * 24 * 3600_000,
    logger,
  })
  const hub = createSseHub(repos.events)
  return {
    dispatcher,
    pruner,
    /** Pass to createApp as `eventHub`. */
    hub,
    async start() {
      pruner.start()
      await dispatcher.start()
    },
    /** Ends every live stream; call before stopping the HTTP server, which waits for open responses. */
    closeStreams: () => hub.close(),
    /** Stops claiming, lets requests in flight finish (bounded by the webhook timeout) and records them. */
    async stop() {
      pruner.stop()
      await dispatcher.stop()
    },
  }
}
