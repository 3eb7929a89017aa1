import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlQueryable } from '../../server/db/sql.ts';
import { readBatch, selectEntities } from '../../server/sync/bulk-sql.ts';
import { WorkspaceWriter } from '../../server/sync/workspace-writer.ts';
import {
  type MigratedTestDatabase,
  openMigratedTestDatabase,
  testDatabaseKinds,
} from '../support/database.ts';

// One value of every column type the model can declare, lists included.
const everyType = `SELECT 7::integer AS "int", 1.5::double precision AS "float", true AS "bool",
  'text' AS "text", '2026-01-31 23:30:00.123'::timestamp(3) AS "date",
  ARRAY['2026-01-31 23:30:00'::timestamp(3)] AS "dates", '{"a":[1,null]}'::jsonb AS "json",
  ARRAY['x','y,z']::text[] AS "texts", ARRAY[1,2]::integer[] AS "ints",
  ARRAY[0.5]::double precision[] AS "floats", ARRAY[true,false]::boolean[] AS "bools",
  'OPEN'::"ConflictStatus" AS "enum", ARRAY['OPEN']::"ConflictStatus"[]::text[] AS "enums",
  NULL::text AS "none"`;

describe.each(testDatabaseKinds())('the sync engine driver path on %s', (kind) => {
  let database: MigratedTestDatabase;
  const zone = process.env.TZ;

  beforeAll(async () => {
    database = await openMigratedTestDatabase(kind);
    // Far from UTC: a timestamp read as local time would be off by hours.
    process.env.TZ = 'Pacific/Kiritimati';
  });
  afterAll(async () => {
    process.env.TZ = zone;
    await database?.drop();
  });

  it('returns rows as Prisma raw queries do, timestamps as UTC Dates', async () => {
    const [viaDriver] = await database.db.sql.query<Record<string, unknown>>(everyType);
    const [viaPrisma] =
      await database.db.prisma.$queryRawUnsafe<Record<string, unknown>[]>(everyType);
    expect(viaDriver).toEqual({
      int: 7,
      float: 1.5,
      bool: true,
      text: 'text',
      date: new Date('2026-01-31T23:30:00.123Z'),
      dates: [new Date('2026-01-31T23:30:00.000Z')],
      json: { a: [1, null] },
      texts: ['x', 'y,z'],
      ints: [1, 2],
      floats: [0.5],
      bools: [true, false],
      enum: 'OPEN',
      enums: ['OPEN'],
      none: null,
    });
    expect(viaDriver).toEqual(viaPrisma);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const insert = `INSERT INTO "Workspace" ("id", "name", "createdBy") VALUES ($1, 'W', 'u')`;
    const kept = randomUUID();
    const dropped = randomUUID();
    await database.db.sql.transaction((tx) => tx.query(insert, [kept]));
    await expect(
      database.db.sql.transaction(async (tx) => {
        await tx.query(insert, [dropped]);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const rows = await database.db.sql.query<{ id: string }>(
      `SELECT "id" FROM "Workspace" WHERE "id" = ANY($1::text[])`,
      [[kept, dropped]],
    );
    expect(rows).toEqual([{ id: kept }]);
  });

  it('reads the rows of a batch exactly as a plain SELECT of them, every column type of a task', async () => {
    const { sql } = database.db;
    const workspaceId = randomUUID();
    const taskId = randomUUID();
    await sql.query(`INSERT INTO "Workspace" ("id", "name", "createdBy") VALUES ($1, 'W', 'u')`, [
      workspaceId,
    ]);
    // A quote, a backslash and non-ASCII in text, a list, a date with milliseconds, a NULL,
    // and the merge state as JSON.
    await sql.query(
      `INSERT INTO "Task" ("id", "workspaceId", "title", "notes", "status", "priority", "tags",
          "dueAt", "estimateMinutes", "sortKey", "version", "seq", "updatedAt", "updatedBy", "fieldMeta")
        VALUES ($1, $2, 'Say "hi" \\ café', '', 'DONE', 3, ARRAY['a,b', 'c'],
          '2026-01-31 23:30:00.123', 90, 'a0', 4, 7, '2026-02-01 00:00:00.5', 'u', $3::jsonb)`,
      [
        taskId,
        workspaceId,
        JSON.stringify({ fields: { title: { version: 4, hlc: 'h', clientId: 'c' } } }),
      ],
    );
    const [plain] = await selectEntities(sql, 'TASK', [taskId]);
    const batch = await readBatch(sql, {
      workspaceId,
      ids: { TASK: new Set([taskId]) },
      userIds: new Set(),
      mutationIds: [],
      scope: { workspaceId, userId: 'u', clientId: 'c' },
    });
    expect(plain).toMatchObject({ title: 'Say "hi" \\ café', projectId: null, tags: ['a,b', 'c'] });
    expect(plain?.dueAt).toEqual(new Date('2026-01-31T23:30:00.123Z'));
    expect(batch.rows).toEqual([plain]);
  });

  it('finds idempotency records and members by their whole key, not by scanning a client history', async () => {
    const { sql } = database.db;
    const workspaceId = randomUUID();
    await sql.query(`INSERT INTO "Workspace" ("id", "name", "createdBy") VALUES ($1, 'W', 'u')`, [
      workspaceId,
    ]);
    // A client with a long history and a workspace with many members, on a table without
    // statistics yet, as after a deployment.
    await sql.query(
      `INSERT INTO "AppliedMutation" ("clientId", "mutationId", "workspaceId", "userId", "entityType", "entityId")
        SELECT 'c', 'm' || g, $1, 'u', 'TASK', 't' || g FROM generate_series(1, 3000) AS g`,
      [workspaceId],
    );
    await sql.query(
      `INSERT INTO "Member" ("workspaceId", "userId", "role")
        SELECT $1, 'u' || g, 'EDITOR' FROM generate_series(1, 1000) AS g`,
      [workspaceId],
    );
    const plans: unknown[] = [];
    const explaining: SqlQueryable = {
      async query(text, params) {
        const [row] = await sql.query<Record<string, unknown>>(
          `EXPLAIN (ANALYZE, FORMAT JSON) ${text}`,
          params,
        );
        plans.push(row?.['QUERY PLAN']);
        return [];
      },
    };
    await readBatch(explaining, {
      workspaceId,
      ids: {},
      userIds: new Set(['u1', 'u2', 'u999', 'stranger']),
      mutationIds: ['m1', 'm2', 'm2999', 'never-sent'],
      scope: { workspaceId, userId: 'u', clientId: 'c' },
    });
    const scans = planNodes(plans).filter(
      (node) => node['Relation Name'] === 'AppliedMutation' || node['Relation Name'] === 'Member',
    );
    expect(scans.map((scan) => scan['Relation Name']).sort()).toEqual([
      'AppliedMutation',
      'Member',
    ]);
    for (const scan of scans) {
      // One index lookup per key asked for (4 of each), at most one row each: nothing of the
      // other 2,997 or 997 rows is read. (PostgreSQL rounds the rows per loop.)
      expect(scan['Node Type']).toMatch(/Index/);
      expect(scan['Rows Removed by Filter'] ?? 0).toBe(0);
      expect(Number(scan['Actual Rows']) * Number(scan['Actual Loops'])).toBeLessThanOrEqual(4);
    }
  });
});

type PlanNode = Record<string, unknown> & { Plans?: PlanNode[] };

/** Every node of EXPLAIN (FORMAT JSON) output, depth first. */
function planNodes(plans: unknown[]): PlanNode[] {
  const nodes: PlanNode[] = [];
  const visit = (node: PlanNode) => {
    nodes.push(node);
    for (const child of node.Plans ?? []) visit(child);
  };
  for (const plan of plans as { Plan: PlanNode }[][]) for (const { Plan } of plan) visit(Plan);
  return nodes;
}

// The pg driver only: PGlite runs in the process and has no connection to lose.
describe.skipIf(!testDatabaseKinds().includes('postgres'))(
  'the driver path on a lost PostgreSQL connection',
  () => {
    let database: MigratedTestDatabase;
    beforeAll(async () => {
      database = await openMigratedTestDatabase('postgres');
    });
    afterAll(async () => {
      await database?.drop();
    });

    it('fails a transaction whose connection dies, without an uncaught error, and goes on', async () => {
      // The server ends the connection mid-transaction (a restart, a failover): the pg client
      // emits 'error' while checked out, which must not reach the process as uncaught.
      const ended = database.db.sql.transaction(async (tx) => {
        await tx.query('SELECT pg_terminate_backend(pg_backend_pid())');
      });
      await expect(ended).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const [row] = await database.db.sql.transaction((tx) =>
        tx.query<{ one: number }>('SELECT 1 AS "one"'),
      );
      expect(row).toEqual({ one: 1 });
    });

    it('prepares each statement text once per connection, and keeps at most 200 of them', async () => {
      const prepared = await database.db.sql.transaction(async (tx) => {
        // A transaction keeps one connection: what it prepared is in that session's view.
        for (let round = 0; round < 2; round++) {
          for (let shape = 0; shape < 250; shape++) {
            const [row] = await tx.query<{ sum: number }>(
              `SELECT $1::integer + ${shape} AS "sum"`,
              [round],
            );
            expect(row?.sum).toBe(round + shape);
          }
        }
        return tx.query<{ statement: string; calls: number }>(
          `SELECT "statement", (generic_plans + custom_plans)::integer AS "calls"
             FROM pg_prepared_statements WHERE "statement" LIKE 'SELECT $1::integer + %'`,
        );
      });
      // Past the cap, statements still run, unnamed: the session holds no plan for them.
      expect(prepared.length).toBeGreaterThan(0);
      expect(prepared.length).toBeLessThanOrEqual(200);
      // Run twice, prepared once: the second round reused the plan.
      expect(prepared.every((statement) => statement.calls === 2)).toBe(true);
    });

    it('lets a non-member fail at once while a member holds the workspace lock', async () => {
      const workspaceId = randomUUID();
      await database.db.sql.query(
        `INSERT INTO "Workspace" ("id", "name", "createdBy") VALUES ($1, 'W', 'member')`,
        [workspaceId],
      );
      await database.db.sql.query(
        `INSERT INTO "Member" ("workspaceId", "userId", "role") VALUES ($1, 'member', 'EDITOR')`,
        [workspaceId],
      );
      let locked!: () => void;
      let release!: () => void;
      const lockTaken = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const holder = database.db.sql.transaction(async (tx) => {
        expect(await WorkspaceWriter.open(tx, workspaceId, 'member')).not.toBeNull();
        locked();
        await released;
      });
      await lockTaken;
      try {
        // Were the stranger to wait for the lock, lock_timeout would fail this transaction.
        const stranger = await database.db.sql.transaction(async (tx) => {
          await tx.query(`SET LOCAL lock_timeout = '2s'`);
          return WorkspaceWriter.open(tx, workspaceId, 'stranger');
        });
        expect(stranger).toBeNull();
      } finally {
        release();
        await holder;
      }
    });
  },
);
