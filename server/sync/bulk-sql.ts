import type { EntityType, Prisma } from '../db/generated/prisma/client.ts';
import type { SyncEntity } from './types.ts';

/**
 * Statements for the sync hot paths. Push: every write of a batch in one statement, whatever
 * the batch size. Pull: one keyset query per entity type, without Prisma's row mapping.
 *
 * Measured (issue 6): Prisma 7's `createMany` of 100 task rows costs 100-200 ms of CPU in its
 * query compiler and interpreter, and rows can only be updated one `update` at a time; the
 * same rows passed as one JSON parameter and expanded by `jsonb_to_recordset` take 5-10 ms
 * on PostgreSQL and PGlite alike. Each raw statement still costs about 1 ms of Prisma's own
 * CPU, inside the workspace lock, so a batch's writes go out as one statement of
 * data-modifying CTEs. The statement text depends on which tables a batch touches, never on
 * its size, so the database sees a handful of shapes.
 *
 * A pull page of 1,000 tasks read with `findMany` took 50 ms, 28 ms without the fieldMeta
 * column (Prisma parses each row's JSON), 17 ms as a raw query with the same result types.
 *
 * Column types mirror prisma/migrations; each map is checked against Prisma's scalar field
 * list at compile time, so a new column cannot be silently left out of sync writes.
 */

/**
 * The sync metadata every synced table carries (docs/protocol.md, Entity metadata and versions).
 */
const syncRecordColumns = {
  id: 'text',
  workspaceId: 'text',
  version: 'integer',
  seq: 'integer',
  createdAt: 'timestamp(3)',
  updatedAt: 'timestamp(3)',
  updatedBy: 'text',
  deleted: 'boolean',
  fieldMeta: 'jsonb',
} as const;

const projectColumns = {
  name: 'text',
  color: 'text',
  archived: 'boolean',
  ...syncRecordColumns,
} satisfies Record<Prisma.ProjectScalarFieldEnum, string>;

const taskColumns = {
  projectId: 'text',
  title: 'text',
  notes: 'text',
  status: '"TaskStatus"',
  priority: 'integer',
  tags: 'text[]',
  assigneeId: 'text',
  dueAt: 'timestamp(3)',
  estimateMinutes: 'integer',
  timeSpentMinutes: 'integer',
  sortKey: 'text',
  ...syncRecordColumns,
} satisfies Record<Prisma.TaskScalarFieldEnum, string>;

const commentColumns = {
  taskId: 'text',
  authorId: 'text',
  body: 'text',
  ...syncRecordColumns,
} satisfies Record<Prisma.CommentScalarFieldEnum, string>;

const changeLogColumns = {
  workspaceId: 'text',
  seq: 'integer',
  entityType: '"EntityType"',
  entityId: 'text',
  op: '"ChangeOp"',
  changes: 'jsonb',
  version: 'integer',
  actorId: 'text',
  clientId: 'text',
  mutationId: 'text',
  createdAt: 'timestamp(3)',
} satisfies Record<Prisma.ChangeLogScalarFieldEnum, string>;

const appliedMutationColumns = {
  clientId: 'text',
  mutationId: 'text',
  workspaceId: 'text',
  userId: 'text',
  entityType: '"EntityType"',
  entityId: 'text',
  createdAt: 'timestamp(3)',
} satisfies Record<Prisma.AppliedMutationScalarFieldEnum, string>;

type Columns = Readonly<Record<string, string>>;

const quote = (identifier: string) => `"${identifier}"`;

/** `jsonb_to_recordset(<source>) AS v("a" text, ...)`: typed rows from a JSON array. */
function recordset(columns: Columns, source: string): string {
  const definitions = Object.entries(columns)
    .map(([name, type]) => `${quote(name)} ${type}`)
    .join(', ');
  return `jsonb_to_recordset(${source}) AS v(${definitions})`;
}

function insertStatement(table: string, columns: Columns, source: string): string {
  const names = Object.keys(columns).map(quote).join(', ');
  return `INSERT INTO ${quote(table)} (${names}) SELECT ${names} FROM ${recordset(columns, source)}`;
}

