// One pino logger (JSON lines) for wagate and, through child loggers, for Baileys.
import pino, { type Logger } from 'pino'

export type { Logger }

/** Creates the root logger. Secrets never go through it: callers log ids, not tokens or keys. */
export function createLogger(level: string = 'info'): Logger {
  return pino({
    level,
    base: { app: 'wagate' },
    redact: { paths: ['*.authorization', '*.key', '*.secret', '*.token', '*.privKey'], censor: '[redacted]' },
  })
}
