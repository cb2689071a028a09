// Media through a cluster node (`serve --database-url`) with the real engine: the binary on PostgreSQL, the simulator
// and real Baileys. An upload is sent to the phone as an image and as a document (the phone decrypts the bytes sent);
// an image the phone sends is downloaded into DATA_DIR/media and served by GET, whole and by Range.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.ts'
import { startPgSimRig, type PgSimRig } from '../helpers/pg-sim-rig.ts'
import { link } from '../helpers/sigkill-run.ts'
import { quietLibsignal } from '../simulator/harness.ts'
import { waitFor } from '../helpers/wait.ts'

const OWNER = '15551300001'
const BOB = '15551300002'
const BOB_JID = `${BOB}@s.whatsapp.net`
let rig: PgSimRig
let gw: GatewayProcess
let sid: string

const api = async (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  fetch(`${gw.url}/api/v1/sessions/${sid}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json', ...init.headers },
  })
const upload = async (bytes: Uint8Array, type: string, filename: string) => {
  const res = await api(`/media?filename=${encodeURIComponent(filename)}`, {
    method: 'POST',
    body: bytes,
    headers: { 'content-type': type },
  })
  expect(res.status).toBe(201)
  return ((await res.json()) as { mediaId: string }).mediaId
}
const send = async (body: Record<string, unknown>) => {
  const res = await api('/messages', { method: 'POST', body: JSON.stringify({ to: BOB_JID, ...body }) })
  expect(res.status).toBe(201)
  return ((await res.json()) as { id: string }).id
}
type Received = { id: string; kind: string; media?: { data?: string; filename?: string; mimetype: string } }
const onPhone = (id: string) =>
  waitFor(
    'the phone received it',
    async () =>
      ((await rig.control('GET', `/accounts/${BOB}/messages`)).body.data as Received[]).find((m) => m.id === id),
    15_000,
  )

afterAll(quietLibsignal())
beforeAll(async () => {
  rig = await startPgSimRig({ owner: OWNER, contact: BOB, dirPrefix: 'wagate-media-pg-' })
  const ca = join(rig.dir, 'sim-media-ca.pem')
  writeFileSync(ca, rig.sim.mediaCa)
  gw = await startGateway({
    dataDir: join(rig.dir, 'data'),
    env: {
      WAGATE_WA_URL: rig.sim.wsUrl,
      WAGATE_WA_ROOT_KEY: rig.sim.rootPublicKey,
      WAGATE_WA_MEDIA_CA: ca,
      WAGATE_EGRESS_ALLOW: '127.0.0.0/8',
      WAGATE_DATABASE_URL: rig.tdb.url,
      WAGATE_SEND_MIN_GAP_MS: '0',
      WAGATE_SEND_JITTER_MS: '0',
    },
    timeoutMs: 30_000,
  })
  sid = await link(gw, OWNER, rig.control)
}, 60_000)
afterAll(async () => {
  await gw?.stop('SIGTERM')
  await rig?.stop()
})

it('sends an uploaded image to the phone, which decrypts the bytes uploaded', async () => {
  const png = randomBytes(20_000)
  const id = await send({ image: { mediaId: await upload(png, 'image/png', 'shot.png'), caption: 'a shot' } })
  const got = await onPhone(id)
  expect(got.kind).toBe('image')
  expect(got.media!.mimetype).toBe('image/png')
  expect(Buffer.from(got.media!.data!, 'base64').equals(png)).toBe(true)
}, 30_000)

it('sends an uploaded document with its filename, the bytes arriving as uploaded', async () => {
  const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(30_000)])
  const id = await send({ document: { mediaId: await upload(pdf, 'application/pdf', 'Invoice 7.pdf') } })
  const got = await onPhone(id)
  expect(got.kind).toBe('document')
  expect(got.media!.filename).toBe('Invoice 7.pdf')
  expect(Buffer.from(got.media!.data!, 'base64').equals(pdf)).toBe(true)
}, 30_000)

it('downloads an image the phone sent and serves the same bytes by GET, whole and by Range', async () => {
  const jpeg = randomBytes(40_000)
  const sent = await rig.control('POST', `/accounts/${BOB}/messages`, {
    to: OWNER,
    image: { mimetype: 'image/jpeg', data: jpeg.toString('base64') },
  })
  expect(sent.status).toBe(201)
  const path = `/chats/${encodeURIComponent(BOB_JID)}/messages/${sent.body.id}/media`
  const whole = await waitFor(
    'downloaded',
    async () => {
      const res = await api(path)
      return res.status === 200 ? res : null
    },
    15_000,
  )
  expect(whole.headers.get('content-type')).toBe('image/jpeg')
  expect(Buffer.from(await whole.arrayBuffer()).equals(jpeg)).toBe(true)
  const part = await api(path, { headers: { range: 'bytes=1000-1999' } })
  expect(part.status).toBe(206)
  expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${jpeg.length}`)
  expect(Buffer.from(await part.arrayBuffer()).equals(jpeg.subarray(1000, 2000))).toBe(true)
}, 30_000)
