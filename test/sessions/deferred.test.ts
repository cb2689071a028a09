// The deferred supervisor (src/sessions/deferred.ts): nothing is loaded until a session needs a socket.
import { expect, it } from 'bun:test'
import { createLogger } from '../../src/log.ts'
import { deferSupervisor } from '../../src/sessions/deferred.ts'
import type { Supervisor } from '../../src/sessions/supervisor.ts'

/** A deferred supervisor over a recording one; `loads` counts how often it was built. */
function rig(running: string[] = []) {
  const calls: string[] = []
  let loads = 0
  const record =
    (name: string) =>
    async (...args: unknown[]) =>
      void calls.push(`${name}(${args.join(',')})`)
  const real = {
    start: record('start'),
    restore: record('restore'),
    shutdown: record('shutdown'),
    acquire: record('acquire'),
    drop: (id: string) => void calls.push(`drop(${id})`),
    live: (id: string) => ({ connected: id === 's1', generation: 1 }),
  } as unknown as Supervisor
  const engine = deferSupervisor({
    load: async () => {
      loads++
      return real
    },
    running: () => running,
    logger: createLogger('silent'),
  })
  return { engine, calls, loads: () => loads }
}

it('loads nothing for a boot restore when no session is to run', async () => {
  const r = rig([])
  await r.engine.restore()
  expect(r.loads()).toBe(0)
  expect(r.calls).toEqual([])
})

it('loads the supervisor and restores when a session is to run', async () => {
  const r = rig(['s1'])
  await r.engine.restore()
  expect(r.loads()).toBe(1)
  expect(r.calls).toEqual(['restore()'])
})

it('loads once for concurrent first calls, and runs them in the order they were made', async () => {
  const r = rig()
  await Promise.all([r.engine.start('a'), r.engine.start('b'), r.engine.acquire('c')])
  expect(r.loads()).toBe(1)
  expect(r.calls).toEqual(['start(a)', 'start(b)', 'acquire(c)'])
})

it('shuts down without loading when it never loaded', async () => {
  const r = rig()
  await r.engine.shutdown()
  expect(r.loads()).toBe(0)
  expect(r.engine.live('s1')).toBeNull()
})

it('drops a lease after the acquire that waited for the load', async () => {
  const r = rig()
  const acquired = r.engine.acquire('s1')
  r.engine.drop('s1')
  await acquired
  await Bun.sleep(0)
  expect(r.calls).toEqual(['acquire(s1)', 'drop(s1)'])
  expect(r.engine.live('s1')).toEqual({ connected: true, generation: 1 })
})

it('fails every call with the load error', async () => {
  const engine = deferSupervisor({
    load: async () => {
      throw new Error('no hook')
    },
    running: () => ['s1'],
    logger: createLogger('silent'),
  })
  await expect(engine.start('a')).rejects.toThrow('no hook')
  await expect(engine.restore()).rejects.toThrow('no hook')
})
