// The committed client types (src/client/schema.ts) are what the live document generates today.
import { expect, it } from 'bun:test'
import { readFileSync } from 'node:fs'
import { liveDocument, renderSchema, schemaFile } from '../../scripts/gen-client.ts'

it('keeps src/client/schema.ts in sync with /openapi.json', async () => {
  const fresh = await renderSchema(await liveDocument())
  const committed = readFileSync(schemaFile, 'utf8')
  if (committed !== fresh) {
    const a = committed.split('\n')
    const b = fresh.split('\n')
    const line = a.findIndex((l, i) => l !== b[i])
    throw new Error(
      `src/client/schema.ts is out of date with the API: run \`npm run client:generate\` and commit it ` +
        `(first difference at line ${line + 1}: committed ${JSON.stringify(a[line])}, generated ${JSON.stringify(b[line])})`,
    )
  }
  expect(committed).toBe(fresh)
})