// Rows are matched on id and workspace: an update never reaches another tenant's row.
// id, workspaceId and createdAt never change after a create.
const fixedColumns = new Set(['id', 'workspaceId', 'createdAt']);

function updateStatement(table: string, columns: Columns, source: string): string {
  const assignments = Object.keys(columns)
    .filter((name) => !fixedColumns.has(name))
    .map((name) => `${quote(name)} = v.${quote(name)}`)
    .join(', ');
  return `UPDATE ${quote(table)} AS t SET ${assignments} FROM ${recordset(columns, source)}
    WHERE t."id" = v."id" AND t."workspaceId" = v."workspaceId"`;
}

// fieldMeta is the server's merge state, not part of the API: pages leave it out.
function pageStatement(table: string, columns: Columns): string {
  const names = Object.keys(columns)
    .filter((name) => name !== 'fieldMeta')
    .map(quote)
    .join(', ');
  return `SELECT ${names} FROM ${quote(table)}
    WHERE "workspaceId" = $1 AND "seq" > $2 AND "seq" <= $3 ORDER BY "seq" LIMIT $4`;
}

const entityTables: Record<EntityType, { table: string; columns: Columns }> = {
  PROJECT: { table: 'Project', columns: projectColumns },
  TASK: { table: 'Task', columns: taskColumns },
  COMMENT: { table: 'Comment', columns: commentColumns },
};

const entityTypes: readonly EntityType[] = ['PROJECT', 'TASK', 'COMMENT'];

const statements = {
  selectEntities: mapTypes(
    ({ table }) => `SELECT * FROM ${quote(table)} WHERE "id" = ANY($1::text[])`,
  ),
  selectPage: mapTypes(({ table, columns }) => pageStatement(table, columns)),
  selectAppliedMutations: `SELECT "mutationId", "entityType", "entityId" FROM "AppliedMutation"
    WHERE "workspaceId" = $1 AND "userId" = $2 AND "clientId" = $3 AND "mutationId" = ANY($4::text[])`,
};

function mapTypes<T>(
  map: (entry: { table: string; columns: Columns }) => T,
): Record<EntityType, T> {
  return {
    PROJECT: map(entityTables.PROJECT),
    TASK: map(entityTables.TASK),
    COMMENT: map(entityTables.COMMENT),
  };
}

/** What the statements need of a client or transaction: raw statements only. */
type RawClient = Pick<Prisma.TransactionClient, '$executeRawUnsafe' | '$queryRawUnsafe'>;

/** Everything one push writes, apart from conflicts (rare; written by Prisma). */
export interface BatchWrites {
  workspaceId: string;
  /** The workspace counter after the batch; null when the batch applied nothing. */
  seq: number | null;
  created: Readonly<Record<EntityType, readonly SyncEntity[]>>;
  updated: Readonly<Record<EntityType, readonly SyncEntity[]>>;
  log: readonly Prisma.ChangeLogCreateManyInput[];
  mutations: readonly Prisma.AppliedMutationCreateManyInput[];
}

/** One part of the batch statement: a key of the JSON parameter and the CTE reading it. */
interface Part {
  key: string;
  rows: readonly object[];
  sql: (source: string) => string;
}

function partsOf(writes: BatchWrites): Part[] {
  const parts: Part[] = [];
  // Creates before updates in the text for the reader; the CTEs touch disjoint rows, so
  // their order of execution does not matter.
  for (const type of entityTypes) {
    const { table, columns } = entityTables[type];
    parts.push({
      key: `insert${type}`,
      rows: writes.created[type],
      sql: (source) => insertStatement(table, columns, source),
    });
  }
  for (const type of entityTypes) {
    const { table, columns } = entityTables[type];
    parts.push({
      key: `update${type}`,
      rows: writes.updated[type],
      sql: (source) => updateStatement(table, columns, source),
    });
  }
  parts.push({
    key: 'log',
    rows: writes.log,
    sql: (source) => insertStatement('ChangeLog', changeLogColumns, source),
  });
  parts.push({
    key: 'mutations',
    rows: writes.mutations,
    sql: (source) => insertStatement('AppliedMutation', appliedMutationColumns, source),
  });
  return parts.filter((part) => part.rows.length > 0);
}

