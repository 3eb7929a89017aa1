// Runs `prisma generate` without letting the Prisma CLI fetch its native schema engine.
// Generation never runs that engine, but the CLI insists on finding a binary: pointing
// PRISMA_SCHEMA_ENGINE_BINARY at any existing file satisfies it. Migrations need the engine and
// use its WebAssembly build instead (server/db/; docs/operations.md, Migrations and upgrades).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const placeholderBinary = fileURLToPath(import.meta.url);
const result = spawnSync('npx', ['--no-install', 'prisma', 'generate'], {
  stdio: 'inherit',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? placeholderBinary,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  },
});
process.exit(result.status ?? 1);
