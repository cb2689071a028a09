// The SIGKILL proof of issue 6 §1, shared by test/e2e/sigkill.test.ts (CI size) and scripts/sigkill.ts (full size):
// a burst from several contacts, the gateway child killed with SIGKILL at a seeded random point, restarted, and
// every message accounted for. Each round returns its counts; the caller asserts on them.
import { Database } from 'bun:sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSimulator } from '../../src/simulator/index.ts'
import { waitFor } from '../e2e/sessions-harness.ts'
import { startGateway } from './gateway-process.ts'
import { simControl } from './sim-control.ts'

export type SigkillOptions = { rounds: number; contacts: number; perContact: number; seed: number }

/** One SIGKILL: `live` while the burst arrives (aimed at a stored count), `catch-up` during the offline backlog
 * after the restart (aimed at a receipted count, since an unpatched Baileys stores nothing until the backlog ends). */
export type Kill = {
  phase: 'live' | 'catch-up'
  aimedAt: number
  /** Stored rows of the round, and simulator states, once the simulator saw the connection close. */
  stored: number
  receipted: number
  notReceipted: number
  /** Receipted but not stored at the kill: lost for good. Must be 0. */
  receiptedNotStored: number
}

export type RoundResult = {
  round: number
  kills: Kill[]
  /** After the last restart caught up. */
  stored: number
  duplicates: number
  missing: number
  events: number
  messagesWithOneEvent: number
  receiptedAfter: number
  ms: number
}

