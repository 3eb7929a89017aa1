import { defineConfig } from 'prisma/config';

// For Prisma's own CLI where its engines can be downloaded (`prisma migrate deploy` in a
// deployment pipeline). Converge itself applies migrations with the WebAssembly engine
// (server/db/migrations.ts) and needs none of this.
export default defineConfig({
  // A folder: platform.prisma (hand-written) and model.prisma (from model.graphql).
  schema: 'prisma/schema',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
