import type { EntityDescription, FieldDescription, ModelScalar } from '../../model/index.ts';
import type { Conflict, Prisma, Role } from '../db/generated/prisma/client.ts';
import type { SqlQueryable } from '../db/sql.ts';
import { entityOfType, entityTypes, syncModel, tagRow } from './model.ts';
import type { EntityType, SyncEntity } from './types.ts';

/**
 * Statements for the sync hot paths. Push: every write of a batch in one statement, whatever
 * the batch size, on the driver itself (server/db/sql.ts). Pull: one keyset query per entity
 * type, without Prisma's row mapping.
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
 * Entity tables and column types derive from the model, with the mapping the Prisma schema
 * generator uses (String and ID text, Int integer, Float double precision, DateTime
 * timestamp(3), JSON jsonb, an enum its own type, a list an array), so a model field cannot be
 * left out of sync writes. The platform tables are checked against Prisma's scalar field list
 * at compile time.
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

const scalarColumnTypes: Readonly<Record<ModelScalar, string>> = {
  String: 'text',
  ID: 'text',
  Int: 'integer',
  Float: 'double precision',
  Boolean: 'boolean',
  DateTime: 'timestamp(3)',
  JSON: 'jsonb',
};

/** A model field's column type, as the generated Prisma schema declares it. */
export function columnTypeOf(field: FieldDescription): string {
  const base =
    field.kind === 'ENUM' ? quote(field.typeName) : scalarColumnTypes[field.scalar as ModelScalar];
  return field.list ? `${base}[]` : base;
}

/** An entity's table: Prisma names it after the model and its columns after the fields. */
function entityTable(entity: EntityDescription): { table: string; columns: Columns } {
  const columns: Record<string, string> = {};
  for (const field of entity.fields) columns[field.name] = columnTypeOf(field);
  return { table: entity.prismaModel, columns: { ...columns, ...syncRecordColumns } };
}

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

const conflictColumns = {
  id: 'text',
  workspaceId: 'text',
  entityType: '"EntityType"',
  entityId: 'text',
  field: 'text',
  baseValue: 'jsonb',
  localValue: 'jsonb',
  serverValue: 'jsonb',
  status: '"ConflictStatus"',
  resolution: 'jsonb',
  actorId: 'text',
  clientId: 'text',
  mutationId: 'text',
  createdAt: 'timestamp(3)',
  resolvedAt: 'timestamp(3)',
  resolvedBy: 'text',
} satisfies Record<Prisma.ConflictScalarFieldEnum, string>;

const appliedMutationColumns = {
  clientId: 'text',
  mutationId: 'text',
  workspaceId: 'text',
  userId: 'text',
  entityType: '"EntityType"',
  entityId: 'text',
  createdAt: 'timestamp(3)',
} satisfies Record<Prisma.AppliedMutationScalarFieldEnum, string>;

export type Columns = Readonly<Record<string, string>>;

export const quote = (identifier: string) => `"${identifier}"`;

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

/**
 * SELECT list of an entity's columns. Arrays of an enum come back as text arrays: the driver
 * knows no parser for an array of a type created by a migration and would return '{A,B}'.
 */
function selectList(columns: Columns, omit: ReadonlySet<string> = new Set()): string {
  return Object.entries(columns)
    .filter(([name]) => !omit.has(name))
    .map(([name, type]) =>
      type.endsWith('"[]') ? `${quote(name)}::text[] AS ${quote(name)}` : quote(name),
    )
    .join(', ');
}

// fieldMeta is the server's merge state, not part of the API: pages leave it out.
function pageStatement(table: string, columns: Columns): string {
  return `SELECT ${selectList(columns, new Set(['fieldMeta']))} FROM ${quote(table)}
    WHERE "workspaceId" = $1 AND "seq" > $2 AND "seq" <= $3 ORDER BY "seq" LIMIT $4`;
}

interface EntityStatements {
  table: string;
  columns: Columns;
  /** Columns of type timestamp (or a list of them): JSON carries them as strings. */
  dateColumns: readonly string[];
  selectEntities: string;
  selectEntitiesWithoutMeta: string;
  selectPage: string;
}

const entityStatements = new Map<EntityType, EntityStatements>(
  syncModel.entities.map((entity) => {
    const { table, columns } = entityTable(entity);
    const byId = `FROM ${quote(table)} WHERE "id" = ANY($1::text[])`;
    return [
      entity.entityType,
      {
        table,
        columns,
        dateColumns: Object.keys(columns).filter((name) => columns[name]?.startsWith('timestamp')),
        selectEntities: `SELECT ${selectList(columns)} ${byId}`,
        selectEntitiesWithoutMeta: `SELECT ${selectList(columns, new Set(['fieldMeta']))} ${byId}`,
        selectPage: pageStatement(table, columns),
      },
    ];
  }),
);

