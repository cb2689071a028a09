// The engine `wagate serve` runs: the session supervisor over the real Baileys, configured from Config.
import { readFileSync } from 'node:fs'
import { ConfigError, type Config } from './config.ts'
import type { EngineFactory } from './server.ts'
import { createEgress, parseAllowList } from './media/egress.ts'
import { mediaFilesOf } from './media/files.ts'
import { createFetchMedia } from './sessions/fetch-media.ts'
import { createSupervisor } from './sessions/supervisor.ts'
import { assertReceiptHook } from './whatsapp/receipt-hook.ts'

/** The PEM `--wa-media-ca` names, or a config error saying why it cannot be used. */
function readMediaCa(path: string): string {
  let pem: string
  try {
    pem = readFileSync(path, 'utf8')
  } catch (e) {
    throw new ConfigError([`waMediaCa: cannot read ${path}: ${(e as Error).message}`])
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new ConfigError([`waMediaCa: ${path} is not a PEM certificate`])
  return pem
}

/** Throws MissingReceiptHook when the loaded Baileys was not patched: no serve may lose messages silently. */
export function makeEngine(config: Config): EngineFactory {
  assertReceiptHook()
  const rootKey = config.waRootKey ? Buffer.from(config.waRootKey, 'base64') : undefined
  const mediaCa = config.waMediaCa ? readMediaCa(config.waMediaCa) : undefined
  return ({ db, stores, secretKey, logger, media }) =>
    createSupervisor({
      db,
      events: stores.events,
      logger,
      secretKey,
      waUrl: config.waUrl,
      rootKey,
      mediaCa,
      deafAfterMs: config.watchdogSilenceMs,
      sending: {
        pacing: { minGapMs: config.sendMinGapMs, jitterMs: config.sendJitterMs, typing: config.sendTyping },
        queueMax: config.sendQueueMax,
        mediaMaxBytes: config.sendMediaMaxBytes,
        media: mediaFilesOf(media, stores.media),
        fetchMedia: createFetchMedia(createEgress({ allow: parseAllowList(config.egressAllow).allow })),
      },
    })
}
