// Column helpers of the PostgreSQL schema: epoch-millisecond times and ids as bigint read as JS numbers (all
// below 2^53), binary values as bytea, and the same "now in ms" default the SQLite schema has.
import { sql } from 'drizzle-orm'
import { bigint, customType } from 'drizzle-orm/pg-core'

/** A bigint column read and written as a number (epoch ms, row ids, sizes). */
export const big = (name: string) => bigint(name, { mode: 'number' })

/** Binary data (encrypted auth state, media keys, poll secrets), read as a Buffer. */
export const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v)),
})

/** Now in epoch ms, computed by the database. */
export const nowMs = sql`(floor(extract(epoch from clock_timestamp()) * 1000))::bigint`

/** A 64-bit transaction id (PostgreSQL 13+), read as its decimal text: compared in SQL only. */
export const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' })
