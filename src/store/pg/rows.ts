// What PostgreSQL rows need to look like SQLite's before the shared mappers read them: Bun.SQL answers bigint
// (int8) columns as strings (a JS number cannot hold every int8), and boolean columns as booleans where SQLite
// stores 0/1. Every value we keep in a bigint is an epoch-ms time, a row id or a size, all below 2^53.

/** An int8 as a number. */
export const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v))

/** A nullable int8 as a number or null. */
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v))

/** A boolean column as SQLite's 0/1. */
export const bit = (v: unknown): number => (v === true || v === 1 ? 1 : 0)
