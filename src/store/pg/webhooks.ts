// Webhooks on PostgreSQL: the same rows as SQLite's (secrets sealed, bound to the row); every change is NOTIFYed
// so the dispatchers of all nodes reload their targets.
import type { SQL, TransactionSQL } from 'bun'
import { ulid } from 'ulid'
import type { Sealer } from '../../domain/sealer.ts'
import type { Async } from '../contract.ts'
import type { CursorCodec } from '../cursor.ts'
import { afterKey, toPage, type PageQuery } from '../paging.ts'
import { secretAad, type WebhookInfo, type WebhookInput, type WebhookStore, type WebhookTarget } from '../webhooks.ts'
import type { PgDb } from './db.ts'
import type { PgEventStore } from './events.ts'
import { createWakeups, WEBHOOKS_CHANNEL } from './notify.ts'

type Row = {
  id: string
  org_id: string
  url: string
  events: string
  session_ids: string | null
  enabled: boolean
  description: string | null
  disabled_reason: string | null
  secret: string
  previous_secret: string | null
  previous_expires_at: string | null
  hwm: string
  created_at: string
  updated_at: string
}

const info = (r: Row): WebhookInfo => ({
  id: r.id,
  orgId: r.org_id,
  url: r.url,
  events: JSON.parse(r.events) as string[],
  sessionIds: r.session_ids === null ? null : (JSON.parse(r.session_ids) as string[]),
  enabled: r.enabled,
  description: r.description,
  disabledReason: r.disabled_reason,
  previousSecretExpiresAt: r.previous_secret && r.previous_expires_at !== null ? Number(r.previous_expires_at) : null,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
})

export type PgWebhookStore = Async<Omit<WebhookStore, 'onChange'>> & Pick<WebhookStore, 'onChange'>

