// The drizzle schema: the single definition of every table, in two parts by concern. Migrations are generated
// from it (`npm run db:generate`) into db/migrations/ and embedded in the binary.
export * from './schema-core.ts'
export * from './schema-media.ts'
