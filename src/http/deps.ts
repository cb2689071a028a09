// What the HTTP layer is given: built services, never constructed here.
import type { Authenticator } from '../auth/authenticator.ts'
import type { SseHub } from '../events/sse.ts'
import type { Logger } from '../log.ts'
import type { Metrics } from '../metrics/registry.ts'
import type { MediaStore } from '../media/store.ts'
import type { Egress } from '../media/egress.ts'
import type { SessionEngine } from '../sessions/engine.ts'
import type { Repos } from '../store/contract.ts'
import type { Limits } from './rate-limit.ts'

export type HttpDeps = {
  /** The repositories (SQLite or PostgreSQL), every data access answering a promise. */
  repos: Repos
  engine: SessionEngine
  authenticate: Authenticator
  logger: Logger
  version: string
  maxBodyBytes: number
  /** Largest media file a send may carry (the send route's body limit follows it); none: the general limit. */
  mediaMaxBytes?: number
  docs: boolean
  /** The media file store and the largest file it takes; without it the media routes answer 503. */
  media?: { store: MediaStore; maxBytes: number }
  /** The egress policy: webhook URLs are validated against it when created or changed. */
  egress: Pick<Egress, 'checkUrl'>
  /** Request rate per principal, streams and webhooks per organisation; none: unlimited (tests). */
  limits?: Limits
  /** The live stream hub; server.ts passes its own to close streams before stopping. Default: a new one. */
  eventHub?: SseHub
  /** Prometheus metrics, served at /metrics (behind `token` when set); none: no /metrics and no counting. */
  metrics?: { metrics: Metrics; token?: string }
  /** What /readyz asks on a cluster node (the database answers, the node renews its leases); none: the SQLite check. */
  readiness?: () => Promise<{ ok: true } | { ok: false; reason: string }>
}