/** An entity type's table and its columns' types (server/sync/page-json.ts reads pages from them). */
export function entityTableOf(type: EntityType): { table: string; columns: Columns } {
  const { table, columns } = statementsOf(type);
  return { table, columns };
}

function statementsOf(type: EntityType): EntityStatements {
  const found = entityStatements.get(type);
  if (!found) throw new Error(`${entityOfType(type).name} has no table statements`);
  return found;
}

/**
 * Rows of a table found by the whole of its primary key, one index lookup per key: the keys are
 * unnested and each is looked up in a LATERAL subquery (its LIMIT keeps the planner from
 * flattening it into a join).
 *
 * Measured (issue 15): `prefix = $1 AND last = ANY($2)` on a fresh table (no statistics yet)
 * and under a generic plan (named prepared statements) was planned as a scan of every row with
 * that prefix, filtered: the idempotency lookup read all of a client's past mutations, 13 ms
 * for 7,000 of them, growing with the client's history. Keyed like this it is 100 index
 * lookups (1 ms), whatever the history and whatever the statistics say.
 *
 * The statement's parameters are the prefix values, in order, then the array of keys.
 */
function lookupByKeys(table: string, prefix: readonly string[], key: string, select: string) {
  return (param: (index: number) => string): string => {
    const prefixMatch = prefix.map((column, index) => `${quote(column)} = ${param(index)}`);
    return `SELECT ${select} FROM unnest(${param(prefix.length)}::text[]) AS k(${quote(key)})
      CROSS JOIN LATERAL (SELECT * FROM ${quote(table)}
        WHERE ${[...prefixMatch, `${quote(key)} = k.${quote(key)}`].join(' AND ')} LIMIT 1) AS found`;
  };
}

const memberLookup = lookupByKeys(
  'Member',
  ['workspaceId'],
  'userId',
  `coalesce(json_agg(found."userId"), '[]')`,
);

const appliedMutationLookup = lookupByKeys(
  'AppliedMutation',
  ['workspaceId', 'userId', 'clientId'],
  'mutationId',
  `coalesce(json_agg(json_build_object('mutationId', found."mutationId",
    'entityType', found."entityType", 'entityId', found."entityId")), '[]')`,
);

const selectMemberIdsStatement = `SELECT (${memberLookup((index) => `$${index + 1}`)}) AS "userIds"`;

// The member's role and the workspace counter: a pull's access check and watermark together.
const selectRoleAndSeqStatement = `SELECT m."role", w."seq" FROM "Member" m
    JOIN "Workspace" w ON w."id" = m."workspaceId"
    WHERE m."workspaceId" = $1 AND m."userId" = $2`;

const selectFieldHistoryStatement = `SELECT "changes" FROM "ChangeLog"
    WHERE "workspaceId" = $1 AND "entityType" = $2::"EntityType" AND "entityId" = $3
      AND "version" > $4 ORDER BY "version"`;

type PrismaRaw = Pick<Prisma.TransactionClient, '$queryRawUnsafe'>;

/** What the statements run on: the driver (server/db/sql.ts) or a Prisma client. */
type RawClient = SqlQueryable | PrismaRaw;

function queryRows<Row>(
  client: RawClient,
  sql: string,
  params: readonly unknown[],
): Promise<Row[]> {
  return '$queryRawUnsafe' in client
    ? client.$queryRawUnsafe<Row[]>(sql, ...params)
    : client.query<Row>(sql, params);
}

