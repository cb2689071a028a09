// Inbound media throughput and memory: a simulator contact sends 200 images of 1 MB, then one 200 MB document, to a
// session of ONE gateway process (`serve`, trusting the simulator's media CA), timed from the send until every file
// is downloaded, decrypted, verified and stored. The gateway's RSS is sampled while the 200 MB file streams through.
// Ceiling, same run (after the gateway stopped): this script itself downloads the same encrypted blobs from the
// simulator's media host and decrypts them with node:crypto into a temp file, with the same concurrency.
// Then uploads (POST …/media) of one file, raw body and multipart: the gateway's RSS growth during each.
//   bun scripts/bench/media.ts [--images 200] [--image-kb 1024] [--doc-mb 200] [--upload-mb 200]
import { Database } from 'bun:sqlite'
import { createDecipheriv, createHash, hkdfSync } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { rootCertificates } from 'node:tls'
import { uploadOnce, type UploadFigures } from './media-upload.ts'
import { arg, linkSessions, ratioRow, report, rssMb, spawnGateway, spawnSimulator, waitFor } from './lib.ts'

const IMAGES = arg('images', 200)
const IMAGE_BYTES = arg('image-kb', 1024) * 1024
const DOC_BYTES = arg('doc-mb', 200) * 1024 * 1024
const UPLOAD_BYTES = arg('upload-mb', 200) * 1024 * 1024
const CONCURRENCY = 3 // the gateway's download concurrency (sessions/media-downloads.ts)
const OWNER = '6281300000001'
const CONTACT = '6281300000002'

const dir = mkdtempSync(join(tmpdir(), 'wagate-bench-media-'))
const sim = await spawnSimulator()
const info = (await (await fetch(sim.controlUrl + '/')).json()) as { mediaCa: string }
const caFile = join(dir, 'media-ca.pem')
writeFileSync(caFile, info.mediaCa)

const gw = await spawnGateway(join(dir, 'data'), sim, [
  '--wa-media-ca',
  caFile,
  '--egress-allow',
  '127.0.0.1',
  '--media-max-bytes',
  String(Math.max(DOC_BYTES, UPLOAD_BYTES) + (1 << 20)),
])

type Job = { kind: string; media_key: Uint8Array; url: string; file_sha256: string; size: number }
const db = () => new Database(join(dir, 'data', 'wagate.db'), { readonly: true })
const storedCount = (d: Database) =>
  d.query<{ n: number }, []>("SELECT count(*) AS n FROM message_media WHERE status = 'stored'").get()!.n

let images = { secs: 0, files: 0, bytes: 0 }
let doc = { secs: 0, bytes: 0, rssBeforeMb: 0, rssPeakMb: 0 }
let jobs: Job[] = []
const uploads: UploadFigures[] = []
try {
  const [sid] = await linkSessions(gw, sim, [OWNER])
  await sim.control('POST', '/accounts', { phone: CONTACT, name: 'Bench contact' })
  // Warm-up: the first message opens the Signal session; one small image also runs the first media_conn.
  await sim.control('POST', `/accounts/${CONTACT}/messages`, {
    to: OWNER,
    image: { mimetype: 'image/jpeg', random: 1000 },
  })
  const d = db()
  await waitFor('warm-up stored', () => storedCount(d) >= 1, 30_000)

  const t0 = performance.now()
  await sim.control('POST', `/accounts/${CONTACT}/messages`, {
    to: OWNER,
    count: IMAGES,
    image: { mimetype: 'image/jpeg', random: IMAGE_BYTES },
  })
  await waitFor(`${IMAGES} images stored`, () => storedCount(d) >= 1 + IMAGES, 600_000, 20)
  images = { secs: (performance.now() - t0) / 1000, files: IMAGES, bytes: IMAGES * IMAGE_BYTES }
  console.log(
    `${IMAGES} images of ${IMAGE_BYTES / 1024} KB: ${images.secs.toFixed(2)} s = ${(IMAGES / images.secs).toFixed(1)} files/s, ` +
      `${(images.bytes / 2 ** 20 / images.secs).toFixed(1)} MB/s`,
  )

  const pid = gw.proc.pid
  doc.rssBeforeMb = await rssMb(pid)
  doc.rssPeakMb = doc.rssBeforeMb
  let sampling = true
  const sampler = (async () => {
    while (sampling) {
      doc.rssPeakMb = Math.max(doc.rssPeakMb, await rssMb(pid))
      await Bun.sleep(20)
    }
  })()
  const t1 = performance.now()
  await sim.control('POST', `/accounts/${CONTACT}/messages`, {
    to: OWNER,
    document: { mimetype: 'application/pdf', filename: 'big.pdf', random: DOC_BYTES },
  })
  await waitFor('200 MB document stored', () => storedCount(d) >= 2 + IMAGES, 600_000, 20)
  doc.secs = (performance.now() - t1) / 1000
  doc.bytes = DOC_BYTES
  sampling = false
  await sampler
  console.log(
    `1 document of ${DOC_BYTES / 2 ** 20} MB: ${doc.secs.toFixed(2)} s = ${(DOC_BYTES / 2 ** 20 / doc.secs).toFixed(1)} MB/s; ` +
      `gateway RSS ${doc.rssBeforeMb.toFixed(0)} MB before, peak ${doc.rssPeakMb.toFixed(0)} MB ` +
      `(+${(doc.rssPeakMb - doc.rssBeforeMb).toFixed(1)} MB)`,
  )
  jobs = d
    .query<Job, []>(
      `SELECT kind, media_key, url, file_sha256, size FROM message_media WHERE status = 'stored' ORDER BY message_pk`,
    )
    .all()
    .slice(1) // not the warm-up
  d.close()
  for (const kind of ['raw', 'multipart'] as const) {
    const u = await uploadOnce(gw, sid!, kind, UPLOAD_BYTES)
    uploads.push(u)
    console.log(
      `upload of ${UPLOAD_BYTES / 2 ** 20} MB, ${kind}: ${u.secs.toFixed(2)} s; gateway RSS ${u.rssBeforeMb.toFixed(0)} MB ` +
        `before, peak ${u.rssPeakMb.toFixed(0)} MB (+${(u.rssPeakMb - u.rssBeforeMb).toFixed(1)} MB)`,
    )
  }
} finally {
  await gw.stop('SIGTERM')
}

