// trustMediaCa: the extra CA applies to Baileys' media transfers (https + WhatsApp Web's Origin) and nothing else,
// next to the built-in roots, and undoes cleanly. A real HTTPS server on 127.0.0.1 with the simulator's test CA.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { DEFAULT_ORIGIN } from '@whiskeysockets/baileys'
import { createMediaTls, type MediaTls } from '../../src/simulator/media/tls.ts'
import { isWaMediaRequest, mediaTls, trustMediaCa } from '../../src/whatsapp/media-ca.ts'

let pki: MediaTls
let server: ReturnType<typeof Bun.serve>
let url: string

beforeAll(() => {
  pki = createMediaTls()
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    tls: { cert: pki.certPem, key: pki.keyPem },
    fetch: () => new Response('media'),
  })
  url = `https://127.0.0.1:${server.port}/v/blob.enc`
})

afterAll(() => server.stop(true))

const get = (headers: Record<string, string>) =>
  fetch(url, { headers }).then(
    (r) => r.text(),
    (e: Error) => `error: ${e.message}`,
  )

describe('trustMediaCa', () => {
  test('without it the media host is untrusted', async () => {
    expect(await get({ Origin: DEFAULT_ORIGIN })).toMatch(/^error: .*certificate/)
  })

  test('with it a media request verifies against the CA; other requests do not get it; undo removes it', async () => {
    const undo = trustMediaCa(pki.caPem)
    try {
      expect(await get({ Origin: DEFAULT_ORIGIN })).toBe('media')
      expect(await get({})).toMatch(/^error: .*certificate/)
      expect(await get({ Origin: 'https://example.test' })).toMatch(/^error: .*certificate/)
      expect(mediaTls()?.ca.at(-1)).toBe(pki.caPem)
    } finally {
      undo()
    }
    expect(mediaTls()).toBeUndefined()
    expect(await get({ Origin: DEFAULT_ORIGIN })).toMatch(/^error: .*certificate/)
  })

  test('a media request is https with the WhatsApp Web Origin, from init headers or a Request', () => {
    expect(isWaMediaRequest('https://h/x', { headers: { Origin: DEFAULT_ORIGIN } })).toBe(true)
    expect(isWaMediaRequest('https://h/x', { headers: [['origin', DEFAULT_ORIGIN]] })).toBe(true)
    expect(isWaMediaRequest(new Request('https://h/x', { headers: { Origin: DEFAULT_ORIGIN } }))).toBe(true)
    expect(isWaMediaRequest('http://h/x', { headers: { Origin: DEFAULT_ORIGIN } })).toBe(false)
    expect(isWaMediaRequest('https://h/x')).toBe(false)
  })

  test('refuses something that is not a PEM certificate', () => {
    expect(() => trustMediaCa('not a cert')).toThrow('PEM')
  })
})
