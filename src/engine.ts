// The engine `wagate serve` runs: the session supervisor over the real Baileys, configured from Config.
import type { Config } from './config.ts'
import type { EngineFactory } from './server.ts'
import { createOutboundFiles } from './media/outbound-files.ts'
import { createSupervisor } from './sessions/supervisor.ts'

export function makeEngine(config: Config): EngineFactory {
  const rootKey = config.waRootKey ? Buffer.from(config.waRootKey, 'base64') : undefined
  return ({ db, stores, secretKey, logger }) =>
    createSupervisor({
      db,
      events: stores.events,
      logger,
      secretKey,
      waUrl: config.waUrl,
      rootKey,
      deafAfterMs: config.watchdogSilenceMs,
      sending: {
        pacing: { minGapMs: config.sendMinGapMs, jitterMs: config.sendJitterMs, typing: config.sendTyping },
        queueMax: config.sendQueueMax,
        mediaMaxBytes: config.sendMediaMaxBytes,
        media: createOutboundFiles(config.dataDir),
      },
    })
}
