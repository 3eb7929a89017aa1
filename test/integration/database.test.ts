import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase, type Tx } from '../../server/db/client.ts';
import { applyPendingMigrations, listPendingMigrations } from '../../server/db/migrations.ts';
import {
  createTestDatabase,
  type MigratedTestDatabase,
  openMigratedTestDatabase,
  testDatabaseKinds,
} from '../support/database.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function createWorkspace(db: Database, name = 'Acme') {
  return db.prisma.workspace.create({ data: { id: randomUUID(), name, createdBy: 'user-1' } });
}

/** Takes the next sequence number the way the sync engine does: read under a row lock. */
async function nextSeq(tx: Tx, workspaceId: string, pauseMs = 0): Promise<number> {
  const [row] = await tx.$queryRaw<{ seq: number }[]>`
    SELECT seq FROM "Workspace" WHERE id = ${workspaceId} FOR UPDATE`;
  if (!row) throw new Error(`workspace ${workspaceId} not found`);
  // Widens the window in which an unlocked read-modify-write would lose updates.
  await sleep(pauseMs);
  const next = row.seq + 1;
  await tx.workspace.update({ where: { id: workspaceId }, data: { seq: next } });
  return next;
}

describe.each(testDatabaseKinds())('database on %s', (kind) => {
  let migrated: MigratedTestDatabase;
  let db: Database;

  beforeAll(async () => {
    migrated = await openMigratedTestDatabase(kind);
    db = migrated.db;
  });

  afterAll(async () => {
    await migrated?.drop();
  });

  it('opens the requested kind and answers a ping', async () => {
    expect(db.kind).toBe(kind);
    await expect(db.ping()).resolves.toBeUndefined();
  });

  it('round-trips a row through Prisma with its defaults', async () => {
    const created = await createWorkspace(db, 'Round trip');
    const found = await db.prisma.workspace.findUniqueOrThrow({ where: { id: created.id } });
    expect(found).toEqual(created);
    expect(found).toMatchObject({ name: 'Round trip', seq: 0, createdBy: 'user-1' });
    expect(found.createdAt).toBeInstanceOf(Date);
  });

  it('runs an interactive transaction with SELECT ... FOR UPDATE', async () => {
    const workspace = await createWorkspace(db);
    const seq = await db.prisma.$transaction((tx) => nextSeq(tx, workspace.id));
    expect(seq).toBe(1);
    const stored = await db.prisma.workspace.findUniqueOrThrow({ where: { id: workspace.id } });
    expect(stored.seq).toBe(1);
  });

  it('serialises concurrent writers on the row lock, losing no update', async () => {
    const workspace = await createWorkspace(db);
    const writers = 5;
    const taken = await Promise.all(
      Array.from({ length: writers }, () =>
        db.prisma.$transaction((tx) => nextSeq(tx, workspace.id, 50), { timeout: 30_000 }),
      ),
    );
    expect([...taken].sort()).toEqual([1, 2, 3, 4, 5]);
    const stored = await db.prisma.workspace.findUniqueOrThrow({ where: { id: workspace.id } });
    expect(stored.seq).toBe(writers);
  });

  it('leaves nothing behind when a transaction rolls back', async () => {
    const id = randomUUID();
    const failure = new Error('abort after writing');
    await expect(
      db.prisma.$transaction(async (tx) => {
        await tx.workspace.create({ data: { id, name: 'Doomed', createdBy: 'user-1' } });
        await tx.member.create({ data: { workspaceId: id, userId: 'user-1', role: 'ADMIN' } });
        expect(await tx.workspace.count({ where: { id } })).toBe(1);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await db.prisma.workspace.count({ where: { id } })).toBe(0);
    expect(await db.prisma.member.count({ where: { workspaceId: id } })).toBe(0);
  });

  it('rolls back when a statement inside the transaction fails', async () => {
    const workspace = await createWorkspace(db);
    await expect(
      db.prisma.$transaction(async (tx) => {
        await tx.workspace.update({ where: { id: workspace.id }, data: { name: 'Renamed' } });
        // Same primary key twice: the database itself refuses.
        await tx.workspace.create({ data: { id: workspace.id, name: 'Dup', createdBy: 'x' } });
      }),
    ).rejects.toMatchObject({ code: 'P2002' });
    const stored = await db.prisma.workspace.findUniqueOrThrow({ where: { id: workspace.id } });
    expect(stored.name).toBe(workspace.name);
  });
});

describe('database lifecycle', () => {
  it('keeps PGlite data across close and reopen of the same data directory', async () => {
    const database = await createTestDatabase('pglite');
    try {
      const first = await openDatabase(database.options);
      await applyPendingMigrations(first);
      const workspace = await createWorkspace(first, 'Persistent');
      await first.close();

      const reopened = await openDatabase(database.options);
      try {
        const found = await reopened.prisma.workspace.findUnique({ where: { id: workspace.id } });
        expect(found?.name).toBe('Persistent');
        expect(await listPendingMigrations(reopened)).toEqual([]);
        expect((await applyPendingMigrations(reopened)).applied).toEqual([]);
      } finally {
        await reopened.close();
      }
    } finally {
      await database.drop();
    }
  });

  it.each(testDatabaseKinds())(
    'fails ping once %s is closed; close is idempotent',
    async (kind) => {
      const database = await createTestDatabase(kind);
      try {
        const db = await openDatabase(database.options);
        await db.ping();
        await db.close();
        await expect(db.close()).resolves.toBeUndefined();
        await expect(db.ping()).rejects.toThrow();
      } finally {
        await database.drop();
      }
    },
  );

  it('reports an unreachable PostgreSQL server on ping', async () => {
    const db = await openDatabase({
      databaseUrl: 'postgresql://postgres@127.0.0.1:1/nowhere',
      dataDir: 'unused',
    });
    try {
      expect(db.kind).toBe('postgres');
      await expect(db.ping()).rejects.toThrow();
    } finally {
      await db.close();
    }
  });
});
