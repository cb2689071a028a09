// A PostgreSQL database of its own per test file: created on 127.0.0.1:5432 (user postgres, trust auth), dropped
// afterwards. PostgreSQL is part of the machine (CI starts it in .ci/run): when it is unreachable the test fails
// with a message saying so, never skips.
import { SQL } from 'bun'
import { randomBytes } from 'node:crypto'

export const PG_ADMIN_URL = process.env.WAGATE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export type TestDatabase = { url: string; name: string; drop(): Promise<void> }

/** Creates `wagate_test_<random>` and returns its URL; drop() ends its connections and removes it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const admin = new SQL({ url: PG_ADMIN_URL, max: 1, connectionTimeout: 5 })
  const name = `wagate_test_${randomBytes(6).toString('hex')}`
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`)
  } catch (e) {
    await admin.close().catch(() => {})
    throw new Error(
      `PostgreSQL is not reachable at ${PG_ADMIN_URL} (${(e as Error).message}); these tests need it: start it with ` +
        '`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` (.ci/run does)',
    )
  }
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`)
  return {
    url,
    name,
    async drop() {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await admin.close()
    },
  }
}
