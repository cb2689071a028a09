import { afterEach, beforeEach, describe, expect, it } from 'bun:test'
import { initAuthCreds, proto } from '@whiskeysockets/baileys'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from '../../src/log.ts'
import { createAuthStateSql, type AuthOp, type KeyWrites } from '../../src/store/auth-state-sql.ts'
import { openDb, type Db } from '../../src/store/db.ts'
import { orgs, sessions } from '../../src/store/schema.ts'
import { createSessionAuth, type AuthSql, type SocketAuth } from '../../src/whatsapp/auth-state.ts'
import { createSealer } from '../../src/domain/sealer.ts'
import { loadSecretKey } from '../../src/whatsapp/secret-key.ts'

let dir: string
let db: Db
const key = randomBytes(32)
const make = (sessionId = 's1') =>
  createSessionAuth({
    sessionId,
    sql: createAuthStateSql(db),
    sealer: createSealer(key),
    logger: createLogger('silent'),
  })

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wagate-auth-'))
  db = openDb(join(dir, 'db.sqlite'))
  db.orm.insert(orgs).values({ id: 'o', name: 'o' }).run()
  db.orm
    .insert(sessions)
    .values([
      { id: 's1', orgId: 'o', name: 's1' },
      { id: 's2', orgId: 'o', name: 's2' },
    ])
    .run()
})
afterEach(() => {
  db.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('SQL auth state', () => {
  it('round-trips creds and keys, rehydrating app-state sync keys as protos', async () => {
    const a = make()
    const { state, saveCreds } = await a.forSocket(() => true)
    state.creds.me = { id: '1555@s.whatsapp.net', name: 'x' }
    state.creds.account = proto.ADVSignedDeviceIdentity.fromObject({ details: Buffer.from([1, 2]) })
    saveCreds()
    await state.keys.set({
      'pre-key': { '1': { public: Buffer.from('pub1'), private: Buffer.from('priv1') } },
      'app-state-sync-key': { AAA: { keyData: Buffer.from('kd'), timestamp: 5 } },
      session: { '1555.0': Buffer.from('record') },
    })
    const fresh = (await make().forSocket(() => true)).state // new cache: reads the database
    expect(Buffer.from(fresh.creds.noiseKey.private).equals(Buffer.from(state.creds.noiseKey.private))).toBe(true)
    expect(fresh.creds.me?.id).toBe('1555@s.whatsapp.net')
    const pre = await fresh.keys.get('pre-key', ['1', '2'])
    expect(Object.keys(pre)).toEqual(['1'])
    expect(Buffer.from(pre['1']!.private).toString()).toBe('priv1')
    const app = (await fresh.keys.get('app-state-sync-key', ['AAA']))['AAA']!
    expect(app).toBeInstanceOf(proto.Message.AppStateSyncKeyData)
    expect(await make().isLinked()).toBe(true)
  })

  it('stores nothing in plaintext', async () => {
    const { state, saveCreds } = await make().forSocket(() => true)
    saveCreds()
    await state.keys.set({ session: { '1.0': Buffer.from('PLAINTEXT-SESSION-RECORD') } })
    db.sqlite.run('PRAGMA wal_checkpoint(TRUNCATE)')
    const raw = Buffer.concat([readFileSync(join(dir, 'db.sqlite'))])
    for (const secret of [
      Buffer.from('PLAINTEXT-SESSION-RECORD'),
      Buffer.from(state.creds.noiseKey.private),
      Buffer.from(Buffer.from(state.creds.noiseKey.private).toString('base64')),
      Buffer.from('noiseKey'),
    ]) {
      expect(raw.includes(secret)).toBe(false)
    }
  })

  it('applies a keys.set atomically: one failing row rolls back the whole call and it throws', async () => {
    const { state } = await make().forSocket(() => true)
    db.sqlite.run(
      "CREATE TRIGGER boom BEFORE INSERT ON auth_state WHEN NEW.id = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END",
    )
    await state.keys.set({ 'pre-key': { '7': { public: Buffer.from('a'), private: Buffer.from('b') } } })
    const attempt = state.keys.set({
      session: { ok: Buffer.from('x') },
      'pre-key': { '7': null, boom: { public: Buffer.from('a'), private: Buffer.from('b') } },
    })
    await expect(attempt).rejects.toThrow('boom')
    const after = (await make().forSocket(() => true)).state
    expect(await after.keys.get('session', ['ok'])).toEqual({})
    expect(Object.keys(await after.keys.get('pre-key', ['7']))).toEqual(['7'])
  })

  it('drops key and creds writes from a discarded socket', async () => {
    let current = true
    const { state, saveCreds } = await make().forSocket(() => current)
    current = false
    await state.keys.set({ session: { late: Buffer.from('x') } })
    saveCreds()
    expect(createAuthStateSql(db).count('s1')).toBe(0)
  })

  it('keeps sessions apart and wipes one without touching the other', async () => {
    const one = make('s1')
    const two = make('s2')
    ;(await one.forSocket(() => true)).saveCreds()
    ;(await two.forSocket(() => true)).saveCreds()
    await one.wipe()
    expect(await one.isLinked()).toBe(false)
    expect(createAuthStateSql(db).count('s1')).toBe(0)
    expect(createAuthStateSql(db).count('s2')).toBe(1)
  })

  it('refuses a row moved to another session (the address is authenticated)', async () => {
    ;(await make('s1').forSocket(() => true)).saveCreds()
    db.sqlite.run("UPDATE auth_state SET session_id = 's2' WHERE session_id = 's1'")
    await expect(make('s2').forSocket(() => true)).rejects.toThrow()
  })
})

describe('key writes of a decrypt', () => {
  const rec = (s: string) => Buffer.from(s)
  const stored = (id: string) => createAuthStateSql(db).read('s1', 'session', id) !== null

  it('are held, readable, and committed in the receipt hook transaction with the message', async () => {
    const view = await make().forSocket(() => true)
    await view.decrypting(async () => view.state.keys.set({ session: { bob: rec('step 1') } }))
    expect(stored('bob')).toBe(false)
    expect((await view.state.keys.get('session', ['bob'])).bob).toEqual(rec('step 1'))
    const keys = (await view.messageKeys())!
    expect(keys.ops.map((o) => [o.type, o.id])).toEqual([['session', 'bob']])
    db.sqlite.transaction(() => createAuthStateSql(db).apply('s1', keys.ops))()
    keys.stored = true
    view.settle(keys, true)
    expect(stored('bob')).toBe(true)
    expect(view.messageKeys()).toBeNull()
    expect((await (await make().forSocket(() => true)).state.keys.get('session', ['bob'])).bob).toEqual(rec('step 1'))
  })

  it('are committed before the receipt when the hook stored only the message', async () => {
    const view = await make().forSocket(() => true)
    await view.decrypting(async () => view.state.keys.set({ session: { bob: rec('step 1') } }))
    view.settle((await view.messageKeys())!, true)
    expect(stored('bob')).toBe(true)
  })

  it('are dropped when the hook failed, so the redelivered message decrypts from the committed ratchet', async () => {
    const view = await make().forSocket(() => true)
    await view.state.keys.set({ session: { bob: rec('committed') } })
    await view.decrypting(async () => view.state.keys.set({ session: { bob: rec('step 2') } }))
    view.settle((await view.messageKeys())!, false)
    expect((await view.state.keys.get('session', ['bob'])).bob).toEqual(rec('committed'))
    expect((await (await make().forSocket(() => true)).state.keys.get('session', ['bob'])).bob).toEqual(
      rec('committed'),
    )
  })

  it('commit on their own right after the decrypt when no hook comes (a message that failed further on)', async () => {
    const view = await make().forSocket(() => true)
    await view.decrypting(async () => view.state.keys.set({ 'sender-key': { g: rec('skdm') } }))
    expect(createAuthStateSql(db).read('s1', 'sender-key', 'g')).toBeNull()
    await new Promise((r) => setImmediate(r))
    expect(createAuthStateSql(db).read('s1', 'sender-key', 'g')).not.toBeNull()
  })

  describe('of the next message, decrypted while the previous commit is pending', () => {
    const commit = (keys: KeyWrites) => {
      db.sqlite.transaction(() => createAuthStateSql(db).apply('s1', keys.ops))()
      keys.stored = true
    }
    const step = async (view: SocketAuth, value: string) => {
      await view.decrypting(async () => view.state.keys.set({ session: { bob: rec(value) } }))
      return (await view.messageKeys())!
    }

    it("read the previous message's held step and commit after it, in order", async () => {
      const view = await make().forSocket(() => true)
      const first = await step(view, 'step 1')
      const second = await step(view, 'step 2')
      commit(first)
      commit(second)
      view.settle(first, true)
      view.settle(second, true)
      expect((await view.state.keys.get('session', ['bob'])).bob).toEqual(rec('step 2'))
      expect((await (await make().forSocket(() => true)).state.keys.get('session', ['bob'])).bob).toEqual(rec('step 2'))
    })

    it('leave the cache at the newest step when a later hook settles first', async () => {
      const view = await make().forSocket(() => true)
      const first = await step(view, 'step 1')
      const second = await step(view, 'step 2')
      commit(first)
      commit(second)
      view.settle(second, true)
      view.settle(first, true)
      expect((await view.state.keys.get('session', ['bob'])).bob).toEqual(rec('step 2'))
    })

    it('are refused when the previous message failed to commit, and the ratchet goes back to the committed step', async () => {
      const view = await make().forSocket(() => true)
      await view.state.keys.set({ session: { bob: rec('committed') } })
      const first = await step(view, 'step 1')
      const second = await step(view, 'step 2')
      expect(second.valid!()).toBe(true)
      first.failed!()
      expect(second.valid!()).toBe(false)
      expect((await view.state.keys.get('session', ['bob'])).bob).toEqual(rec('committed'))
      view.settle(first, false)
      view.settle(second, false)
      expect((await step(view, 'step 1 again')).valid!()).toBe(true)
    })

    it('refuse the hook of a decrypt that began before the previous message failed', async () => {
      const view = await make().forSocket(() => true)
      const first = await step(view, 'step 1')
      await view.decrypting(async () => {
        first.failed!()
        await view.state.keys.set({ session: { bob: rec('step 2, read from step 1') } })
      })
      expect(() => view.messageKeys()).toThrow('an earlier message of this socket was not stored')
      expect(await view.state.keys.get('session', ['bob'])).toEqual({})
    })
  })

  it('are committed with any other key write, which never waits', async () => {
    const view = await make().forSocket(() => true)
    await view.decrypting(async () => view.state.keys.set({ session: { bob: rec('step 1') } }))
    await view.state.keys.set({ 'pre-key': { '9': { public: rec('a'), private: rec('b') } } })
    expect(stored('bob')).toBe(true)
    expect(createAuthStateSql(db).read('s1', 'pre-key', '9')).not.toBeNull()
  })
})

describe('secret key', () => {
  it('creates a 0600 key file once and reuses it', () => {
    const a = loadSecretKey({ dataDir: dir })
    const b = loadSecretKey({ dataDir: dir })
    expect(a.length).toBe(32)
    expect(a.equals(b)).toBe(true)
    expect(statSync(join(dir, 'secret.key')).mode & 0o777).toBe(0o600)
  })

  it('prefers the configured key', () => {
    const hex = randomBytes(32).toString('hex')
    expect(loadSecretKey({ configured: hex, dataDir: dir }).toString('hex')).toBe(hex)
    expect(() => loadSecretKey({ configured: 'short', dataDir: dir })).toThrow()
  })
})

it('fresh creds are not linked', () => {
  expect(initAuthCreds().account).toBeUndefined()
})

describe('on a store that answers later (PostgreSQL)', () => {
  /**
   * The SQLite rows behind promises, as PostgreSQL answers: reads wait until `release()` when `holdReads` is set
   * (a cache fill under way); writes are queued and applied on the next turn, in the order they started.
   */
  function laterStore() {
    const sql = createAuthStateSql(db)
    const gate = { holdReads: false, waiting: [] as (() => void)[] }
    const later = <T>(f: () => T) => new Promise<T>((r) => setImmediate(() => r(f())))
    const store = {
      read: (s: string, t: string, id: string) => {
        const value = sql.read(s, t, id) // what the database holds when the read starts
        if (!gate.holdReads) return later(() => value)
        return new Promise<Uint8Array | null>((r) => gate.waiting.push(() => r(value)))
      },
      write: (s: string, ops: AuthOp[]) => later(() => sql.write(s, ops)),
      wipe: (s: string) => later(() => sql.wipe(s)),
    }
    const release = () => gate.waiting.splice(0).forEach((go) => go())
    return { store, gate, release }
  }
  const auth = (store: AuthSql) =>
    createSessionAuth({ sessionId: 's1', sql: store, sealer: createSealer(key), logger: createLogger('silent') })
  const rec = (s: string) => Buffer.from(s)

  it('a cache fill that started before a write of the same key never replaces the newer value', async () => {
    const { store, gate, release } = laterStore()
    const a = auth(store)
    const view = await a.forSocket(() => true)
    await view.state.keys.set({ session: { bob: rec('old') } })
    a.close() // the cache is empty: the next read fills it from the store
    gate.holdReads = true
    const filling = view.state.keys.get('session', ['bob']) // reads 'old', answered later
    await view.state.keys.set({ session: { bob: rec('new') } })
    release()
    gate.holdReads = false
    expect((await filling).bob).toEqual(rec('new'))
    expect((await view.state.keys.get('session', ['bob'])).bob).toEqual(rec('new'))
  })

  it("no other key write commits while a receipt hook holds its message's key writes", async () => {
    const { store } = laterStore()
    const view = await auth(store).forSocket(() => true)
    await view.decrypting(async () => view.state.keys.set({ session: { bob: rec('step 1') } }))
    const keys = (await view.messageKeys())!
    const other = view.state.keys.set({ 'pre-key': { '9': { public: rec('a'), private: rec('b') } } })
    await new Promise((r) => setTimeout(r, 20))
    expect(createAuthStateSql(db).read('s1', 'pre-key', '9')).toBeNull()
    db.sqlite.transaction(() => createAuthStateSql(db).apply('s1', keys.ops))()
    keys.stored = true
    await view.settle(keys, true)
    await other
    expect(createAuthStateSql(db).read('s1', 'pre-key', '9')).not.toBeNull()
  })

  it('reads the creds after the creds writes under way', async () => {
    const { store } = laterStore()
    const a = auth(store)
    const { state, saveCreds } = await a.forSocket(() => true)
    state.creds.me = { id: '1555@s.whatsapp.net', name: 'x' }
    state.creds.account = proto.ADVSignedDeviceIdentity.fromObject({ details: Buffer.from([1, 2]) })
    saveCreds() // not awaited, as Baileys' creds.update handler does
    expect(await a.isLinked()).toBe(true)
  })
})
