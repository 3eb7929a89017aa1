import type { SqlQueryable } from '../db/sql.ts';
import { type Columns, entityTableOf, quote } from './bulk-sql.ts';
import { type ChangesSinceRequest, pageCursor, planPage } from './pull.ts';
import type { Actor, EntityType } from './types.ts';

/**
 * changesSince pages written as JSON by the database itself (issue 15): one statement per
 * page returns the page's entities as one JSON array text, already in the response's shape,
 * so no row is decoded, mapped, re-walked by the executor or stringified again in Node.
 * Decoding 1,000 rows of 17 columns field by field (PGlite's protocol parser copies every
 * field) and re-walking them cost more than the query itself.
 *
 * Only values whose JSON text PostgreSQL writes exactly as graphql-js + JSON.stringify would
 * are written here: text, integers, booleans, enum labels and arrays of these through
 * `to_json`, and timestamps through `to_char` as Date.toISOString writes them. A page holding
 * anything else (a null where the schema says non-null, a null list item, a year outside
 * 1-9999) is reported `unusual` and the caller answers through GraphQL execution instead.
 * Float (PostgreSQL and JavaScript write exponents differently) and JSON (jsonb reorders and
 * spaces keys) are never selected here: the caller does not use this path for them.
 */

/** How one selected field of an entity is written, under its response key. */
export type JsonField =
  | { key: string; value: 'typename'; typename: string }
  | { key: string; value: 'json' | 'dateTime'; column: string; nullable: boolean; list: boolean };

/** The fields a query selects on one entity type, in response order. */
export type RowShape = readonly JsonField[];

export interface JsonPage {
  /** The page's entities as a JSON array. */
  entitiesJson: string;
  count: number;
  cursor: string;
  hasMore: boolean;
}

/**
 * The changesSince page of `request` as JSON; null when the page holds a value this path does
 * not write (see above). Limits, cursor, access and watermark are changesSince's own
 * (planPage), so both paths answer the same page and the same errors.
 */
export async function changesSinceJson(
  sql: SqlQueryable,
  actor: Actor,
  request: ChangesSinceRequest,
  shapes: ReadonlyMap<EntityType, RowShape>,
): Promise<JsonPage | null> {
  const plan = await planPage(sql, actor, request);
  if (plan.empty) return { entitiesJson: '[]', count: 0, cursor: plan.cursor, hasMore: false };
  const [row] = await sql.query<PageRow>(pageStatement(plan.types, shapes), [
    plan.window.workspaceId,
    plan.window.after,
    plan.window.watermark,
    plan.window.take,
  ]);
  if (!row || row.unusual) return null;
  const hasMore = row.rows > request.limit;
  return {
    entitiesJson: `[${row.entities}]`,
    count: Math.min(row.rows, request.limit),
    cursor: pageCursor(plan.window, hasMore, row.lastSeq ?? undefined),
    hasMore,
  };
}

interface PageRow {
  /** Rows read: up to the window's `take`, one more than the limit. */
  rows: number;
  unusual: boolean;
  entities: string;
  lastSeq: number | null;
}

// Statements by the query shape that produced them; queries come in a handful of shapes.
const statements = new Map<string, string>();
const MAX_STATEMENTS = 256;

function pageStatement(
  types: readonly EntityType[],
  shapes: ReadonlyMap<EntityType, RowShape>,
): string {
  const key = JSON.stringify(types.map((type) => [type, shapes.get(type)]));
  let sql = statements.get(key);
  if (sql === undefined) {
    sql = buildPageStatement(types, shapes);
    if (statements.size >= MAX_STATEMENTS) statements.clear();
    statements.set(key, sql);
  }
  return sql;
}

/**
 * Each type's next `take` rows (as selectPage reads them), merged in seq order and cut to
 * `take`; the first `take - 1` (the limit) are the page, the last only says there is more.
 */
function buildPageStatement(
  types: readonly EntityType[],
  shapes: ReadonlyMap<EntityType, RowShape>,
): string {
  const candidates = types.map((type) => {
    const shape = shapes.get(type);
    if (!shape) throw new Error(`No JSON row shape for entity type ${type}`);
    const { table, columns } = entityTableOf(type);
    return `(SELECT "seq", ${unusualRow(shape, columns)} AS "unusual", ${rowJson(shape, columns)} AS "json"
      FROM ${quote(table)} WHERE "workspaceId" = $1 AND "seq" > $2 AND "seq" <= $3 ORDER BY "seq" LIMIT $4)`;
  });
  return `WITH candidates AS (${candidates.join('\n  UNION ALL ')}),
  page AS (SELECT "seq", "unusual", "json", row_number() OVER (ORDER BY "seq") AS "n"
    FROM candidates ORDER BY "seq" LIMIT $4)
  SELECT count(*)::integer AS "rows",
    coalesce(bool_or("unusual") FILTER (WHERE "n" < $4), false) AS "unusual",
    coalesce(string_agg("json", ',' ORDER BY "seq") FILTER (WHERE "n" < $4), '') AS "entities",
    max("seq") FILTER (WHERE "n" < $4) AS "lastSeq"
  FROM page`;
}

/** A SQL string literal. Keys are GraphQL names and typenames, so this is belt and braces. */
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** `'{"id":' || <id as JSON> || ',"title":' || ... || '}'`. */
function rowJson(shape: RowShape, columns: Columns): string {
  if (shape.length === 0) return literal('{}');
  const parts = shape.map((field, index) => {
    const prefix = `${index === 0 ? '{' : ','}${JSON.stringify(field.key)}:`;
    if (field.value === 'typename') return literal(prefix + JSON.stringify(field.typename));
    return `${literal(prefix)} || ${valueJson(field, columns)}`;
  });
  return `${parts.join(' || ')} || '}'`;
}

// Date.toISOString for years 1 to 9999; unusualRow sends other years back to GraphQL.
const ISO_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

function valueJson(field: Extract<JsonField, { column: string }>, columns: Columns): string {
  const column = columnOf(field, columns);
  const text =
    field.value === 'dateTime'
      ? `'"' || to_char(${column}, ${ISO_FORMAT}) || '"'`
      : `to_json(${enumArrayAsText(column, columns[field.column])})::text`;
  return field.nullable ? `coalesce(${text}, 'null')` : text;
}

function columnOf(field: Extract<JsonField, { column: string }>, columns: Columns): string {
  if (!(field.column in columns)) throw new Error(`No column ${field.column} for a JSON row`);
  return quote(field.column);
}

// Arrays of an enum have no JSON cast of their own in older PostgreSQL: as text[] they do.
const enumArrayAsText = (column: string, type: string | undefined) =>
  type?.endsWith('"[]') ? `${column}::text[]` : column;

/** True for a row GraphQL would answer differently from rowJson (an error, another format). */
function unusualRow(shape: RowShape, columns: Columns): string {
  const conditions: string[] = [];
  for (const field of shape) {
    if (field.value === 'typename') continue;
    const column = columnOf(field, columns);
    if (!field.nullable) conditions.push(`${column} IS NULL`);
    if (field.list) conditions.push(`array_position(${column}, NULL) IS NOT NULL`);
    if (field.value === 'dateTime') {
      conditions.push(`${column} < '0001-01-01' OR ${column} >= '10000-01-01'`);
    }
  }
  return conditions.length === 0 ? 'false' : `coalesce(${conditions.join(' OR ')}, false)`;
}