/** Everything one push or resolution writes. */
export interface BatchWrites {
  workspaceId: string;
  /** The workspace counter after the batch; null when the batch applied nothing. */
  seq: number | null;
  /** Rows by entity type; a type without rows may be absent. */
  created: Readonly<Record<EntityType, readonly SyncEntity[]>>;
  updated: Readonly<Record<EntityType, readonly SyncEntity[]>>;
  log: readonly Prisma.ChangeLogCreateManyInput[];
  mutations: readonly Prisma.AppliedMutationCreateManyInput[];
  conflicts: readonly Conflict[];
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
    const { table, columns } = statementsOf(type);
    parts.push({
      key: `insert${type}`,
      rows: writes.created[type] ?? [],
      sql: (source) => insertStatement(table, columns, source),
    });
  }
  for (const type of entityTypes) {
    const { table, columns } = statementsOf(type);
    parts.push({
      key: `update${type}`,
      rows: writes.updated[type] ?? [],
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
  parts.push({
    key: 'conflicts',
    rows: writes.conflicts,
    sql: (source) => insertStatement('Conflict', conflictColumns, source),
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
 * Writes a batch's rows, change log, idempotency records, conflicts and workspace counter in
 * one statement. Dates become ISO strings in the JSON; a timestamp column ignores the trailing
 * Z, which is right: Prisma stores UTC in `timestamp without time zone`. A JSON null becomes
 * SQL NULL, as Prisma's `DbNull` wrote it.
 */
export async function writeBatch(tx: SqlQueryable, writes: BatchWrites): Promise<void> {
  const parts = partsOf(writes);
  const withSeq = writes.seq !== null;
  if (parts.length === 0 && !withSeq) return;
  const document: Record<string, unknown> = { workspaceId: writes.workspaceId, seq: writes.seq };
  for (const part of parts) document[part.key] = part.rows;
  await tx.query(batchStatement(parts, withSeq), [JSON.stringify(document)]);
}

/**
 * PostgreSQL text cannot hold NUL, and a parameter holding one fails the whole statement
 * (SQLSTATE 22021). No stored key contains one, so such keys are left out of lookups: they
 * find nothing, as any unknown key, and validation rejects their changes one by one.
 */
const storable = (keys: readonly string[]) => keys.filter((key) => !key.includes('\u0000'));

/** Storable keys, each once: a key looked up twice would be found twice. */
const uniqueStorable = (keys: readonly string[]) => storable([...new Set(keys)]);

/**
 * Rows by id, whatever their workspace, tagged with their type; with their merge state
 * (`fieldMeta`) unless `withoutMeta`.
 */
export async function selectEntities(
  tx: RawClient,
  type: EntityType,
  ids: readonly string[],
  options: { withoutMeta?: boolean } = {},
): Promise<SyncEntity[]> {
  const keys = storable(ids);
  if (keys.length === 0) return [];
  const statements = statementsOf(type);
  const sql = options.withoutMeta
    ? statements.selectEntitiesWithoutMeta
    : statements.selectEntities;
  const rows = await queryRows<SyncEntity>(tx, sql, [keys]);
  return rows.map((row) => tagRow(type, row));
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

/** Which of `userIds` are members of the workspace. */
export async function selectMemberIds(
  tx: SqlQueryable,
  workspaceId: string,
  userIds: readonly string[],
): Promise<Set<string>> {
  const keys = uniqueStorable(userIds);
  if (keys.length === 0) return new Set();
  const [row] = await tx.query<{ userIds: string[] }>(selectMemberIdsStatement, [
    workspaceId,
    keys,
  ]);
  return new Set(row?.userIds ?? []);
}

/**
 * `userId`'s role in the workspace and the workspace counter, in one statement; null when the
 * user is not a member (or the workspace does not exist).
 */
export async function selectRoleAndSeq(
  client: SqlQueryable,
  workspaceId: string,
  userId: string,
): Promise<{ role: Role; seq: number } | null> {
  if (storable([workspaceId, userId]).length < 2) return null;
  const [row] = await client.query<{ role: Role; seq: number }>(selectRoleAndSeqStatement, [
    workspaceId,
    userId,
  ]);
  return row ? { role: row.role, seq: Number(row.seq) } : null;
}

const conflictSelectList = selectList(conflictColumns);

const selectConflictStatement = `SELECT ${conflictSelectList} FROM "Conflict" WHERE "id" = $1`;

const markConflictResolvedStatement = `UPDATE "Conflict" SET "status" = 'RESOLVED',
    "resolution" = $2::jsonb, "resolvedAt" = $3::timestamp(3), "resolvedBy" = $4
    WHERE "id" = $1 RETURNING ${conflictSelectList}`;

/** One conflict by id, whatever its workspace; null when there is none. */
export async function selectConflict(tx: SqlQueryable, id: string): Promise<Conflict | null> {
  if (storable([id]).length === 0) return null;
  const [row] = await tx.query<Conflict>(selectConflictStatement, [id]);
  return row ?? null;
}

export interface ConflictResolution {
  id: string;
  /** What the conflict records as its resolution; null stores SQL NULL. */
  resolution: unknown;
  resolvedAt: Date;
  resolvedBy: string;
}

/** Marks a conflict RESOLVED and returns it as stored. */
export async function markConflictResolved(
  tx: SqlQueryable,
  resolved: ConflictResolution,
): Promise<Conflict> {
  const [row] = await tx.query<Conflict>(markConflictResolvedStatement, [
    resolved.id,
    resolved.resolution === null || resolved.resolution === undefined
      ? null
      : JSON.stringify(resolved.resolution),
    // UTC, as writeBatch writes dates: a timestamp column ignores the trailing Z.
    resolved.resolvedAt.toISOString(),
    resolved.resolvedBy,
  ]);
  if (!row) throw new Error(`Conflict ${resolved.id} vanished while it was being resolved`);
  return row;
}

/** The change log's `changes` of one entity after `version`, oldest first. */
export function selectChangesAfter(
  tx: SqlQueryable,
  workspaceId: string,
  entity: { type: EntityType; id: string },
  version: number,
): Promise<{ changes: unknown }[]> {
  return tx.query(selectFieldHistoryStatement, [workspaceId, entity.type, entity.id, version]);
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
export async function selectPage(
  client: RawClient,
  type: EntityType,
  window: PageWindow,
): Promise<SyncEntity[]> {
  const rows = await queryRows<SyncEntity>(client, statementsOf(type).selectPage, [
    window.workspaceId,
    window.after,
    window.watermark,
    window.take,
  ]);
  return rows.map((row) => tagRow(type, row));
}

/** What a push looks at before it applies anything, read in one statement (readBatch). */
export interface BatchReadRequest {
  workspaceId: string;
  /** Rows wanted, by entity type: the changed entities and those their patches refer to. */
  ids: Readonly<Record<EntityType, ReadonlySet<string>>>;
  /** User ids the patches name: which of them are members. */
  userIds: ReadonlySet<string>;
  /** Idempotency keys of the batch: which of them this user's client already applied. */
  mutationIds: readonly string[];
  scope: MutationScope;
}

export interface BatchRead {
  /** Rows by id whatever their workspace, tagged with their type, with `fieldMeta`. */
  rows: SyncEntity[];
  memberIds: Set<string>;
  applied: AppliedMutationRecord[];
}

/** One column of the read statement: a JSON array built by a subquery over its own parameter. */
interface ReadPart {
  key: string;
  params: readonly unknown[];
  sql: (param: (index: number) => string) => string;
}

const readStatements = new Map<string, string>();

/**
 * Reads the rows, memberships and idempotency records a batch needs in one statement instead
 * of one per table: each part is a subquery returning a JSON array (a statement costs far more
 * than its rows on either database). The text depends on which parts a batch needs only.
 */
export async function readBatch(tx: SqlQueryable, request: BatchReadRequest): Promise<BatchRead> {
  const parts = readPartsOf(request);
  const read: BatchRead = { rows: [], memberIds: new Set(), applied: [] };
  if (parts.length === 0) return read;
  const shape = parts.map((part) => part.key).join(',');
  let sql = readStatements.get(shape);
  if (sql === undefined) {
    let next = 0;
    const columns = parts.map((part) => {
      const offset = next;
      next += part.params.length;
      return `(${part.sql((index) => `$${offset + index + 1}`)}) AS ${quote(part.key)}`;
    });
    sql = `SELECT ${columns.join(', ')}`;
    readStatements.set(shape, sql);
  }
  const [row] = await tx.query<Record<string, unknown[]>>(
    sql,
    parts.flatMap((part) => part.params),
  );
  for (const part of parts) {
    const values = row?.[part.key] ?? [];
    if (part.key === 'members') read.memberIds = new Set(values as string[]);
    else if (part.key === 'applied') read.applied = values as AppliedMutationRecord[];
    else read.rows.push(...values.map((value) => rowFromJson(part.key, value as SyncEntity)));
  }
  return read;
}

function readPartsOf(request: BatchReadRequest): ReadPart[] {
  const parts: ReadPart[] = [];
  for (const type of entityTypes) {
    const ids = storable([...(request.ids[type] ?? [])]);
    if (ids.length === 0) continue;
    const { table } = statementsOf(type);
    // json_agg, not jsonb_agg: the rows are only read back, and building the binary jsonb of
    // each row first took the read of a 100-change batch from 1.9 to 2.7 ms (PostgreSQL).
    parts.push({
      key: type,
      params: [ids],
      sql: (param) =>
        `SELECT coalesce(json_agg(t), '[]') FROM ${quote(table)} t WHERE "id" = ANY(${param(0)}::text[])`,
    });
  }
  const userIds = uniqueStorable([...request.userIds]);
  if (userIds.length > 0) {
    parts.push({
      key: 'members',
      params: [request.workspaceId, userIds],
      sql: memberLookup,
    });
  }
  const { workspaceId, userId, clientId } = request.scope;
  const mutationIds = uniqueStorable(request.mutationIds);
  if (mutationIds.length > 0 && storable([workspaceId, userId, clientId]).length === 3) {
    parts.push({
      key: 'applied',
      params: [workspaceId, userId, clientId, mutationIds],
      sql: appliedMutationLookup,
    });
  }
  return parts;
}

/** A row that came as JSON: timestamps (UTC, without a zone) become Dates again. */
function rowFromJson(type: EntityType, row: SyncEntity): SyncEntity {
  const record = row as Record<string, unknown>;
  for (const column of statementsOf(type).dateColumns) {
    const value = record[column];
    if (typeof value === 'string') record[column] = utcDate(value);
    else if (Array.isArray(value)) record[column] = value.map((item) => utcDate(String(item)));
  }
  return tagRow(type, row);
}

const utcDate = (value: string): Date => new Date(`${value}Z`);
