import { ConfigError, parseConfig } from '../config.ts';
import { openDatabase } from './client.ts';
import { applyPendingMigrations, createMigration, type MigrationLogger } from './migrations.ts';

/**
 * `npm run db:migrate` applies pending migrations to the configured database (DATABASE_URL,
 * else PGlite in DATA_DIR); `npm run db:migration -- <name>` writes a new migration from
 * the changes to the Prisma schema (prisma/schema/).
 */
const usage = `Usage:
  tsx server/db/cli.ts migrate          apply pending migrations (DATABASE_URL, else PGlite in DATA_DIR)
  tsx server/db/cli.ts create <name>    write prisma/migrations/<timestamp>_<name>/migration.sql`;

const logger: MigrationLogger = {
  info(detailsOrMessage: object | string, message?: string) {
    if (typeof detailsOrMessage === 'string') return console.log(detailsOrMessage);
    const details = Object.values(detailsOrMessage).flat().join(', ');
    console.log(details ? `${message ?? ''}: ${details}` : (message ?? ''));
  },
};

/** Prisma prefixes query errors with the call that failed; the cause is what helps here. */
function explain(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^\s*Invalid `[^`]+` invocation:\s*/, '').trim();
}

class UsageError extends Error {}

async function migrate(): Promise<void> {
  const config = parseConfig();
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const target = config.databaseUrl ? redact(config.databaseUrl) : `PGlite in ${config.dataDir}`;
    const { applied } = await applyPendingMigrations(db, logger);
    console.log(
      applied.length === 0
        ? `${target} is up to date.`
        : `Applied ${applied.length} migration(s) to ${target}.`,
    );
  } finally {
    await db.close();
  }
}

async function create(name: string | undefined): Promise<void> {
  if (!name) throw new UsageError('Missing migration name');
  await createMigration(name, { logger });
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

async function main(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  if (command === 'migrate' && rest.length === 0) return migrate();
  if (command === 'create' && rest.length <= 1) return create(rest[0]);
  throw new UsageError(command ? `Unknown command: ${args.join(' ')}` : 'Missing command');
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${usage}`);
    process.exitCode = 2;
  } else if (error instanceof ConfigError) {
    console.error(error.message);
    process.exitCode = 1;
  } else {
    console.error(`Migration failed: ${explain(error)}`);
    process.exitCode = 1;
  }
});