const batchStatements = new Map<string, string>();

/**
 * The statement for a set of parts (and the counter update when `withSeq`), built once per
 * shape. Data-modifying CTEs all run, whether the final SELECT reads them or not.
 */
function batchStatement(parts: readonly Part[], withSeq: boolean): string {
  const shape = `${parts.map((part) => part.key).join(',')}|${withSeq}`;
  let sql = batchStatements.get(shape);
  if (sql === undefined) {
    // $1 is typed jsonb by its first cast, so the parameter is parsed once.
    const ctes = parts.map(
      (part, index) => `w${index} AS (${part.sql(`$1::jsonb -> '${part.key}'`)})`,
    );
    if (withSeq) {
      ctes.push(`w_seq AS (UPDATE "Workspace" SET "seq" = ($1::jsonb ->> 'seq')::integer
        WHERE "id" = $1::jsonb ->> 'workspaceId')`);
    }
    sql = `WITH ${ctes.join(',\n')} SELECT 1`;
    batchStatements.set(shape, sql);
  }
  return sql;
}

/**
 * Writes a batch's rows, change log, idempotency records and workspace counter in one
 * statement. Dates become ISO strings in the JSON; a timestamp column ignores the trailing
 * Z, which is right: Prisma stores UTC in `timestamp without time zone`.
 */
export async function writeBatch(tx: RawClient, writes: BatchWrites): Promise<void> {
  const parts = partsOf(writes);
  const withSeq = writes.seq !== null;
  if (parts.length === 0 && !withSeq) return;
  const document: Record<string, unknown> = { workspaceId: writes.workspaceId, seq: writes.seq };
  for (const part of parts) document[part.key] = part.rows;
  await tx.$executeRawUnsafe(batchStatement(parts, withSeq), JSON.stringify(document));
}

/**
 * PostgreSQL text cannot hold NUL, and a parameter holding one fails the whole statement
 * (SQLSTATE 22021). No stored key contains one, so such keys are left out of lookups: they
 * find nothing, as any unknown key, and validation rejects their changes one by one.
 */
const storable = (keys: readonly string[]) => keys.filter((key) => !key.includes('\u0000'));

/** Rows by id, whatever their workspace; typed as Prisma would return them. */
export async function selectEntities(
  tx: RawClient,
  type: EntityType,
  ids: readonly string[],
): Promise<SyncEntity[]> {
  const keys = storable(ids);
  if (keys.length === 0) return [];
  return tx.$queryRawUnsafe<SyncEntity[]>(statements.selectEntities[type], keys);
}

export interface AppliedMutationRecord {
  mutationId: string;
  entityType: EntityType;
  entityId: string;
}

/** Whose idempotency keys a lookup reads: one user's, in one workspace, from one client. */
export interface MutationScope {
  workspaceId: string;
  userId: string;
  clientId: string;
}

/** The changes of `mutationIds` this user already applied in this workspace from this client. */
export async function selectAppliedMutations(
  tx: RawClient,
  scope: MutationScope,
  mutationIds: readonly string[],
): Promise<AppliedMutationRecord[]> {
  const keys = storable(mutationIds);
  const { workspaceId, userId, clientId } = scope;
  if (keys.length === 0 || storable([workspaceId, userId, clientId]).length < 3) return [];
  return tx.$queryRawUnsafe<AppliedMutationRecord[]>(
    statements.selectAppliedMutations,
    workspaceId,
    userId,
    clientId,
    keys,
  );
}

export interface PageWindow {
  workspaceId: string;
  /** Sequence the page starts after. */
  after: number;
  /** Highest sequence the page may include. */
  watermark: number;
  take: number;
}

/** Entities of one type with after < seq <= watermark, in seq order, without fieldMeta. */
export function selectPage(
  client: RawClient,
  type: EntityType,
  window: PageWindow,
): Promise<SyncEntity[]> {
  return client.$queryRawUnsafe<SyncEntity[]>(
    statements.selectPage[type],
    window.workspaceId,
    window.after,
    window.watermark,
    window.take,
  );
}
