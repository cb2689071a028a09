// drizzle-kit configuration: `npm run db:generate` writes SQL migrations into db/migrations/.
import { defineConfig } from 'drizzle-kit'

export default defineConfig({
  dialect: 'sqlite',
  schema: './src/store/schema.ts',
  out: './db/migrations',
})
