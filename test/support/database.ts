import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTemporaryDatabase } from '../../server/db/adapters.ts';
import { type Database, type DatabaseOptions, openDatabase } from '../../server/db/client.ts';
import { applyPendingMigrations } from '../../server/db/migrations.ts';

export type TestDatabaseKind = 'pglite' | 'postgres';

export interface TestDatabase {
  kind: TestDatabaseKind;
  options: DatabaseOptions;
  /** Removes the database: DROP DATABASE ... WITH (FORCE), or the PGlite directory. */
  drop(): Promise<void>;
}

export interface MigratedTestDatabase {
  db: Database;
  options: DatabaseOptions;
  /** Closes `db`, then drops the database. */
  drop(): Promise<void>;
}

/** The admin URL test databases are created through; unset means PGlite only. */
function adminUrl(): string | undefined {
  return process.env.DATABASE_URL || undefined;
}

/** ['pglite'], plus 'postgres' when DATABASE_URL points at a server tests may use. */
export function testDatabaseKinds(): TestDatabaseKind[] {
  return adminUrl() ? ['pglite', 'postgres'] : ['pglite'];
}

/** A fresh, empty database of the given kind, not yet opened or migrated. */
export async function createTestDatabase(kind: TestDatabaseKind): Promise<TestDatabase> {
  return kind === 'postgres' ? createPostgresDatabase() : createPGliteDatabase();
}

async function createPGliteDatabase(): Promise<TestDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'converge-test-'));
  return {
    kind: 'pglite',
    options: { dataDir },
    drop: () => rm(dataDir, { recursive: true, force: true }),
  };
}

async function createPostgresDatabase(): Promise<TestDatabase> {
  const url = adminUrl();
  if (!url) throw new Error('DATABASE_URL must be set to create a postgres test database');
  const database = await createTemporaryDatabase(url, 'converge_test');
  // Nothing is written to dataDir with PostgreSQL, but the server still wants one for its
  // development secret.
  const dataDir = await mkdtemp(join(tmpdir(), 'converge-test-'));
  return {
    kind: 'postgres',
    options: { databaseUrl: database.url, dataDir },
    async drop() {
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** createTestDatabase + openDatabase + applyPendingMigrations. */
export async function openMigratedTestDatabase(
  kind: TestDatabaseKind,
): Promise<MigratedTestDatabase> {
  const database = await createTestDatabase(kind);
  let db: Database | undefined;
  try {
    db = await openDatabase(database.options);
    await applyPendingMigrations(db);
  } catch (error) {
    await db?.close();
    await database.drop();
    throw error;
  }
  const opened = db;
  return {
    db: opened,
    options: database.options,
    async drop() {
      await opened.close();
      await database.drop();
    },
  };
}
