// Uploads into a running gateway (POST …/media), raw body and multipart, of `bytes` generated as they are sent, with
// the gateway's RSS sampled during each: both are streamed to a temp file of the media store as they arrive, so
// neither may grow the process by the file's size.
import { lazyBytes, lazyMultipart } from '../../test/helpers/lazy-body.ts'
import { rssMb, type Gateway } from './lib.ts'

export type UploadFigures = { kind: 'raw' | 'multipart'; secs: number; rssBeforeMb: number; rssPeakMb: number }

/** One upload of `bytes`, raw or multipart, timed, with the gateway's RSS before and at its peak. */
export async function uploadOnce(gw: Gateway, sid: string, kind: 'raw' | 'multipart', bytes: number) {
  const pid = gw.proc.pid
  const rssBeforeMb = await rssMb(pid)
  let rssPeakMb = rssBeforeMb
  let sampling = true
  const sampler = (async () => {
    while (sampling) {
      rssPeakMb = Math.max(rssPeakMb, await rssMb(pid))
      await Bun.sleep(20)
    }
  })()
  const lazy =
    kind === 'raw'
      ? { ...lazyBytes(bytes), contentType: 'application/pdf' }
      : lazyMultipart({}, { name: 'big.pdf', type: 'application/pdf', size: bytes })
  const { body, contentType } = lazy
  const t0 = performance.now()
  const res = await fetch(`${gw.url}/api/v1/sessions/${sid}/media`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gw.key}`, 'content-type': contentType },
    body,
    duplex: 'half',
  } as RequestInit)
  const answer = await res.text()
  const secs = (performance.now() - t0) / 1000
  sampling = false
  await sampler
  if (res.status !== 201) throw new Error(`${kind} upload: ${res.status} ${answer}`)
  return { kind, secs, rssBeforeMb, rssPeakMb } satisfies UploadFigures
}
