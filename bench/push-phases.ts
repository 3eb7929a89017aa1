/**
 * Where a 100-change push spends its time inside the server, statement by statement:
 *
 *   npx tsx bench/push-phases.ts [--batches 60] [--postgres]
 *
 * Calls the sync engine's pushChanges in process (no HTTP, no GraphQL) on a fresh database,
 * with the bench's workload (half new tasks, half two-field edits), and prints the mean time
 * of each step: before the transaction (validation, BEGIN), each statement on the database,
 * and the Node work between them, which runs under the workspace lock. `--postgres` uses a
 * scratch database on DATABASE_URL; otherwise PGlite.
 *
 * This is how the plan of the idempotency lookup was found to read a client's whole history
 * (bulk-sql.ts, lookupByKeys): one statement's time stood out here long before a profile of
 * the whole server showed anything.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { SqlClient, SqlQueryable } from '../server/db/sql.ts';
import { pushChanges } from '../server/sync/push.ts';
import type { ChangeRequest } from '../server/sync/types.ts';
import { createWorkspace } from '../server/sync/workspaces.ts';
import { openMigratedTestDatabase } from '../test/support/database.ts';
import { createTaskChange, type TaskChange, type TaskRow, updateTaskChange } from './workload.ts';

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '60' },
    postgres: { type: 'boolean', default: false },
  },
});
const batches = Number(values.batches);
const warmupBatches = 10;
const batchSize = 100;
if (!Number.isInteger(batches) || batches < 1) throw new Error('--batches must be a whole number');
if (values.postgres && !process.env.DATABASE_URL) throw new Error('--postgres needs DATABASE_URL');

/** A point in a push: a statement sent or answered, or a step of the transaction. */
interface Mark {
  label: string;
  at: number;
}

const marks: Mark[] = [];
const mark = (label: string) => marks.push({ label, at: performance.now() });

/** A statement's first words: enough to tell the lock, the read and the write apart. */
const statementLabel = (sql: string) => sql.trim().replace(/\s+/g, ' ').slice(0, 24);

function timed(sql: SqlClient): SqlClient {
  const traced = (tx: SqlQueryable): SqlQueryable => ({
    async query(text, params) {
      const label = statementLabel(text);
      mark(`send ${label}`);
      const rows = await tx.query(text, params);
      mark(`answer ${label}`);
      return rows as never;
    },
  });
  return {
    query: (text, params) => sql.query(text, params),
    transaction: (work) =>
      sql.transaction(async (tx) => {
        mark('BEGIN done');
        const result = await work(traced(tx));
        mark('work done');
        return result;
      }),
  };
}

const asRequest = ({ task }: TaskChange): ChangeRequest => ({
  entityType: 'TASK',
  mutationId: task.mutationId,
  id: task.id,
  baseVersion: task.baseVersion,
  hlc: null,
  delete: false,
  patch: { ...task.patch },
});

const database = await openMigratedTestDatabase(values.postgres ? 'postgres' : 'pglite');
try {
  const actor = { userId: 'bench-user' };
  const workspace = await createWorkspace(database.db.prisma, actor, 'push phases');
  const sql = timed(database.db.sql);
  const tasks: TaskRow[] = [];
  let serial = 0;
  const nextBatch = (): ChangeRequest[] =>
    Array.from({ length: batchSize }, (_, index) => {
      serial += 1;
      const edited = index % 2 === 0 && tasks.length > batchSize ? serial % tasks.length : -1;
      const existing = tasks[edited];
      if (existing) {
        const { change, row } = updateTaskChange(existing, serial);
        tasks[edited] = row;
        return asRequest(change);
      }
      const { change, row } = createTaskChange(serial);
      tasks.push(row);
      return asRequest(change);
    });

  const totals = new Map<string, number>();
  let wall = 0;
  for (let batch = 0; batch < warmupBatches + batches; batch++) {
    const changes = nextBatch();
    marks.length = 0;
    mark('start');
    const result = await pushChanges(
      sql,
      actor,
      { workspaceId: workspace.id, clientId: 'push-phases', changes },
      { maxBatch: batchSize },
    );
    mark('COMMIT done');
    const refused = result.results.find((outcome) => outcome.status === 'REJECTED');
    if (refused) throw new Error(`The workload was refused: ${JSON.stringify(refused)}`);
    if (batch < warmupBatches) continue;
    wall += (marks.at(-1)?.at ?? 0) - (marks[0]?.at ?? 0);
    for (let index = 1; index < marks.length; index++) {
      const from = marks[index - 1] as Mark;
      const to = marks[index] as Mark;
      const step = `${from.label} -> ${to.label}`;
      totals.set(step, (totals.get(step) ?? 0) + to.at - from.at);
    }
  }
  console.log(
    `${database.db.kind}: ${batches} pushes of ${batchSize} changes, mean ${(wall / batches).toFixed(2)} ms each`,
  );
  for (const [step, total] of totals) {
    console.log(`${(total / batches).toFixed(2).padStart(8)} ms  ${step}`);
  }
} finally {
  await database.drop();
}
