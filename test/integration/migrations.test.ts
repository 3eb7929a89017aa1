import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../server/db/client.ts';
import {
  applyPendingMigrations,
  createMigration,
  diffDatabaseToSchema,
  diffMigrationsToSchema,
  listMigrationNames,
  listPendingMigrations,
  migrationLockKeys,
  migrationsDir,
} from '../../server/db/migrations.ts';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '../support/database.ts';

async function appliedRows(db: Database) {
  return db.prisma.$queryRaw<{ migration_name: string; finished_at: Date | null }[]>`
    SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name`;
}

async function tableExists(db: Database, table: string): Promise<boolean> {
  const [row] = await db.prisma.$queryRaw<{ found: boolean }[]>`
    SELECT to_regclass(${`"${table}"`}) IS NOT NULL AS found`;
  return row?.found === true;
}

/** A copy of the committed migrations plus extra ones, to exercise failures safely. */
async function migrationsWith(extra: Record<string, string>): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'converge-migrations-'));
  await cp(migrationsDir, directory, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) {
    await mkdir(join(directory, name));
    await writeFile(join(directory, name, 'migration.sql'), sql);
  }
  return directory;
}

let committed: string[];

beforeAll(async () => {
  committed = await listMigrationNames();
});

describe('committed migrations', () => {
  it('exist in Prisma layout with a postgresql lock file', async () => {
    expect(committed.length).toBeGreaterThan(0);
    expect(committed[0]).toMatch(/^\d{14}_init$/);
    const lock = await readFile(join(migrationsDir, 'migration_lock.toml'), 'utf8');
    expect(lock).toMatch(/^provider = "postgresql"$/m);
  });
});

describe.each(testDatabaseKinds())('migrations on %s', (kind) => {
  let database: TestDatabase;
  let db: Database;
  const scratch: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    db = await openDatabase(database.options);
  });

  afterAll(async () => {
    await db?.close();
    await database?.drop();
    await Promise.all(scratch.map((path) => rm(path, { recursive: true, force: true })));
  });

  it('lists every migration as pending on an empty database', async () => {
    expect(await listPendingMigrations(db)).toEqual(committed);
    // Not vacuous: the live database really lacks what the Prisma schema describes.
    expect(await diffDatabaseToSchema(db)).toContain('CREATE TABLE "Workspace"');
  });

  it('applies them once, recording each in _prisma_migrations', async () => {
    const first = await applyPendingMigrations(db);
    expect(first.applied).toEqual(committed);
    expect(await listPendingMigrations(db)).toEqual([]);

    const second = await applyPendingMigrations(db);
    expect(second.applied).toEqual([]);
    const rows = await appliedRows(db);
    expect(rows.map((row) => row.migration_name)).toEqual(committed);
    expect(rows.every((row) => row.finished_at instanceof Date)).toBe(true);
  });

  it('leaves the database exactly as the Prisma schema describes', async () => {
    expect(await diffDatabaseToSchema(db)).toBe('');
  });

  it('replays the committed migrations to exactly the Prisma schema (shadow database)', async () => {
    expect(await diffMigrationsToSchema(db)).toBe('');
  });

  it('notices when the migrations do not produce the Prisma schema', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'converge-migrations-'));
    scratch.push(empty);
    expect(await diffMigrationsToSchema(db, { migrationsDir: empty })).toContain(
      'CREATE TABLE "Workspace"',
    );
  });

  it('reports a failing migration, rolls its statements back and keeps it pending', async () => {
    const broken = '99990101000000_broken';
    const directory = await migrationsWith({
      [broken]: 'CREATE TABLE "Half" (id TEXT);\nSELECT * FROM "NoSuchTable";\n',
    });
    scratch.push(directory);
    const paths = { migrationsDir: directory };

    await expect(applyPendingMigrations(db, undefined, paths)).rejects.toThrow(/NoSuchTable/);
    expect(await listPendingMigrations(db, paths)).toEqual([broken]);
    expect(await tableExists(db, 'Half')).toBe(false);
  });
});

