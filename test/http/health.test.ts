// The probes: /readyz asks the repositories' health (store/contract.ts), /healthz only that the process is up.
import { afterEach, beforeEach, expect, it } from 'bun:test'
import { json, testApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
beforeEach(async () => {
  t = await testApp()
})
afterEach(() => t.close())

it('answers ready when the database is migrated', async () => {
  const res = await t.request('/readyz', { token: null })
  expect(res.status).toBe(200)
  expect(await json(res)).toEqual({ status: 'ready' })
})

it('answers 503 unavailable when a migration is not applied', async () => {
  t.db.sqlite.run(
    "DELETE FROM wagate_migrations WHERE name = (SELECT max(name) FROM wagate_migrations WHERE name NOT LIKE 'data/%')",
  )
  const res = await t.request('/readyz', { token: null })
  expect(res.status).toBe(503)
  expect(await json(res)).toEqual({ error: { code: 'unavailable', message: 'database not ready', details: {} } })
})

it('reports a closed database as not ok instead of throwing', async () => {
  const probe = t.repos.health
  t.db.sqlite.close()
  expect(await probe()).toEqual({ ok: false, detail: expect.any(String) })
  t = await testApp() // afterEach closes this one
})
