import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { pgliteEngineFactory, postgresEngineFactory } from './adapters.ts';
import { type Prisma, PrismaClient } from './generated/prisma/client.ts';
import { pgliteSql, postgresSql, type SqlClient } from './sql.ts';

// Platform tables only: the model's entity tables are read through server/sync, by the model.
export type {
  AppliedMutation,
  ChangeLog,
  Conflict,
  Member,
  Workspace,
} from './generated/prisma/client.ts';
export { Prisma, PrismaClient } from './generated/prisma/client.ts';
export * from './generated/prisma/enums.ts';

/** The client handed to code running inside `prisma.$transaction(async (tx) => ...)`. */
export type Tx = Prisma.TransactionClient;

export type DatabaseKind = 'pglite' | 'postgres';

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

/** The `dataDir` value that keeps PGlite in memory (tests, scratch work). */
export const inMemory = 'memory://';

export interface DatabaseOptions {
  /** PostgreSQL URL; when absent the embedded PGlite database is used. */
  databaseUrl?: string | undefined;
  /** Directory holding PGlite's files (in `<dataDir>/pglite`); `memory://` keeps them in memory. */
  dataDir: string;
  /** PostgreSQL connections Prisma may hold (default 10). */
  poolSize?: number;
}

export interface Database {
  kind: DatabaseKind;
  prisma: PrismaClient;
  /** The same database through its driver, for the sync hot path (server/db/sql.ts). */
  sql: SqlClient;
  /** The same database for Prisma's schema engine (migrations, diffs). */
  adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  /** Runs `SELECT 1`; throws when the database cannot answer. */
  ping(): Promise<void>;
  /** Pool connections in use and waiting queries (PostgreSQL); null for PGlite. */
  poolStats(): PoolStats | null;
  /** Disconnects Prisma and closes the pool or PGlite. Safe to call twice. */
  close(): Promise<void>;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.poolSize ?? 10)
    : openPGlite(options.dataDir);
}

async function openPGlite(dataDir: string): Promise<Database> {
  const pglite = await PGlite.create(await pgliteDirectory(dataDir));
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  const closeDriver = () => pglite.close();
  return database(
    'pglite',
    prisma,
    pgliteSql(pglite),
    pgliteEngineFactory(pglite),
    closeDriver,
    () => null,
  );
}

async function pgliteDirectory(dataDir: string): Promise<string> {
  if (dataDir === inMemory) return inMemory;
  const directory = join(resolve(dataDir), 'pglite');
  await mkdir(directory, { recursive: true });
  return directory;
}

async function openPostgres(databaseUrl: string, poolSize: number): Promise<Database> {
  // A push waits at most this long for a connection (as Prisma's transaction maxWait did), then
  // fails with "timeout exceeded when trying to connect": 503, retry later.
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: poolSize,
    connectionTimeoutMillis: 15_000,
    // Prisma's interactive transactions ended after 60 s; pushes now run on the pool itself.
    // A transaction left idle that long (a stalled process) is ended by the server, so it
    // cannot hold a workspace lock for ever.
    idle_in_transaction_session_timeout: 60_000,
  });
  // An idle connection dropped by the server emits 'error'; unhandled, it would kill the
  // process. The pool replaces the connection and the next query reports any real outage.
  pool.on('error', () => {});
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const poolStats = () => ({
    total: pool.totalCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
  });
  const closeDriver = () => pool.end();
  return database(
    'postgres',
    prisma,
    postgresSql(pool),
    postgresEngineFactory(databaseUrl),
    closeDriver,
    poolStats,
  );
}

function database(
  kind: DatabaseKind,
  prisma: PrismaClient,
  sql: SqlClient,
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  closeDriver: () => Promise<void>,
  poolStats: () => PoolStats | null,
): Database {
  let closing: Promise<void> | undefined;
  return {
    kind,
    prisma,
    sql,
    adapterFactory,
    poolStats,
    async ping() {
      await prisma.$queryRaw`SELECT 1`;
    },
    close() {
      closing ??= prisma.$disconnect().finally(closeDriver);
      return closing;
    },
  };
}