/** mulberry32: small seeded PRNG so a failing round can be replayed from its printed seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Sent = { id: string; text: string; devices: { jid: string; state: string }[] }

export async function runSigkill(o: SigkillOptions, log: (line: string) => void = console.log): Promise<RoundResult[]> {
  const random = seeded(o.seed)
  const sim = await startSimulator({ port: 0, controlPort: 0 })
  const dir = mkdtempSync(join(tmpdir(), 'wagate-sigkill-'))
  const control = simControl(sim.controlUrl)
  const env = { WAGATE_WA_URL: sim.wsUrl, WAGATE_WA_ROOT_KEY: sim.rootPublicKey, WAGATE_LOG_LEVEL: 'info' }
  const owner = '6281400000000'
  const contacts = Array.from({ length: o.contacts }, (_, i) => `62814000001${String(i).padStart(2, '0')}`)
  let db: Database | null = null
  let gw = await startGateway({ dataDir: dir, env })
  try {
    await control('POST', '/accounts', { phone: owner, name: 'Owner' })
    for (const c of contacts) await control('POST', '/accounts', { phone: c, name: `Contact ${c.slice(-2)}` })
    await link(gw, owner, control)
    db = new Database(join(dir, 'wagate.db'), { readonly: true })
    const storedOf = db.query<{ wa_id: string; n: number }, [string]>(
      'SELECT wa_id, count(*) AS n FROM messages WHERE body = ? GROUP BY wa_id',
    )
    const countOf = db.query<{ n: number }, [string]>('SELECT count(*) AS n FROM messages WHERE body = ?')
    const eventsOf = db.query<{ id: string; n: number }, [string]>(
      `SELECT json_extract(data, '$.id') AS id, count(*) AS n FROM events
       WHERE type = 'message.received' AND json_extract(data, '$.body') = ? GROUP BY id`,
    )
    const sentOf = async (text: string) => {
      const all: Sent[] = []
      for (const c of contacts) all.push(...((await control('GET', `/accounts/${c}/sent`)).body.data as Sent[]))
      return all.filter((s) => s.text === text)
    }
    const total = o.contacts * o.perContact
    const allReceipted = (sent: Sent[]) => sent.filter((x) => x.devices.every((d) => d.state === 'receipted'))
    /** SIGKILL, then what the dead process left: stored rows against what the simulator saw receipted. */
    const kill = async (phase: Kill['phase'], aimedAt: number, text: string): Promise<Kill> => {
      await gw.stop('SIGKILL')
      // Once the simulator saw the connection close, every receipt the dead process wrote has been read.
      await waitFor('the device offline', async () =>
        ((await control('GET', `/accounts/${owner}`)).body.devices as { state: string }[]).every(
          (d) => d.state === 'offline',
        ),
      )
      const stored = new Set(storedOf.all(text).map((r) => r.wa_id))
      const sent = await sentOf(text)
      const receipted = allReceipted(sent)
      return {
        phase,
        aimedAt,
        stored: stored.size,
        receipted: receipted.length,
        notReceipted: sent.length - receipted.length,
        receiptedNotStored: receipted.filter((x) => !stored.has(x.id)).length,
      }
    }
    const results: RoundResult[] = []
    for (let round = 1; round <= o.rounds; round++) {
      const started = Date.now()
      const text = `sigkill round ${round}`
      const kills: Kill[] = []
      const liveAt = Math.floor((0.02 + 0.96 * random()) * total)
      const bursts = contacts.map((c) =>
        control('POST', `/accounts/${c}/messages`, { to: owner, text, count: o.perContact }),
      )
      for (const b of await Promise.all(bursts))
        if (b.status !== 201) throw new Error(`burst: ${JSON.stringify(b.body)}`)
      await waitFor(`${liveAt} stored`, () => countOf.get(text)!.n >= liveAt, 60_000)
      kills.push(await kill('live', liveAt, text))
      // The rest comes as the offline backlog after the restart: kill again in the middle of it.
      const done = kills[0]!.receipted
      const catchUpAt = done + Math.max(1, Math.floor(random() * (total - done)))
      gw = await startGateway({ dataDir: dir, env })
      await waitFor(`${catchUpAt} receipted`, async () => allReceipted(await sentOf(text)).length >= catchUpAt, 60_000)
      kills.push(await kill('catch-up', catchUpAt, text))
      gw = await startGateway({ dataDir: dir, env })
      // Caught up once the simulator saw every receipt: each receipt left only after its message was stored, so
      // the counts are final here (unpatched, the lost ones would never come and a stored-count wait never end).
      await waitFor('all receipted', async () => allReceipted(await sentOf(text)).length === total, 120_000)
      const sent = await sentOf(text)
      const rows = storedOf.all(text)
      const storedIds = new Set(rows.map((x) => x.wa_id))
      const events = eventsOf.all(text)
      const ids = new Set(sent.map((x) => x.id))
      const r: RoundResult = {
        round,
        kills,
        stored: rows.length,
        duplicates: rows.filter((x) => x.n !== 1).length,
        missing: [...ids].filter((id) => !storedIds.has(id)).length,
        events: events.reduce((a, e) => a + e.n, 0),
        messagesWithOneEvent: events.filter((e) => e.n === 1 && ids.has(e.id)).length,
        receiptedAfter: allReceipted(sent).length,
        ms: Date.now() - started,
      }
      log(`round ${r.round}/${o.rounds} (seed ${o.seed}): ${JSON.stringify(r)}`)
      results.push(r)
    }
    return results
  } finally {
    await gw.stop('SIGKILL').catch(() => {})
    db?.close()
    await sim.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Creates a session over the API, scans its QR with the simulated phone and waits until it is connected. */
export async function link(
  gw: Awaited<ReturnType<typeof startGateway>>,
  owner: string,
  control: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>,
) {
  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${gw.url}/api/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json', ...init.headers },
    })
    return { status: res.status, body: (await res.json().catch(() => null)) as any }
  }
  const sid = (await api('/sessions', { method: 'POST', body: JSON.stringify({ name: 'sigkill', start: true }) })).body
    .id
  const qr = await waitFor('QR', async () => {
    const r = await api(`/sessions/${sid}/qr`)
    return r.status === 200 ? r.body.qr : null
  })
  const scan = await control('POST', `/accounts/${owner}:scan`, { qr })
  if (scan.status !== 200) throw new Error(`scan failed: ${JSON.stringify(scan.body)}`)
  await waitFor('connected', async () => (await api(`/sessions/${sid}`)).body.status === 'connected', 15_000)
  return sid as string
}
