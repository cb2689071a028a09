// The engine `wagate serve` runs: the session supervisor over the real Baileys, configured from Config, on the SQLite
// data dir or (`--database-url`) as a cluster node on PostgreSQL.
import { readFileSync } from 'node:fs'
import { autoDownloadKinds, ConfigError, type Config } from './config.ts'
import type { EngineFactory } from './server.ts'
import { createEgress, parseAllowList, type AllowList } from './media/egress.ts'
import { inCidr, parseIp } from './media/ip-ranges.ts'
import { mediaFilesOf } from './media/files.ts'
import { createLinkPreviewer } from './media/link-preview.ts'
import { createFetchMedia } from './sessions/fetch-media.ts'
import { isWhatsAppMediaHost } from './sessions/media-downloads.ts'
import type { ClusterEngineFactory } from './cluster/serve.ts'
import type { Logger } from './log.ts'
import type { MediaStore } from './media/store.ts'
import { pgEngineStore, sqliteEngineStore, type EngineStore } from './sessions/engine-store.ts'
import { createSupervisor, type SupervisorOptions } from './sessions/supervisor.ts'
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

/** A media host (`host[:port]` from a message's url) the operator listed in --egress-allow (e.g. the simulator's). */
function listed(allow: AllowList, host: string): boolean {
  const name = host
    .replace(/:\d+$/, '')
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase()
  if (allow.hosts.has(name)) return true
  const ip = parseIp(name)
  return !!ip && allow.cidrs.some((c) => inCidr(ip, c))
}

/** What a supervisor of `serve` is built from besides the configuration: its store and the process's parts. */
type EngineParts = { store: EngineStore; secretKey: Buffer; logger: Logger; media: MediaStore }

/**
 * The supervisor options `serve` derives from its configuration, the same on SQLite and PostgreSQL. Throws
 * MissingReceiptHook when the loaded Baileys was not patched: no serve may lose messages silently.
 */
function supervisorOptions(config: Config): (parts: EngineParts) => SupervisorOptions {
  assertReceiptHook()
  const rootKey = config.waRootKey ? Buffer.from(config.waRootKey, 'base64') : undefined
  const mediaCa = config.waMediaCa ? readMediaCa(config.waMediaCa) : undefined
  const allow = parseAllowList(config.egressAllow).allow
  return ({ store, secretKey, logger, media }) => ({
    store,
    logger,
    secretKey,
    waUrl: config.waUrl,
    rootKey,
    mediaCa,
    deafAfterMs: config.watchdogSilenceMs,
    restoreConcurrency: config.restoreConcurrency,
    restoreStaggerMs: config.restoreStaggerMs,
    sending: {
      pacing: { minGapMs: config.sendMinGapMs, jitterMs: config.sendJitterMs, typing: config.sendTyping },
      queueMax: config.sendQueueMax,
      mediaMaxBytes: config.mediaMaxBytes,
      media: mediaFilesOf(media),
      fetchMedia: createFetchMedia(createEgress({ allow })),
      linkPreviews: createLinkPreviewer(createEgress({ allow })),
    },
    downloads: {
      store: media,
      policy: { autoDownload: autoDownloadKinds(config), maxBytes: config.mediaMaxBytes },
      hostAllowed: (host) => isWhatsAppMediaHost(host) || listed(allow, host),
    },
  })
}

/** The engine of `serve` on the SQLite data dir. */
export function makeEngine(config: Config): EngineFactory {
  const options = supervisorOptions(config)
  return ({ db, stores, secretKey, logger, media }) =>
    createSupervisor(options({ store: sqliteEngineStore(db, stores.events), secretKey, logger, media }))
}

/**
 * The engine of `serve --database-url` (a cluster node): the same supervisor on PostgreSQL, every write of a session
 * fenced by the lease this node holds for it; the node's leases, not a restore at boot, decide which sessions run.
 */
export function makeClusterEngine(config: Config): ClusterEngineFactory {
  const options = supervisorOptions(config)
  return ({ pg, secretKey, logger, media, leaseOf, nodeId, observe }) =>
    createSupervisor(
      options({ store: pgEngineStore({ sql: pg.sql, leaseOf, nodeId, observe }), secretKey, logger, media }),
    )
}
