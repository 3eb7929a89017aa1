import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/client.ts';
import {
  applyPendingMigrations,
  listMigrationNames,
  migrationsDir,
} from '../../server/db/migrations.ts';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { type Entity, syncClient } from '../support/sync.ts';

/**
 * A database written by the previous release (its migrations, rows in its storage format)
 * opens after the current migrations and keeps merging correctly: the stored per-field stamps,
 * per-tag states and change log are what the merges read.
 */

/** The migrations the previous release shipped (git tag ad95d89); never edited since. */
const previousReleaseMigrations = ['20261122103425_init', '20261202030108_scoped_idempotency'];

const workspaceId = 'ws-upgrade';
const taskId = 'task-upgrade';
const admin = 'alice';

// Stamps in the recent past: the server refuses to trust stamps ahead of its clock.
const now = Date.now();
const hlc = (secondsAgo: number) => `${now - secondsAgo * 1000}:0`;
const created = { hlc: hlc(60), clientId: 'desk' };
const updated = { hlc: hlc(30), clientId: 'desk' };

const notesV1 = 'check the inlet\nreplace the seal\ntest the pressure';
const notesV2 = 'check the inlet\nreplace the seal\ntest the pressure at 3 bar';

/**
 * The previous release's `fieldMeta`: per field the version and stamp of its last write under
 * `fields`, and the tags' add/remove states (tombstones included) under `tags`.
 */
const previousFieldMeta = {
  fields: {
    title: { version: 1, ...created },
    notes: { version: 2, ...updated },
    status: { version: 1, ...created },
    priority: { version: 1, ...created },
    tags: { version: 2, ...updated },
    timeSpentMinutes: { version: 2, ...updated },
    sortKey: { version: 1, ...created },
  },
  tags: {
    urgent: { present: false, stamp: updated },
    blue: { present: true, stamp: created },
  },
};

async function previousReleaseDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'converge-previous-migrations-'));
  await cp(join(migrationsDir, 'migration_lock.toml'), join(directory, 'migration_lock.toml'));
  for (const name of previousReleaseMigrations) {
    await cp(join(migrationsDir, name), join(directory, name), { recursive: true });
  }
  return directory;
}

/** Version 1 created the task; version 2 removed the tag `urgent`, edited notes, logged 5 minutes. */
async function writePreviousReleaseRows(database: TestDatabase): Promise<void> {
  const db = await openDatabase(database.options);
  try {
    const sql = (text: string, ...values: unknown[]) =>
      db.prisma.$executeRawUnsafe(text, ...values);
    await sql(
      `INSERT INTO "Workspace" (id, name, seq, "createdBy") VALUES ($1, 'Pumps', 2, $2)`,
      workspaceId,
      admin,
    );
    await sql(
      `INSERT INTO "Member" ("workspaceId", "userId", role) VALUES ($1, $2, 'ADMIN')`,
      workspaceId,
      admin,
    );
    await sql(
      `INSERT INTO "Task" (id, "workspaceId", title, notes, status, priority, tags,
         "timeSpentMinutes", version, seq, "updatedAt", "updatedBy", "fieldMeta")
       VALUES ($1, $2, 'Service pump 4', $3, 'IN_PROGRESS', 2, ARRAY['blue'], 15, 2, 2, now(), $4,
         $5::jsonb)`,
      taskId,
      workspaceId,
      notesV2,
      admin,
      JSON.stringify(previousFieldMeta),
    );
    const log = `INSERT INTO "ChangeLog" ("workspaceId", seq, "entityType", "entityId", op, changes,
         version, "actorId", "clientId", "mutationId") VALUES ($1, $2, 'TASK', $3, $4::"ChangeOp",
         $5::jsonb, $2, $6, 'desk', $7)`;
    await sql(
      log,
      workspaceId,
      1,
      taskId,
      'CREATE',
      JSON.stringify({
        title: { old: null, new: 'Service pump 4' },
        notes: { old: null, new: notesV1 },
        status: { old: null, new: 'IN_PROGRESS' },
        priority: { old: null, new: 2 },
        tags: { old: null, new: ['urgent', 'blue'] },
        timeSpentMinutes: { old: null, new: 10 },
      }),
      admin,
      'm-1',
    );
    await sql(
      log,
      workspaceId,
      2,
      taskId,
      'UPDATE',
      JSON.stringify({
        notes: { old: notesV1, new: notesV2 },
        tags: { old: ['urgent', 'blue'], new: ['blue'] },
        timeSpentMinutes: { old: 10, new: 15 },
      }),
      admin,
      'm-2',
    );
  } finally {
    await db.close();
  }
}