describe.runIf(testDatabaseKinds().includes('postgres'))('migrations across instances', () => {
  const opened: Database[] = [];
  let database: TestDatabase;

  async function open(): Promise<Database> {
    const db = await openDatabase(database.options);
    opened.push(db);
    return db;
  }

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((db) => db.close()));
    await database?.drop();
  });

  async function advisoryLocksHeld(db: Database): Promise<number> {
    const [row] = await db.prisma.$queryRaw<{ held: number }[]>`
      SELECT count(*)::int AS held FROM pg_locks l JOIN pg_database d ON d.oid = l.database
      WHERE l.locktype = 'advisory' AND d.datname = current_database()`;
    return row?.held ?? -1;
  }

  it('applies each migration once when two instances start together', async () => {
    database = await createTestDatabase('postgres');
    const [a, b] = [await open(), await open()];

    const results = await Promise.all([applyPendingMigrations(a), applyPendingMigrations(b)]);

    expect(results.flatMap((result) => result.applied).sort()).toEqual(committed);
    expect((await appliedRows(a)).map((row) => row.migration_name)).toEqual(committed);
    expect(await listPendingMigrations(b)).toEqual([]);
    // The engine's connections are closed with it, so no lock outlives the migration.
    expect(await advisoryLocksHeld(a)).toBe(0);
  });

  it('applies through a pool of one connection, which the lock transaction holds', async () => {
    database = await createTestDatabase('postgres');
    const db = await openDatabase({ ...database.options, poolSize: 1 });
    opened.push(db);

    expect((await applyPendingMigrations(db)).applied).toEqual(committed);
    expect(await listPendingMigrations(db)).toEqual([]);
  });

  it.each([
    ['another Converge instance', migrationLockKeys.converge],
    ['prisma migrate deploy', migrationLockKeys.prisma],
  ])('waits while %s holds its migration lock', async (_holderName, key) => {
    database = await createTestDatabase('postgres');
    const db = await open();
    const holder = new pg.Client({ connectionString: database.options.databaseUrl });
    holder.on('error', () => {});
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [key]);
      let settled = false;
      const applying = applyPendingMigrations(db).finally(() => {
        settled = true;
      });

      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(settled).toBe(false);
      expect(await tableExists(db, 'Workspace')).toBe(false);

      await holder.query('SELECT pg_advisory_unlock($1)', [key]);
      expect((await applying).applied).toEqual(committed);
    } finally {
      await holder.end();
    }
  });
});

describe('createMigration', () => {
  const scratch: string[] = [];
  const now = () => new Date('2025-01-02T03:04:05Z');
  const quiet = { info: () => {} };

  afterAll(async () => {
    await Promise.all(scratch.map((path) => rm(path, { recursive: true, force: true })));
  });

  it('writes the changes since the last migration in Prisma layout', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'converge-migrations-'));
    scratch.push(directory);

    const file = await createMigration('First cut!', {
      migrationsDir: directory,
      now,
      logger: quiet,
    });

    expect(file).toBe(join(directory, '20250102030405_first_cut', 'migration.sql'));
    const sql = await readFile(file as string, 'utf8');
    expect(sql).toContain('CREATE TABLE "Workspace"');
    // From scratch, one migration holds the whole current schema: nothing is left to write.
    expect(sql).toContain('PRIMARY KEY ("workspaceId","userId","clientId","mutationId")');
    expect(
      await createMigration('again', { migrationsDir: directory, now, logger: quiet }),
    ).toBeNull();
    const lock = await readFile(join(directory, 'migration_lock.toml'), 'utf8');
    expect(lock).toContain('provider = "postgresql"');
  });

  it('writes nothing when the migrations already match the schema', async () => {
    const directory = await migrationsWith({});
    scratch.push(directory);
    const messages: string[] = [];
    const logger = { info: (message: unknown) => messages.push(String(message)) };

    expect(await createMigration('noop', { migrationsDir: directory, now, logger })).toBeNull();
    expect(await listMigrationNames(directory)).toEqual(committed);
    expect(messages.join('\n')).toMatch(/No changes/);
  });

  it('rejects a name with nothing usable in it', async () => {
    await expect(createMigration('  !!  ', { logger: quiet })).rejects.toThrow(
      /Invalid migration name/,
    );
  });
});
