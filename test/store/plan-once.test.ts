// Statements on the store's connection are written with +? parameters, so SQLite plans each once (src/store/db.ts).
import { afterAll, expect, it } from 'bun:test'
import { openDb, planOnce } from '../../src/store/db.ts'

const db = openDb(':memory:')
afterAll(() => db.close())

it('writes every parameter, numbered or not, with a unary plus', () => {
  expect(planOnce('SELECT * FROM t WHERE a = ? AND b IN (?, ?2) LIMIT ?')).toBe(
    'SELECT * FROM t WHERE a = +? AND b IN (+?, +?2) LIMIT +?',
  )
})

it('leaves question marks in strings, quoted names and comments as they are', () => {
  expect(planOnce(`SELECT 'it''s ?', "col?" FROM t /* a = ? */ WHERE a = ? -- why ?\n AND b = ?1`)).toBe(
    `SELECT 'it''s ?', "col?" FROM t /* a = ? */ WHERE a = +? -- why ?\n AND b = +?1`,
  )
})

it('leaves a parameter already written +? alone', () => {
  expect(planOnce('SELECT +? AS x')).toBe('SELECT +? AS x')
})

it("prepares the connection's statements with the parameters written +?", () => {
  expect(String(db.sqlite.prepare('SELECT ? AS x'))).toBe('SELECT +NULL AS x')
  expect(String(db.sqlite.query('SELECT ?1 AS y'))).toBe('SELECT +NULL AS y')
})

it('binds and compares values as the statement as written would', () => {
  db.sqlite.run('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n NUMERIC)')
  db.sqlite.run("INSERT INTO t (id, name, n) VALUES (1, 'a', 10), (2, 'b', 20), (3, 'c', 30)")
  const q = db.sqlite.query<{ id: number }, [string, number, number]>(
    'SELECT id FROM t WHERE name > ? AND n < ? ORDER BY id LIMIT ?',
  )
  expect(q.all('a', 30, 5)).toEqual([{ id: 2 }])
  // A text bound against a NUMERIC column still takes the column's affinity.
  expect(db.sqlite.query<{ id: number }, [string]>('SELECT id FROM t WHERE n = ?').all('20')).toEqual([{ id: 2 }])
})
