// The engine `wagate serve` runs: the session supervisor over the real Baileys, configured from Config, on the SQLite
// data dir or (`--database-url`) as a cluster node on PostgreSQL. The configuration is read and checked here, at
// start; the supervisor itself (engine-live.ts, which loads Baileys) is built on first use: see sessions/deferred.ts.
import { readFileSync } from 'node:fs'
import { autoDownloadKinds, ConfigError, type Config } from './config.ts'
import type { EngineFactory } from './server.ts'
import { parseAllowList } from './media/egress.ts'
import type { ClusterEngineFactory } from './cluster/serve.ts'
import type { Logger } from './log.ts'
import type { MediaStore } from './media/store.ts'
import type { EngineStore } from './sessions/engine-store.ts'
import { deferSupervisor } from './sessions/deferred.ts'
import { receiptHookProblemAtStart, MissingReceiptHook } from './whatsapp/receipt-hook.ts'

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

/** What a supervisor of `serve` is built from besides the configuration: its store and the process's parts. */
export type EngineParts = { store: EngineStore; secretKey: Buffer; logger: Logger; media: MediaStore }

/** What the supervisor of `serve` takes from the configuration, the same on SQLite and PostgreSQL. */
export type EngineSettings = ReturnType<typeof engineSettings>

/**
 * Reads the configuration the supervisor needs, so that a bad value stops `serve` at start. Throws
 * MissingReceiptHook when Baileys, as installed, was not patched: no serve may lose messages silently.
 */
function engineSettings(config: Config) {
  const problem = receiptHookProblemAtStart()
  if (problem) throw new MissingReceiptHook(problem)
  return {
    waUrl: config.waUrl,
    rootKey: config.waRootKey ? Buffer.from(config.waRootKey, 'base64') : undefined,
    mediaCa: config.waMediaCa ? readMediaCa(config.waMediaCa) : undefined,
    allow: parseAllowList(config.egressAllow).allow,
    deafAfterMs: config.watchdogSilenceMs,
    restoreConcurrency: config.restoreConcurrency,
    restoreStaggerMs: config.restoreStaggerMs,
    pacing: { minGapMs: config.sendMinGapMs, jitterMs: config.sendJitterMs, typing: config.sendTyping },
    queueMax: config.sendQueueMax,
    mediaMaxBytes: config.mediaMaxBytes,
    downloadPolicy: { autoDownload: autoDownloadKinds(config), maxBytes: config.mediaMaxBytes },
  }
}

/** The engine of `serve` on the SQLite data dir. */
export function makeEngine(config: Config): EngineFactory {
  const settings = engineSettings(config)
  return ({ db, stores, secretKey, logger, media }) =>
    deferSupervisor({
      load: async () =>
        (await import('./engine-live.ts')).sqliteSupervisor(settings, {
          db,
          events: stores.events,
          secretKey,
          logger,
          media,
        }),
      running: () => stores.sessions.running(),
      logger,
    })
}

/**
 * The engine of `serve --database-url` (a cluster node): the same supervisor on PostgreSQL, every write of a session
 * fenced by the lease this node holds for it; the node's leases, not a restore at boot, decide which sessions run.
 */
export function makeClusterEngine(config: Config): ClusterEngineFactory {
  const settings = engineSettings(config)
  return ({ pg, repos, secretKey, logger, media, leaseOf, nodeId, observe }) =>
    deferSupervisor({
      load: async () =>
        (await import('./engine-live.ts')).clusterSupervisor(settings, {
          sql: pg.sql,
          leaseOf,
          nodeId,
          observe,
          secretKey,
          logger,
          media,
        }),
      running: () => repos.sessions.running(),
      logger,
    })
}
