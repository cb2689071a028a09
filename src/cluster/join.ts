// A node joins the cluster: its secret key is checked against the database's fingerprint first (a node with
// another key writes nothing, not even its heartbeat), then its lease manager starts.
import type { SQL } from 'bun'
import { defaultTimings, LeaseManager, newNodeId, type LeaseHooks, type LeaseTimings } from './leases.ts'
import { claimSecretKey } from './secret-key.ts'

export type JoinOptions = {
  secretKey: Uint8Array
  hooks: LeaseHooks
  nodeId?: string
  timings?: LeaseTimings
  onError?: (e: unknown) => void
  /** Given the manager before its first round, so hooks that need it (fencing references) can reach it. */
  beforeStart?: (manager: LeaseManager) => void
}

/** Checks the key, then starts leasing; throws SecretKeyMismatch before touching anything else. */
export async function joinCluster(sql: SQL, opts: JoinOptions): Promise<LeaseManager> {
  await claimSecretKey(sql, opts.secretKey)
  const manager = new LeaseManager(
    sql,
    opts.nodeId ?? newNodeId(),
    opts.hooks,
    opts.timings ?? defaultTimings,
    opts.onError,
  )
  opts.beforeStart?.(manager)
  await manager.start()
  return manager
}
