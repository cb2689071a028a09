// A resolver for the egress policy over a fixed table: tests resolve names without a DNS query leaving the machine.
import { createEgress, parseAllowList, type Lookup } from '../../src/media/egress.ts'

/** Resolves names from `table`; any other name fails as unknown (ENOTFOUND). */
export const tableLookup =
  (table: Record<string, string[]>): Lookup =>
  async (host) => {
    const found = table[host]
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })
    return found
  }

/**
 * The egress policy of the tests: receivers on this machine allowed (127.0.0.0/8, ::1), names resolved from a
 * table (`localhost` and whatever `names` adds), never by a DNS query.
 */
export const loopbackEgress = (names: Record<string, string[]> = {}) =>
  createEgress({
    allow: parseAllowList('127.0.0.0/8,::1').allow,
    lookup: tableLookup({ localhost: ['127.0.0.1'], ...names }),
  })
