// Webhooks repository: endpoints of an organisation, their signing secrets (sealed at rest, bound to the row)
// and fan-out high-water mark.
import { ulid } from 'ulid'
import type { Sealer } from '../domain/sealer.ts'
import type { CursorCodec } from './cursor.ts'
import type { Db } from './db.ts'
import { afterKey, toPage, type PageQuery } from './paging.ts'

type Row = {
  id: string
  org_id: string
  url: string
  events: string
  session_ids: string | null
  enabled: number
  description: string | null
  disabled_reason: string | null
  secret: string
  previous_secret: string | null
  previous_expires_at: number | null
  hwm: number
  created_at: number
  updated_at: number
}

/** What the API shows of a webhook (never its secret). */
export type WebhookInfo = {
  id: string
  orgId: string
  url: string
  events: string[]
  sessionIds: string[] | null
  enabled: boolean
  description: string | null
  disabledReason: string | null
  previousSecretExpiresAt: number | null
  createdAt: number
  updatedAt: number
}

/** What the dispatcher needs: where to send, the secrets in clear, and the fan-out state. */
export type WebhookTarget = WebhookInfo & {
  secret: string
  previousSecret: string | null
  hwm: number
}

/** Associated data of a webhook's signing secrets: both columns of one row share it (rotation moves one to the other). */
export const secretAad = (webhookId: string) => `webhook-secret:${webhookId}`

