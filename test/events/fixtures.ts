// Fills `{webhook}` and `{delivery}` in auth-matrix paths with fresh resources of an organisation.
import { generateSecret } from '../../src/events/secrets.ts'
import type { Stores } from '../../src/store/index.ts'

export function fillWebhookPath(stores: Stores, orgId: string, path: string): string {
  const w = stores.webhooks.create(orgId, { url: 'http://127.0.0.1:9/hook', events: ['*'] }, generateSecret())
  if (!path.includes('{delivery}')) return path.replace('{webhook}', w.id)
  const e = stores.events.append({ type: 'message.received', orgId, sessionId: null, data: {} })!
  const d = stores.deliveries.create(w.id, e)
  return path.replace('{webhook}', w.id).replace('{delivery}', d.id)
}