/** Raw download-and-decrypt of one blob into a temp file: fetch, HKDF, AES-256-CBC, SHA-256, write. */
async function raw(job: Job, out: string): Promise<number> {
  const info = `WhatsApp ${job.kind === 'document' ? 'Document' : 'Image'} Keys`
  const keys = Buffer.from(hkdfSync('sha256', job.media_key, Buffer.alloc(0), info, 112))
  const decipher = createDecipheriv('aes-256-cbc', keys.subarray(16, 48), keys.subarray(0, 16))
  const res = await fetch(job.url, {
    headers: { origin: 'https://web.whatsapp.com' },
    tls: { ca: [...rootCertificates, (await Bun.file(caFile).text()) as string] },
  } as RequestInit)
  const fh = await open(out, 'w')
  const hash = createHash('sha256')
  let tail = Buffer.alloc(0)
  let n = 0
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    // Keep the last 10 bytes back: they are the MAC, not ciphertext.
    const all = Buffer.concat([tail, chunk])
    tail = all.subarray(all.length - 10)
    const plain = decipher.update(all.subarray(0, all.length - 10))
    hash.update(plain)
    await fh.write(plain)
    n += plain.length
  }
  const last = decipher.final()
  hash.update(last)
  await fh.write(last)
  await fh.close()
  if (hash.digest('hex') !== job.file_sha256) throw new Error('ceiling: hash mismatch')
  return n + last.length
}

async function ceiling(list: Job[]): Promise<number> {
  const t0 = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      while (next < list.length) await raw(list[next++]!, join(dir, `raw-${w}`))
    }),
  )
  return (performance.now() - t0) / 1000
}

let ceilImagesSecs = 0
let ceilDocSecs = 0
try {
  ceilImagesSecs = await ceiling(jobs.slice(0, IMAGES))
  ceilDocSecs = await ceiling(jobs.slice(IMAGES))
} finally {
  await sim.stop()
  rmSync(dir, { recursive: true, force: true })
}
console.log(
  `ceiling (raw fetch + AES-CBC + SHA-256 + write, ${CONCURRENCY} at a time): images ${(IMAGES / ceilImagesSecs).toFixed(1)} files/s, ` +
    `${(images.bytes / 2 ** 20 / ceilImagesSecs).toFixed(1)} MB/s; document ${(DOC_BYTES / 2 ** 20 / ceilDocSecs).toFixed(1)} MB/s`,
)
console.log(
  `command: bun scripts/bench/media.ts --images ${IMAGES} --image-kb ${IMAGE_BYTES / 1024} --doc-mb ${DOC_BYTES / 2 ** 20} --upload-mb ${UPLOAD_BYTES / 2 ** 20}`,
)
const m = {
  filesPerSec: IMAGES / images.secs,
  imagesMbPerSec: images.bytes / 2 ** 20 / images.secs,
  ceilingFilesPerSec: IMAGES / ceilImagesSecs,
  docMbPerSec: DOC_BYTES / 2 ** 20 / doc.secs,
  ceilingDocMbPerSec: DOC_BYTES / 2 ** 20 / ceilDocSecs,
  rssGrowthMb: doc.rssPeakMb - doc.rssBeforeMb,
}
const f1 = (x: number) => x.toFixed(1)
report([
  ratioRow({
    metric: `inbound media: ${IMAGES} images of ${IMAGE_BYTES / 2 ** 20} MB, send → stored`,
    measured: `${f1(m.filesPerSec)} files/s, ${f1(m.imagesMbPerSec)} MB/s`,
    ceiling: `${f1(m.ceilingFilesPerSec)} files/s (raw download + decrypt + write)`,
    ratio: m.filesPerSec / m.ceilingFilesPerSec,
    data: m,
  }),
  ratioRow({
    metric: `inbound media: one ${DOC_BYTES / 2 ** 20} MB document, send → stored`,
    measured: `${f1(m.docMbPerSec)} MB/s`,
    ceiling: `${f1(m.ceilingDocMbPerSec)} MB/s (raw download + decrypt + write)`,
    ratio: m.docMbPerSec / m.ceilingDocMbPerSec,
  }),
  {
    metric: `gateway peak RSS growth during the ${DOC_BYTES / 2 ** 20} MB document`,
    measured: `${f1(m.rssGrowthMb)} MB`,
    target: '< 32 MB',
    met: m.rssGrowthMb < 32,
  },
  ...uploads.map((u) => ({
    metric: `gateway peak RSS growth during a ${UPLOAD_BYTES / 2 ** 20} MB upload (POST …/media, ${u.kind})`,
    measured: `${f1(u.rssPeakMb - u.rssBeforeMb)} MB (${f1(UPLOAD_BYTES / 2 ** 20 / u.secs)} MB/s)`,
    target: '< 32 MB',
    met: u.rssPeakMb - u.rssBeforeMb < 32,
  })),
])
