// The webhook sender's thread (see sender.ts): lanes and requests away from the event loop that does the store's
// work. Results go back in batches, one message per turn of this thread's loop rather than one per request.
import { createEgress, parseAllowList } from '../media/egress.ts'
import { createLanes, packResults, unpackJobs, type FromWorker, type SendResult, type ToWorker } from './sender.ts'

declare const self: Worker

let lanes: ReturnType<typeof createLanes> | null = null
let results: SendResult[] = []
let flushing = false

const post = (m: FromWorker) => self.postMessage(m)

function flush() {
  flushing = false
  if (!results.length) return
  post({ results: packResults(results) })
  results = []
}

function report(r: SendResult) {
  results.push(r)
  if (flushing) return
  flushing = true
  setImmediate(flush)
}

self.onmessage = async (e: MessageEvent<ToWorker>) => {
  try {
    await handle(e.data)
  } catch (err) {
    // Reported, and the thread goes on: an exception left uncaught here would end it with every lane it holds.
    post({ error: (err as Error)?.stack ?? String(err), webhookId: 'webhookId' in e.data ? e.data.webhookId : null })
  }
}

async function handle(m: ToWorker) {
  if (m.op === 'init') {
    const egress = createEgress({ allow: parseAllowList(m.egressAllow).allow })
    lanes = createLanes({
      ...m.settings,
      fetch: egress.fetch,
      report,
      failed: (err, webhookId) => post({ error: (err as Error)?.stack ?? String(err), webhookId }),
    })
    return
  }
  if (!lanes) throw new Error(`webhook sender: ${m.op} before init`)
  switch (m.op) {
    case 'target':
      return lanes.target(m.target)
    case 'send':
      return lanes.send(m.webhookId, unpackJobs(m.webhookId, m.packed))
    case 'drop':
      return post({ req: m.req, pks: lanes.drop(m.webhookId) })
    case 'stop': {
      const pks = await lanes.stop()
      flush()
      return post({ req: m.req, pks })
    }
  }
}
