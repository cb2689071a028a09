// The supervisor over the real Baileys, built from the settings engine.ts read from Config. Loaded with a dynamic
// import on first use (engine.ts, sessions/deferred.ts): importing this module evaluates Baileys, libsignal and
// WhatsApp's protobuf definitions.
import { createEgress } from './media/egress.ts'
import { inCidr, parseIp } from './media/ip-ranges.ts'
import { mediaFilesOf } from './media/files.ts'
import { createLinkPreviewer } from './media/link-preview.ts'
import { createFetchMedia } from './sessions/fetch-media.ts'
import { isWhatsAppMediaHost } from './sessions/media-downloads.ts'
import type { EngineSettings, EngineParts } from './engine.ts'
import type { AllowList } from './media/egress.ts'
import { createSupervisor, type Supervisor } from './sessions/supervisor.ts'
import { pgEngineStore, sqliteEngineStore } from './sessions/engine-store.ts'
import type { SQL } from 'bun'
import type { LeaseRef } from './cluster/fencing.ts'
import type { Db } from './store/db.ts'
import type { EventStore, TransactionObserver } from './store/events.ts'
import { assertReceiptHook } from './whatsapp/receipt-hook.ts'

// The Baileys just loaded must carry the receipt hook; without it no socket may open (see receipt-hook.ts).
assertReceiptHook()

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

/** The supervisor `serve` runs, on whichever store it is given. */
function supervisor(s: EngineSettings, { store, secretKey, logger, media }: EngineParts): Supervisor {
  const { allow } = s
  return createSupervisor({
    store,
    logger,
    secretKey,
    waUrl: s.waUrl,
    rootKey: s.rootKey,
    mediaCa: s.mediaCa,
    deafAfterMs: s.deafAfterMs,
    restoreConcurrency: s.restoreConcurrency,
    restoreStaggerMs: s.restoreStaggerMs,
    sending: {
      pacing: s.pacing,
      queueMax: s.queueMax,
      mediaMaxBytes: s.mediaMaxBytes,
      media: mediaFilesOf(media),
      fetchMedia: createFetchMedia(createEgress({ allow })),
      linkPreviews: createLinkPreviewer(createEgress({ allow })),
    },
    downloads: {
      store: media,
      policy: s.downloadPolicy,
      hostAllowed: (host) => isWhatsAppMediaHost(host) || listed(allow, host),
    },
  })
}

/** The supervisor on the SQLite data dir. */
export const sqliteSupervisor = (
  s: EngineSettings,
  parts: Omit<EngineParts, 'store'> & { db: Db; events: EventStore },
) => supervisor(s, { ...parts, store: sqliteEngineStore(parts.db, parts.events) })

/** The supervisor of a cluster node: every write of a session fenced by the lease this node holds for it. */
export const clusterSupervisor = (
  s: EngineSettings,
  parts: Omit<EngineParts, 'store'> & {
    sql: SQL
    leaseOf: (sessionId: string) => LeaseRef | undefined
    nodeId: string
    observe?: TransactionObserver | undefined
  },
) => {
  const { sql, leaseOf, nodeId, observe } = parts
  return supervisor(s, { ...parts, store: pgEngineStore({ sql, leaseOf, nodeId, observe }) })
}