/** `events` gives the outbox's safe head: a new (or re-enabled) webhook receives what commits from then on. */
export function createPgWebhookStore(
  pg: PgDb,
  codec: CursorCodec,
  sealer: Sealer,
  events: Pick<PgEventStore, 'maxSeq'>,
  opts: { onError?: (err: unknown) => void } = {},
): PgWebhookStore {
  const { sql } = pg
  const wakeups = createWakeups(sql, WEBHOOKS_CHANNEL, opts.onError)
  const changed = () => wakeups.notify()
  const target = (r: Row): WebhookTarget => ({
    ...info(r),
    secret: sealer.openText(r.secret, secretAad(r.id)),
    previousSecret: r.previous_secret ? sealer.openText(r.previous_secret, secretAad(r.id)) : null,
    hwm: Number(r.hwm),
  })
  const own = async (orgId: string, id: string) => {
    const [r]: Row[] = await sql`SELECT * FROM webhooks WHERE id = ${id} AND org_id = ${orgId}`
    return r ?? null
  }

  const insert = async (tx: SQL | TransactionSQL, orgId: string, input: WebhookInput, secret: string, hwm: number) => {
    const now = Date.now()
    const id = `wh_${ulid(now)}`
    const [r]: Row[] = await tx`
        INSERT INTO webhooks (id, org_id, url, events, session_ids, enabled, description, secret, hwm, created_at,
          updated_at)
        VALUES (${id}, ${orgId}, ${input.url}, ${JSON.stringify(input.events)},
          ${input.sessionIds ? JSON.stringify(input.sessionIds) : null}, ${input.enabled !== false},
          ${input.description ?? null}, ${sealer.sealText(secret, secretAad(id))}, ${hwm}::int8, ${now}::int8,
          ${now}::int8)
        RETURNING *`
    return r!
  }

  return {
    async create(orgId: string, input: WebhookInput, secret: string): Promise<WebhookInfo> {
      const r = await insert(sql, orgId, input, secret, await events.maxSeq())
      await changed()
      return info(r)
    },
    /**
     * As SQLite's, and the cap holds across nodes: the organisation's row is locked (FOR NO KEY UPDATE, which a
     * create of the same organisation on any node waits for, and which the webhook's foreign key check does not)
     * while its webhooks are counted and the new one inserted.
     */
    async createWithin(orgId: string, input: WebhookInput, secret: string, max: number): Promise<WebhookInfo | null> {
      const hwm = await events.maxSeq()
      const r = await sql.begin(async (tx) => {
        await tx`SELECT 1 FROM orgs WHERE id = ${orgId} FOR NO KEY UPDATE`
        const [c]: { n: number }[] = await tx`SELECT count(*)::int AS n FROM webhooks WHERE org_id = ${orgId}`
        return (c?.n ?? 0) >= max ? null : await insert(tx, orgId, input, secret, hwm)
      })
      if (!r) return null
      await changed()
      return info(r)
    },
    async count(orgId: string): Promise<number> {
      const [r]: { n: number }[] = await sql`SELECT count(*)::int AS n FROM webhooks WHERE org_id = ${orgId}`
      return r?.n ?? 0
    },
    async get(orgId: string, id: string): Promise<WebhookInfo | null> {
      const r = await own(orgId, id)
      return r ? info(r) : null
    },
    async page(orgId: string, q: PageQuery) {
      const listing = `webhooks:${orgId}`
      const after = afterKey(codec, listing, q, ['string'])
      const before = after?.[0] as string | undefined
      const rows: Row[] =
        before === undefined
          ? await sql`SELECT * FROM webhooks WHERE org_id = ${orgId} ORDER BY id DESC LIMIT ${q.limit + 1}`
          : await sql`SELECT * FROM webhooks WHERE org_id = ${orgId} AND id < ${before}
              ORDER BY id DESC LIMIT ${q.limit + 1}`
      return toPage(codec, listing, rows, q.limit, (r) => [r.id], info)
    },
    async update(orgId: string, id: string, patch: Partial<WebhookInput>): Promise<WebhookInfo | null> {
      const r = await own(orgId, id)
      if (!r) return null
      const enable = patch.enabled ?? r.enabled
      const reenabled = enable && !r.enabled
      const sessionIds =
        patch.sessionIds === undefined ? r.session_ids : patch.sessionIds && JSON.stringify(patch.sessionIds)
      // Re-enabling starts from the outbox's safe head (no flood of the disabled period).
      const hwm = reenabled ? await events.maxSeq() : Number(r.hwm)
      const [out]: Row[] = await sql`
        UPDATE webhooks SET url = ${patch.url ?? r.url}, events = ${patch.events ? JSON.stringify(patch.events) : r.events},
          session_ids = ${sessionIds}, enabled = ${enable},
          description = ${patch.description === undefined ? r.description : patch.description},
          disabled_reason = ${enable ? null : r.disabled_reason}, hwm = ${hwm}::int8, updated_at = ${Date.now()}::int8
        WHERE id = ${id} RETURNING *`
      if (!out) return null
      await changed()
      return info(out)
    },
    async delete(orgId: string, id: string): Promise<boolean> {
      const r = await sql`DELETE FROM webhooks WHERE org_id = ${orgId} AND id = ${id}`
      const gone = r.count > 0
      if (gone) await changed()
      return gone
    },
    async rotate(orgId: string, id: string, secret: string, graceUntil: number): Promise<WebhookInfo | null> {
      const [r]: Row[] = await sql`
        UPDATE webhooks SET previous_secret = secret, secret = ${sealer.sealText(secret, secretAad(id))},
          previous_expires_at = ${graceUntil}::int8, updated_at = ${Date.now()}::int8
        WHERE id = ${id} AND org_id = ${orgId} RETURNING *`
      if (!r) return null
      await changed()
      return info(r)
    },
    async disable(id: string, reason: string): Promise<void> {
      await sql`UPDATE webhooks SET enabled = false, disabled_reason = ${reason}, updated_at = ${Date.now()}::int8
        WHERE id = ${id}`
      await changed()
    },
    async target(id: string): Promise<WebhookTarget | null> {
      const [r]: Row[] = await sql`SELECT * FROM webhooks WHERE id = ${id}`
      return r ? target(r) : null
    },
    async enabledTargets(onUnreadable: (id: string, err: unknown) => void): Promise<WebhookTarget[]> {
      const rows: Row[] = await sql`SELECT * FROM webhooks WHERE enabled`
      return rows.flatMap((r) => {
        try {
          return [target(r)]
        } catch (err) {
          onUnreadable(r.id, err)
          return []
        }
      })
    },
    /** Subscribes to webhook changes made on any node. */
    onChange: (listener: () => void) => wakeups.on(listener),
  }
}