const info = (r: Row): WebhookInfo => ({
  id: r.id,
  orgId: r.org_id,
  url: r.url,
  events: JSON.parse(r.events) as string[],
  sessionIds: r.session_ids === null ? null : (JSON.parse(r.session_ids) as string[]),
  enabled: r.enabled === 1,
  description: r.description,
  disabledReason: r.disabled_reason,
  previousSecretExpiresAt: r.previous_secret ? r.previous_expires_at : null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

export type WebhookInput = {
  url: string
  events: string[]
  sessionIds?: string[] | null
  enabled?: boolean
  description?: string | null
}

export type WebhookStore = ReturnType<typeof createWebhookStore>

/** `sealer` seals the signing secrets at rest, each bound to its webhook's id. */
export function createWebhookStore(db: Db, codec: CursorCodec, sealer: Sealer) {
  const { sqlite } = db
  const target = (r: Row): WebhookTarget => ({
    ...info(r),
    secret: sealer.openText(r.secret, secretAad(r.id)),
    previousSecret: r.previous_secret ? sealer.openText(r.previous_secret, secretAad(r.id)) : null,
    hwm: r.hwm,
  })
  const head = sqlite.query<{ seq: number | null }, []>('SELECT max(seq) AS seq FROM events')
  const insert = sqlite.query<
    Row,
    [string, string, string, string, string | null, number, string | null, string, number, number, number]
  >(
    `INSERT INTO webhooks (id, org_id, url, events, session_ids, enabled, description, secret, hwm, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
  )
  const byId = sqlite.query<Row, [string]>('SELECT * FROM webhooks WHERE id = ?')
  const page = sqlite.query<Row, [string, string, number]>(
    'SELECT * FROM webhooks WHERE org_id = ? AND id < ? ORDER BY id DESC LIMIT ?',
  )
  const save = sqlite.query<
    Row,
    [string, string, string | null, number, string | null, string | null, number, number, string]
  >(
    `UPDATE webhooks SET url = ?, events = ?, session_ids = ?, enabled = ?, description = ?, disabled_reason = ?,
     hwm = ?, updated_at = ? WHERE id = ? RETURNING *`,
  )
  const remove = sqlite.query<null, [string, string]>('DELETE FROM webhooks WHERE org_id = ? AND id = ?')
  const rotate = sqlite.query<Row, [string, number, number, string]>(
    `UPDATE webhooks SET previous_secret = secret, secret = ?, previous_expires_at = ?, updated_at = ?
     WHERE id = ? RETURNING *`,
  )
  const disable = sqlite.query<null, [string, number, string]>(
    'UPDATE webhooks SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ?',
  )
  const enabled = sqlite.query<Row, []>('SELECT * FROM webhooks WHERE enabled = 1')
  const count = sqlite.query<{ n: number }, [string]>('SELECT count(*) AS n FROM webhooks WHERE org_id = ?')
  const listeners = new Set<() => void>()
  const changed = () => {
    for (const l of listeners) l()
  }
  const own = (orgId: string, id: string) => {
    const r = byId.get(id)
    return r && r.org_id === orgId ? r : null
  }

  /** Creates a webhook that receives events committed from now on; `secret` is stored encrypted. */
  function create(orgId: string, input: WebhookInput, secret: string): WebhookInfo {
    const now = Date.now()
    const id = `wh_${ulid(now)}`
    const r = insert.get(
      id,
      orgId,
      input.url,
      JSON.stringify(input.events),
      input.sessionIds ? JSON.stringify(input.sessionIds) : null,
      input.enabled === false ? 0 : 1,
      input.description ?? null,
      sealer.sealText(secret, secretAad(id)),
      head.get()?.seq ?? 0,
      now,
      now,
    )!
    changed()
    return info(r)
  }

  return {
    create,
    /**
     * As `create`, unless the organisation already has `max` webhooks (the per-organisation cap): then null, nothing
     * created. Counted and inserted in one synchronous call, so no other create comes between.
     */
    createWithin: (orgId: string, input: WebhookInput, secret: string, max: number): WebhookInfo | null =>
      (count.get(orgId)?.n ?? 0) >= max ? null : create(orgId, input, secret),
    /** Webhooks of the organisation (the per-organisation cap). */
    count: (orgId: string) => count.get(orgId)?.n ?? 0,
    get: (orgId: string, id: string): WebhookInfo | null => {
      const r = own(orgId, id)
      return r ? info(r) : null
    },
    page(orgId: string, q: PageQuery) {
      const listing = `webhooks:${orgId}`
      const after = afterKey(codec, listing, q, ['string'])
      const rows = page.all(orgId, (after?.[0] as string | undefined) ?? '\uffff', q.limit + 1)
      return toPage(codec, listing, rows, q.limit, (r) => [r.id], info)
    },
    /** Applies a partial update; re-enabling starts from the outbox head (no flood of the disabled period). */
    update(orgId: string, id: string, patch: Partial<WebhookInput>): WebhookInfo | null {
      const r = own(orgId, id)
      if (!r) return null
      const enable = patch.enabled ?? r.enabled === 1
      const reenabled = enable && r.enabled === 0
      const sessionIds =
        patch.sessionIds === undefined ? r.session_ids : patch.sessionIds && JSON.stringify(patch.sessionIds)
      const out = save.get(
        patch.url ?? r.url,
        patch.events ? JSON.stringify(patch.events) : r.events,
        sessionIds,
        enable ? 1 : 0,
        patch.description === undefined ? r.description : patch.description,
        enable ? null : r.disabled_reason,
        reenabled ? (head.get()?.seq ?? 0) : r.hwm,
        Date.now(),
        id,
      )!
      changed()
      return info(out)
    },
    delete(orgId: string, id: string): boolean {
      const gone = remove.run(orgId, id).changes > 0
      if (gone) changed()
      return gone
    },
    /** Replaces the secret; the old one keeps signing until `graceUntil`. */
    rotate(orgId: string, id: string, secret: string, graceUntil: number): WebhookInfo | null {
      if (!own(orgId, id)) return null
      const r = rotate.get(sealer.sealText(secret, secretAad(id)), graceUntil, Date.now(), id)!
      changed()
      return info(r)
    },
    /** Disabled by the gateway (e.g. the endpoint answered 410 Gone). */
    disable(id: string, reason: string) {
      disable.run(reason, Date.now(), id)
      changed()
    },
    target: (id: string): WebhookTarget | null => {
      const r = byId.get(id)
      return r ? target(r) : null
    },
    /** Enabled webhooks with their secrets; one whose secret cannot be decrypted (another key) is skipped. */
    enabledTargets(onUnreadable: (id: string, err: unknown) => void): WebhookTarget[] {
      return enabled.all().flatMap((r) => {
        try {
          return [target(r)]
        } catch (err) {
          onUnreadable(r.id, err)
          return []
        }
      })
    },
    /** Subscribes to webhook changes (create, update, rotate, disable, delete). */
    onChange(listener: () => void) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
  }
}
