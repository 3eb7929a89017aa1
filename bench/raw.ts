import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { TaskRow } from './workload.ts';

/**
 * The hand-rolled baseline: the same task rows written with one multi-row
 * `INSERT ... ON CONFLICT DO UPDATE` per batch and read with one keyset `SELECT` per page,
 * straight through the driver. No HTTP, no GraphQL, no merge, no change log: the floor any
 * sync endpoint over the same table stands on.
 *
 * It writes to `bench_raw_task`, a copy of the Task table's definition (columns, defaults,
 * indexes), in the same database as the server on PostgreSQL, or in an in-process PGlite
 * when the server runs on PGlite.
 */
export interface RawStore {
  kind: 'postgresql' | 'pglite';
  /** Writes rows as they are (setup, untimed). */
  seed(workspaceId: string, rows: readonly TaskRow[]): Promise<void>;
  /** One statement: inserts new rows, updates existing ones. */
  upsert(workspaceId: string, rows: readonly TaskRow[]): Promise<void>;
  /** One page in seq order, serialised to JSON as an endpoint would send it. */
  page(workspaceId: string, afterSeq: number, limit: number): Promise<RawPage>;
  close(): Promise<void>;
}

export interface RawPage {
  json: string;
  count: number;
  lastSeq: number | null;
}

interface Executor {
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

const table = 'bench_raw_task';
const seedSlice = 1000;
// The columns our API returns for a task, plus seq for paging.
const selectedColumns = `id, "workspaceId", version, "updatedAt", "updatedBy", deleted, "projectId",
  title, notes, status, priority, tags, "assigneeId", "dueAt", "estimateMinutes",
  "timeSpentMinutes", "sortKey", seq`;
const writtenColumns = [
  'id',
  '"workspaceId"',
  'title',
  'notes',
  'status',
  'priority',
  'tags',
  '"sortKey"',
  'version',
  'seq',
  '"updatedAt"',
  '"updatedBy"',
];
const updatedOnConflict = writtenColumns
  .filter((column) => column !== 'id' && column !== '"workspaceId"')
  .map((column) => `${column} = EXCLUDED.${column}`)
  .join(', ');

export async function openRawStore(databaseUrl: string | null, clients: number): Promise<RawStore> {
  const executor = databaseUrl
    ? await postgresExecutor(databaseUrl, clients)
    : await pgliteExecutor();
  await executor.query(`DROP TABLE IF EXISTS ${table}`);
  await executor.query(`CREATE TABLE ${table} (LIKE "Task" INCLUDING ALL)`);
  let seq = 0;
  const write = (workspaceId: string, rows: readonly TaskRow[]) => {
    const { sql, params } = upsertStatement(workspaceId, rows, () => ++seq);
    return executor.query(sql, params).then(() => undefined);
  };
  return {
    kind: databaseUrl ? 'postgresql' : 'pglite',
    // A statement carries at most 65,535 parameters: seed in slices.
    async seed(workspaceId, rows) {
      for (let start = 0; start < rows.length; start += seedSlice)
        await write(workspaceId, rows.slice(start, start + seedSlice));
    },
    upsert: write,
    async page(workspaceId, afterSeq, limit) {
      const rows = await executor.query<{ seq: number }>(
        `SELECT ${selectedColumns} FROM ${table}
         WHERE "workspaceId" = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
        [workspaceId, afterSeq, limit],
      );
      return { json: JSON.stringify(rows), count: rows.length, lastSeq: rows.at(-1)?.seq ?? null };
    },
    close: () => executor.close(),
  };
}

function upsertStatement(
  workspaceId: string,
  rows: readonly TaskRow[],
  nextSeq: () => number,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const now = new Date();
  const tuples = rows.map((row) => {
    const values = [
      row.id,
      workspaceId,
      row.title,
      row.notes,
      row.status,
      row.priority,
      row.tags,
      row.sortKey,
      row.version,
      nextSeq(),
      now,
      'bench',
    ];
    const placeholders = values.map((value, index) => {
      params.push(value);
      const placeholder = `$${params.length}`;
      return index === 4 ? `${placeholder}::"TaskStatus"` : placeholder;
    });
    return `(${placeholders.join(', ')})`;
  });
  const sql = `INSERT INTO ${table} (${writtenColumns.join(', ')}) VALUES ${tuples.join(', ')}
    ON CONFLICT (id) DO UPDATE SET ${updatedOnConflict}`;
  return { sql, params };
}

async function postgresExecutor(databaseUrl: string, clients: number): Promise<Executor> {
  // One connection per concurrent client, as the server's pool would give them.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: clients });
  pool.on('error', () => {});
  return {
    query: async <T>(sql: string, params: unknown[] = []) =>
      (await pool.query(sql, params)).rows as T[],
    close: () => pool.end(),
  };
}

/** An in-memory PGlite with the server's schema: the raw path when the server runs on PGlite. */
async function pgliteExecutor(): Promise<Executor> {
  const pglite = await PGlite.create();
  for (const sql of await migrationScripts()) await pglite.exec(sql);
  return {
    query: async <T>(sql: string, params: unknown[] = []) =>
      (await pglite.query<T>(sql, params)).rows,
    close: () => pglite.close(),
  };
}

async function migrationScripts(): Promise<string[]> {
  const directory = 'prisma/migrations';
  const entries = await readdir(directory, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(names.map((name) => readFile(join(directory, name, 'migration.sql'), 'utf8')));
}
