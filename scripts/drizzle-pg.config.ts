// drizzle-kit configuration of the PostgreSQL schema: writes its SQL migrations into db/pg/
// (`npx drizzle-kit generate --config scripts/drizzle-pg.config.ts --name X && bun scripts/gen-migrations.ts`).
import { defineConfig } from 'drizzle-kit'

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/pg/schema.ts',
  out: './db/pg',
})
