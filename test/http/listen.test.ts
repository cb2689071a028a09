// The HTTP server as `wagate serve` and `wagate serve --database-url` open it (server.ts listenOptions).
import { expect, it } from 'bun:test'
import { loadConfig } from '../../src/config.ts'
import { listenOptions } from '../../src/server.ts'
import { testApp } from '../helpers/app.ts'

it("listens outside Bun's development mode, which would answer an uncaught error with its stack trace", async () => {
  const t = await testApp()
  const config = loadConfig({ host: '127.0.0.1', port: '0', dataDir: t.dir }, {})
  t.app.listen(listenOptions(config))
  try {
    const server = t.app.server!
    expect(server.development).toBe(false)
    const res = await fetch(`http://127.0.0.1:${server.port}/healthz`)
    expect(res.status).toBe(200)
  } finally {
    await t.app.stop()
    await t.close()
  }
})
