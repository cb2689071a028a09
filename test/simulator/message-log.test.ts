import { describe, expect, it } from 'bun:test'
import { MessageLog } from '../../src/simulator/message-log.ts'

describe('a phone message log', () => {
  it('lists entries in the order they were added and finds them by key', () => {
    const log = new MessageLog<string>(10)
    log.add('b', 'second-added')
    log.add('a', 'third-added')
    expect(log.toArray()).toEqual(['second-added', 'third-added'])
    expect([...log]).toEqual(['second-added', 'third-added'])
    expect(log.get('a')).toBe('third-added')
    expect(log.has('c')).toBe(false)
  })

  it('refuses a key it already holds and keeps the first entry', () => {
    const log = new MessageLog<string>(10)
    expect(log.add('k', 'first')).toBe(true)
    expect(log.add('k', 'again')).toBe(false)
    expect(log.toArray()).toEqual(['first'])
  })

  it('forgets the oldest entries past its limit', () => {
    const log = new MessageLog<number>(3)
    for (let i = 1; i <= 5; i++) log.add(String(i), i)
    expect(log.toArray()).toEqual([3, 4, 5])
    expect(log.size).toBe(3)
    expect(log.has('2')).toBe(false)
    expect(log.add('1', 1)).toBe(true)
    expect(log.toArray()).toEqual([4, 5, 1])
  })
})
