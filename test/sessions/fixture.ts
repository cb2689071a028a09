// A fresh in-memory store with one organisation `o` and session `s`, and the ingest over it.
import { createIngest } from '../../src/sessions/ingest.ts'
import { openDb, type Db } from '../../src/store/db.ts'
import { createEventStore } from '../../src/store/events.ts'
import { orgs, sessions } from '../../src/store/schema.ts'

export const me = { jid: '15550000001@s.whatsapp.net', lid: '900000000001@lid' }
export const BOB = '15550000002@s.whatsapp.net'

export function freshIngest() {
  const db = openDb(':memory:')
  db.orm.insert(orgs).values({ id: 'o', name: 'o' }).run()
  db.orm.insert(sessions).values({ id: 's', orgId: 'o', name: 's' }).run()
  return { db, ingest: createIngest({ db, events: createEventStore(db) }) }
}

/** The data of the stored events of one type, oldest first. */
export const eventsOf = (db: Db, type: string) =>
  db.sqlite
    .query<{ data: string }, [string]>('SELECT data FROM events WHERE type = ? ORDER BY seq')
    .all(type)
    .map((e) => JSON.parse(e.data))
