// The engine `wagate serve` runs: the session supervisor over the real Baileys, configured from Config.
import type { Config } from './config.ts'
import type { EngineFactory } from './server.ts'
import { createEgress, parseAllowList } from './media/egress.ts'
import { createOutboundFiles } from './media/outbound-files.ts'
import { createFetchMedia } from './sessions/fetch-media.ts'
import { createSupervisor } from './sessions/supervisor.ts'
import { assertReceiptHook } from './whatsapp/receipt-hook.ts'

/** Throws MissingReceiptHook when the loaded Baileys was not patched: no serve may lose messages silently. */
export function makeEngine(config: Config): EngineFactory {
  assertReceiptHook()
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
        fetchMedia: createFetchMedia(createEgress({ allow: parseAllowList(config.egressAllow).allow })),
      },
    })
}