describe.each(testDatabaseKinds())('upgrading a previous release database on %s', (kind) => {
  let database: TestDatabase;
  let server: TestServer;
  let previousDir: string;
  let upgradedWith: string[];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    previousDir = await previousReleaseDirectory();
    const db = await openDatabase(database.options);
    try {
      const previous = await applyPendingMigrations(db, undefined, { migrationsDir: previousDir });
      expect(previous.applied).toEqual(previousReleaseMigrations);
    } finally {
      await db.close();
    }
    await writePreviousReleaseRows(database);
    const current = await openDatabase(database.options);
    try {
      upgradedWith = (await applyPendingMigrations(current)).applied;
    } finally {
      await current.close();
    }
    server = await startTestServer(kind, {}, { database });
  });

  afterAll(async () => {
    await server?.stop();
    await database?.drop();
    if (previousDir) await rm(previousDir, { recursive: true, force: true });
  });

  it('applies exactly the migrations added since that release', async () => {
    const all = await listMigrationNames();
    expect(upgradedWith).toEqual(all.filter((name) => !previousReleaseMigrations.includes(name)));
  });

  it('serves the stored task as it was', async () => {
    const response = await server.graphql<{ task: Entity | null }>(
      'query($id: ID!) { task(id: $id) { id version notes tags timeSpentMinutes status } }',
      { id: taskId },
      { as: admin },
    );
    expect(response.data?.task).toEqual({
      id: taskId,
      version: 2,
      notes: notesV2,
      tags: ['blue'],
      timeSpentMinutes: 15,
      status: 'IN_PROGRESS',
    });
  });

  it('merges a stale push against the stored stamps, tag states and change log', async () => {
    const laptop = syncClient(server, admin, workspaceId, 'laptop');
    const [result] = await laptop.push({
      task: {
        id: taskId,
        baseVersion: 1,
        // Between the create and the update that removed `urgent`: that removal must win.
        hlc: hlc(45),
        patch: {
          notes: 'check the inlet and outlet\nreplace the seal\ntest the pressure',
          tagsAdd: ['urgent', 'green'],
          timeSpentDelta: 7,
        },
      },
    });
    expect(result?.error).toBeNull();
    expect(result?.status).toBe('MERGED');
    expect(result?.mergedFields).toEqual(expect.arrayContaining(['notes', 'tags']));
    expect(result?.entity).toMatchObject({
      version: 3,
      // Three-way merge with the change log's version-1 notes as base: both edits kept.
      notes: 'check the inlet and outlet\nreplace the seal\ntest the pressure at 3 bar',
      tags: ['blue', 'green'],
      timeSpentMinutes: 22,
    });
  });

  it('lets a later stamp re-add the removed tag and remove an old one', async () => {
    const phone = syncClient(server, admin, workspaceId, 'phone');
    const [result] = await phone.push({
      task: {
        id: taskId,
        baseVersion: 1,
        hlc: hlc(5),
        patch: { tagsAdd: ['urgent'], tagsRemove: ['blue'], timeSpentDelta: 1 },
      },
    });
    expect(result?.error).toBeNull();
    expect(result?.entity).toMatchObject({
      version: 4,
      tags: ['green', 'urgent'],
      timeSpentMinutes: 23,
    });
  });
});
