// Keyset paging shared by the repositories: fetch limit + 1 rows, serve limit, cursor from the last one.
import type { CursorCodec, CursorValue } from './cursor.ts'
import type { Page } from '../domain/page.ts'

export type PageQuery = { limit: number; cursor?: string }

/** Decodes the caller's cursor for `listing`, or returns null for the first page. */
export function afterKey(codec: CursorCodec, listing: string, q: PageQuery, kinds: ('string' | 'number')[]) {
  return q.cursor ? codec.decode(listing, q.cursor, kinds) : null
}

/** Turns `limit + 1` fetched rows into a page and the cursor after its last row. */
export function toPage<R, T>(
  codec: CursorCodec,
  listing: string,
  rows: R[],
  limit: number,
  keyOf: (r: R) => CursorValue[],
  map: (r: R) => T,
): Page<T> {
  const more = rows.length > limit
  const served = more ? rows.slice(0, limit) : rows
  const last = served[served.length - 1]
  return { data: served.map(map), nextCursor: more && last ? codec.encode(listing, keyOf(last)) : null }
}
