// `--media-retention-days`: drop older media now and every hour (files nobody else references are deleted). Every
// node of a cluster may run it: expired references are taken with SKIP LOCKED, so two nodes never drop the same one.
import type { Logger } from '../log.ts'
import type { MediaStore } from './store.ts'

/** Starts the hourly run (the first one now); null when retention is off. Stop it with clearInterval. */
export function startRetention(days: number | undefined, media: MediaStore, logger: Logger) {
  if (!days) return null
  const run = () =>
    media.retain(days).then(
      (n) => {
        if (n) logger.info({ dropped: n, days }, 'media retention')
      },
      (err: unknown) => logger.error({ err }, 'media retention failed'),
    )
  void run()
  const timer = setInterval(() => void run(), 3_600_000)
  timer.unref()
  return timer
}
