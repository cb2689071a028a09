// Tables only a PostgreSQL deployment has: the nodes of the cluster, one lease per session, and cluster facts
// every node must agree on (the secret key's fingerprint). Lease times are the database's clock, never a node's.
import { sql } from 'drizzle-orm'
import { boolean, index, pgTable, text } from 'drizzle-orm/pg-core'
import { big } from './columns.ts'
import { sessions } from './schema-core.ts'

/** One row per running node, kept alive by its heartbeat; a node past `expires_at` is not counted as live. */
export const clusterNodes = pgTable('cluster_nodes', {
  id: text('id').primaryKey(),
  startedAt: big('started_at').notNull(),
  heartbeatAt: big('heartbeat_at').notNull(),
  expiresAt: big('expires_at').notNull(),
  /** A draining node (SIGTERM) hands its sessions over and takes none. */
  draining: boolean('draining').notNull().default(false),
})

/**
 * Who runs a session. `epoch` grows by one at every acquisition (the fencing token): a write checks
 * `node_id = me AND epoch = mine` in its transaction, so a node that lost the lease writes nothing.
 * `node_id` null: free. `expires_at` past: free to take.
 */
export const sessionLeases = pgTable(
  'session_leases',
  {
    sessionId: text('session_id')
      .primaryKey()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    nodeId: text('node_id'),
    epoch: big('epoch').notNull().default(0),
    expiresAt: big('expires_at').notNull().default(0),
    updatedAt: big('updated_at').notNull().default(0),
  },
  (t) => [index('session_leases_node').on(t.nodeId)],
)

/** Facts of the deployment as key/value text (`secret_key_fingerprint`). */
export const clusterMeta = pgTable('cluster_meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
})

/**
 * Commands that need a session's live socket, handed by the node that received the API call (`origin_node`) to the
 * node holding the session's lease (`target_node`), which claims (`taken_at`), runs it and writes the answer or the
 * error (JSON text). Each node LISTENs on its own channel for new commands and answers (src/cluster/commands.ts);
 * the caller deletes the row when it reads the answer or gives up, so the table only holds commands in flight.
 */
export const clusterCommands = pgTable(
  'cluster_commands',
  {
    id: big('id').primaryKey().generatedByDefaultAsIdentity(),
    sessionId: text('session_id').notNull(),
    originNode: text('origin_node').notNull(),
    targetNode: text('target_node').notNull(),
    op: text('op').notNull(),
    args: text('args').notNull(),
    createdAt: big('created_at').notNull(),
    /** Past this, the target no longer claims it (the caller has answered a timeout). */
    deadlineAt: big('deadline_at').notNull(),
    takenAt: big('taken_at'),
    answer: text('answer'),
    error: text('error'),
    doneAt: big('done_at'),
  },
  (t) => [
    // A node's sweep for commands whose NOTIFY it missed.
    index('cluster_commands_pending')
      .on(t.targetNode)
      .where(sql`taken_at IS NULL`),
  ],
)
