import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type {
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
  SqlQuery,
  Transaction,
} from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';

/**
 * Driver adapter factories for Prisma's schema engine. The stock adapters are written for
 * Prisma Client; the engine also needs `executeScript`, catalogue queries and shadow
 * databases, where each stock adapter has a gap that these wrappers close:
 *
 * - pglite-prisma-adapter does not await `executeScript`, so a failing migration script is
 *   reported as applied and its error surfaces later as an unhandled rejection; its shadow
 *   database is a PGlite instance that is never closed.
 * - @prisma/adapter-pg splits scripts on every `;` and runs the pieces on arbitrary pool
 *   connections outside a transaction; it cannot map PostgreSQL's internal `"char"` type,
 *   which the engine reads from pg_constraint when describing a schema; its shadow database
 *   is dropped while its own pool still holds connections to it.
 *
 * Prisma Client keeps using the stock adapters: none of this affects queries.
 */

interface AdapterInternals {
  onError?(error: unknown): never;
  performIO?(query: SqlQuery): Promise<pg.QueryArrayResult>;
}

type Overrides = Partial<SqlDriverAdapter & AdapterInternals> &
  ThisType<SqlDriverAdapter & AdapterInternals>;

/** A view of `adapter` with some methods replaced; inherited ones keep working on its state. */
function extend<T extends object>(adapter: T, overrides: object): T {
  return Object.assign(Object.create(adapter) as T, overrides);
}

function rethrow(adapter: AdapterInternals, error: unknown): never {
  // The adapters' own mapping turns driver errors into ones the engine can report.
  if (typeof adapter.onError === 'function') adapter.onError(error);
  throw error;
}

export function pgliteEngineFactory(pglite: PGlite): SqlMigrationAwareDriverAdapterFactory {
  return {
    provider: 'postgres',
    adapterName: 'pglite-prisma-adapter',
    connect: () => connectPGlite(pglite),
    async connectToShadowDb() {
      const shadow = await createScratchPGlite();
      return connectPGlite(shadow, () => shadow.close());
    },
  };
}

let emptyImage: Promise<Blob> | undefined;

/**
 * A fresh in-memory PGlite. Initialising a cluster takes seconds, restoring one from an
 * image well under one, so the first empty cluster is imaged (about 40 MB, kept for the
 * process) and later ones are restored from it.
 */
export async function createScratchPGlite(): Promise<PGlite> {
  emptyImage ??= imageEmptyCluster().catch((error: unknown) => {
    emptyImage = undefined;
    throw error;
  });
  return PGlite.create({ loadDataDir: await emptyImage });
}

async function imageEmptyCluster(): Promise<Blob> {
  const pglite = await PGlite.create();
  try {
    return await pglite.dumpDataDir('none');
  } finally {
    await pglite.close();
  }
}

async function connectPGlite(
  pglite: PGlite,
  onDispose?: () => Promise<void>,
): Promise<SqlDriverAdapter> {
  const adapter = (await new PrismaPGlite(pglite).connect()) as unknown as SqlDriverAdapter;
  const overrides: Overrides = {
    async executeScript(script: string) {
      try {
        await pglite.exec(script);
      } catch (error) {
        rethrow(this, error);
      }
    },
    async dispose() {
      await adapter.dispose();
      await onDispose?.();
    },
  };
  return extend(adapter, overrides);
}

export interface PostgresEngineOptions {
  /** Connections per pool the engine opens; it issues one query at a time. */
  poolSize?: number;
}

export function postgresEngineFactory(
  connectionString: string,
  options: PostgresEngineOptions = {},
): SqlMigrationAwareDriverAdapterFactory {
  const { poolSize = 2 } = options;
  const connect = (url: string) => connectPostgres(url, poolSize);
  return {
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',
    connect: () => connect(connectionString),
    async connectToShadowDb() {
      const shadow = await createTemporaryDatabase(connectionString, 'converge_shadow');
      const adapter = await connect(shadow.url);
      return extend(adapter, {
        async dispose() {
          await adapter.dispose();
          await shadow.drop();
        },
      });
    },
  };
}

const charOid = 18;
const textOid = 25;

async function connectPostgres(url: string, poolSize: number): Promise<SqlDriverAdapter> {
  const adapter = await new PrismaPg({ connectionString: url, max: poolSize }).connect();
  const pool = adapter.underlyingDriver();
  const performIO = (adapter as unknown as AdapterInternals).performIO;
  if (typeof performIO !== 'function') {
    throw new Error('@prisma/adapter-pg changed: performIO is gone; revisit server/db/adapters.ts');
  }
  const overrides: Overrides = {
    // `"char"` values arrive as one-character strings; typing them as text lets the
    // adapter pass them on instead of rejecting the whole result.
    async performIO(query: SqlQuery) {
      const result = await performIO.call(this, query);
      for (const field of result.fields) {
        if (field.dataTypeID === charOid) field.dataTypeID = textOid;
      }
      return result;
    },
    // One simple-protocol query: PostgreSQL runs the statements on one connection in an
    // implicit transaction, so a failing migration leaves nothing half-applied.
    async executeScript(script: string) {
      try {
        await pool.query(script);
      } catch (error) {
        rethrow(this, error);
      }
    },
    async startTransaction(isolationLevel) {
      const transaction = await adapter.startTransaction.call(this, isolationLevel);
      return extend<Transaction>(transaction, { performIO: overrides.performIO });
    },
  };
  return extend(adapter as unknown as SqlDriverAdapter, overrides);
}

export interface TemporaryDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * Creates an empty database next to the one `adminUrl` points at (the role needs CREATEDB).
 * drop() terminates leftover sessions, so it works even when a pool was not closed.
 */
export async function createTemporaryDatabase(
  adminUrl: string,
  prefix: string,
): Promise<TemporaryDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () =>
      withClient(adminUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
      ).then(() => undefined),
  };
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
