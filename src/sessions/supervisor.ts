// The session supervisor: one live Baileys socket per session, its status machine and reconnect policy.
//
// Assembled from parts: `context.ts` (shared state), `lifecycle.ts` (commands under the per-session lock),
// `connection.ts` (socket wiring, watchdog, close policy), `restore.ts` (boot and shutdown), `operations.ts`
// (what a connected session does).
import { trustMediaCa } from '../whatsapp/media-ca.ts'
import { applyProcessPatches, trustRoot } from '../whatsapp/process-patches.ts'
import { createContext, type SupervisorOptions } from './context.ts'
import type { SessionEngine } from './engine.ts'
import { createContactOperations } from './contact-operations.ts'
import { createGroupOperations } from './group-operations.ts'
import * as lifecycle from './lifecycle.ts'
import { createOperations } from './operations.ts'
import { restoreRunning, shutdownAll } from './restore.ts'

export type { SupervisorOptions } from './context.ts'

export type Supervisor = SessionEngine &
  LeaseDriven & {
    /** The in-memory view of a session, for health checks and tests. */
    live(sessionId: string): { connected: boolean; generation: number } | null
  }

/** What a cluster node's lease manager drives (src/cluster/node.ts); the desired state stays the API's. */
export type LeaseDriven = {
  /** This node now holds the session's lease: connect it from its stored auth state. */
  acquire(sessionId: string): Promise<void>
  /** Hand it over: close its socket gracefully and record it stopped; the lease is released afterwards. */
  release(sessionId: string): Promise<void>
  /** The lease is lost: end its socket at once and write nothing more. */
  drop(sessionId: string): void
}

export function createSupervisor(o: SupervisorOptions): Supervisor {
  const ctx = createContext(o)
  applyProcessPatches(o.logger)
  const untrust = o.rootKey ? trustRoot(o.rootKey) : null
  const untrustMedia = o.mediaCa ? trustMediaCa(o.mediaCa) : null
  return {
    start: (id) => lifecycle.start(ctx, id),
    stop: (id) => lifecycle.stop(ctx, id),
    restart: (id) => lifecycle.restart(ctx, id),
    logout: (id) => lifecycle.logout(ctx, id),
    remove: (id) => lifecycle.remove(ctx, id),
    qr: async (id) => lifecycle.qr(ctx, id),
    requestPairingCode: (id, phone) => lifecycle.requestPairingCode(ctx, id, phone),
    ...createOperations({ ingest: ctx.ingest, connectedSock: ctx.connectedSock }),
    ...createGroupOperations({ ingest: ctx.ingest, connectedSock: ctx.connectedSock }),
    ...createContactOperations({ ingest: ctx.ingest, connectedSock: ctx.connectedSock, clock: ctx.clock }),
    send: async (id, input, upload) => ctx.sending.ops.send(id, input, upload ?? null),
    react: async (id, chatJid, waId, emoji) => ctx.sending.ops.react(id, chatJid, waId, emoji),
    edit: async (id, chatJid, waId, text) => ctx.sending.ops.edit(id, chatJid, waId, text),
    revoke: async (id, chatJid, waId) => ctx.sending.ops.revoke(id, chatJid, waId),
    forward: async (id, chatJid, waId, to) => ctx.sending.ops.forward(id, chatJid, waId, to),
    acquire: (id) => lifecycle.acquire(ctx, id),
    release: (id) => lifecycle.release(ctx, id),
    drop: (id) => lifecycle.drop(ctx, id),
    restore: () => restoreRunning(ctx),
    async shutdown() {
      await shutdownAll(ctx)
      untrust?.()
      untrustMedia?.()
    },
    live(id) {
      const l = ctx.lives.get(id)
      return l ? { connected: l.connected, generation: l.generation } : null
    },
  }
}
