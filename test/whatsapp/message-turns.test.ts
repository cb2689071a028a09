// The message mutex Baileys' handleMessage runs under, as wagate wraps it (src/whatsapp/message-turns.ts): the
// receipt hook may let the next message in before its own commit; everything else is Baileys' mutex unchanged.
import { describe, expect, it } from 'bun:test'
import { makeMutex } from '@whiskeysockets/baileys/lib/Utils/make-mutex.js'
import { createMessageTurns } from '../../src/whatsapp/message-turns.ts'

/** A promise and its resolver. */
const gate = () => {
  let open!: () => void
  const opened = new Promise<void>((r) => (open = r))
  return { opened, open }
}
const turn = () => new Promise((r) => setImmediate(r))

describe('message turns', () => {
  it('run one message at a time when nothing hands over, as Baileys does', async () => {
    const turns = createMessageTurns()
    const m = turns.wrap(makeMutex())
    const log: string[] = []
    const g = gate()
    const first = m.mutex(async () => {
      log.push('1 starts')
      await g.opened
      log.push('1 ends')
    })
    const second = m.mutex(async () => void log.push('2 starts'))
    await turn()
    expect(log).toEqual(['1 starts'])
    g.open()
    await Promise.all([first, second])
    expect(log).toEqual(['1 starts', '1 ends', '2 starts'])
  })

  it('let the next message in once the running one hands over, and its caller still waits for all of it', async () => {
    const turns = createMessageTurns()
    const m = turns.wrap(makeMutex())
    const log: string[] = []
    const committed = gate()
    let firstDone = false
    const first = m
      .mutex(async () => {
        log.push('1 queued its write')
        turns.handOver()
        await committed.opened
        log.push('1 receipt')
      })
      .then(() => (firstDone = true))
    const second = m.mutex(async () => void log.push('2 decrypts'))
    await second
    expect(log).toEqual(['1 queued its write', '2 decrypts'])
    expect(firstDone).toBe(false)
    committed.open()
    await first
    expect(log).toEqual(['1 queued its write', '2 decrypts', '1 receipt'])
  })

  it('let at most perTurn messages in per turn of the event loop, then wait for the next turn', async () => {
    const turns = createMessageTurns(2)
    const m = turns.wrap(makeMutex())
    const log: string[] = []
    const committed = gate()
    const hook = (n: number) =>
      m.mutex(async () => {
        log.push(`${n} handed over`)
        turns.handOver()
        await committed.opened
      })
    const all = [1, 2, 3, 4].map(hook)
    for (let i = 0; i < 10; i++) await Promise.resolve()
    expect(log).toEqual(['1 handed over', '2 handed over', '3 handed over'])
    committed.open()
    await Promise.all(all)
    expect(log).toEqual(['1 handed over', '2 handed over', '3 handed over', '4 handed over'])
  })

  it('hand an error thrown after the hand-over to the caller of that message', async () => {
    const turns = createMessageTurns()
    const m = turns.wrap(makeMutex())
    const failing = m.mutex(async () => {
      turns.handOver()
      await turn()
      throw new Error('not stored')
    })
    expect(await m.mutex(async () => 'next')).toBe('next')
    await expect(failing).rejects.toThrow('not stored')
  })

  it('keep the mutex shared with the other users of the same Baileys mutex', async () => {
    const turns = createMessageTurns()
    const baileys = makeMutex()
    const m = turns.wrap(baileys)
    expect(turns.wrap(baileys)).toBe(m)
    const log: string[] = []
    const g = gate()
    const message = m.mutex(async () => {
      await g.opened
      log.push('message')
    })
    const sentUpsert = baileys.mutex(async () => void log.push('upsert of a sent message'))
    await turn()
    expect(log).toEqual([])
    g.open()
    await Promise.all([message, sentUpsert])
    expect(log).toEqual(['message', 'upsert of a sent message'])
  })
})
