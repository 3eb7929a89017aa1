import { type PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import pg from 'pg';

/**
 * Raw SQL on the database driver itself (pg's Pool or PGlite), for the sync hot path.
 *
 * Measured (issue 15): a one-change push spent about a fifth of its server CPU in Prisma
 * around its raw statements (`$transaction`, `$queryRawUnsafe`: request building, result
 * mapping, the interactive-transaction bookkeeping), for statements whose text and result
 * types the engine already knows. Here a statement is the driver's own call.
 *
 * Rows come back as Prisma's raw queries return them, so code reading them does not care
 * which path read them: integers and floats as numbers, JSON parsed, arrays as arrays,
 * enums as strings, and `timestamp` columns (which hold UTC, as Prisma writes them) as Dates.
 */
export interface SqlQueryable {
  query<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

export interface SqlClient extends SqlQueryable {
  /** Runs `work` in one transaction: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(work: (tx: SqlQueryable) => Promise<T>): Promise<T>;
}

const TIMESTAMP_OID = 1114;
const TIMESTAMP_ARRAY_OID = 1115;
const TEXT_ARRAY_OID = 1009 as Parameters<typeof pg.types.getTypeParser>[0];

/** `2026-01-31 12:00:00.123` is UTC: Prisma stores DateTime in `timestamp without time zone`. */
const parseUtcTimestamp = (value: string): Date => new Date(`${value.replace(' ', 'T')}Z`);

export function postgresSql(pool: pg.Pool): SqlClient {
  const query = async <Row>(
    client: pg.Pool | pg.PoolClient,
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<Row[]> => {
    const result = await client.query({
      name: preparedName(sql),
      text: sql,
      values: params as unknown[],
      types: pgTypes,
    });
    return result.rows as Row[];
  };
  return {
    query: (sql, params) => query(pool, sql, params),
    async transaction(work) {
      const client = await pool.connect();
      let broken: Error | undefined;
      // A connection that dies while checked out emits 'error' on its client, which the pool
      // only listens to while the client is idle: unheard, it would end the process. The
      // query in flight fails on its own; the client is not handed out again.
      const onError = (error: Error) => {
        broken = error;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await work({ query: (sql, params) => query(client, sql, params) });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          // A connection that cannot roll back is not handed to the next caller.
          broken = rollbackError;
        });
        throw error;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
  };
}

/**
 * Statements run as named prepared statements: PostgreSQL parses and plans each once per
 * connection, and the text (a few KB of CTEs for a batch write) is not sent again. Measured
 * (issue 15): a one-change push's p50 fell by 1-2 ms on PostgreSQL. The engine's statements
 * take a bounded set of shapes (their text depends on which tables a batch touches, never on
 * its size); past `maxPreparedStatements` texts, the rest run unnamed, so a model with many
 * entity types cannot fill the server's memory with plans.
 */
const maxPreparedStatements = 200;
const preparedNames = new Map<string, string>();

function preparedName(sql: string): string | undefined {
  let name = preparedNames.get(sql);
  if (name === undefined && preparedNames.size < maxPreparedStatements) {
    name = `converge_${preparedNames.size + 1}`;
    preparedNames.set(sql, name);
  }
  return name;
}

/** pg's parsers but for `timestamp` (it would read the text as local time). */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === TIMESTAMP_OID) return parseUtcTimestamp;
    if (oid === TIMESTAMP_ARRAY_OID) {
      const parseArray = pg.types.getTypeParser(TEXT_ARRAY_OID) as (value: string) => string[];
      return (value: string) => parseArray(value).map(parseUtcTimestamp);
    }
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export function pgliteSql(pglite: PGlite): SqlClient {
  const options = { parsers: pgliteParsers };
  return {
    query: async (sql, params = []) =>
      (await pglite.query(sql, params as unknown[], options)).rows as never,
    transaction: (work) =>
      pglite.transaction((tx) =>
        work({
          query: async (sql, params = []) =>
            (await tx.query(sql, params as unknown[], options)).rows as never,
        }),
      ),
  };
}

/**
 * PGlite parses scalars but returns arrays as their text form: the array types of the
 * columns the model can declare are added, element parsers as for their scalars.
 */
const pgliteParsers = (() => {
  const { parsers, arrayParser } = pgliteTypes;
  const scalar = (oid: number) => parsers[oid] as (value: string, typeId?: number) => unknown;
  const arrayOf =
    (element: (value: string) => unknown, arrayOid: number) =>
    (value: string): unknown =>
      arrayParser(value, element, arrayOid);
  const elements: [arrayOid: number, parse: (value: string) => unknown][] = [
    [Number(TEXT_ARRAY_OID), (value) => value], // text[]
    [1007, (value) => scalar(23)(value)], // integer[]
    [1022, (value) => scalar(701)(value)], // double precision[]
    [1000, (value) => scalar(16)(value)], // boolean[]
    [3807, (value) => scalar(3802)(value)], // jsonb[]
    [TIMESTAMP_ARRAY_OID, parseUtcTimestamp],
  ];
  return {
    [TIMESTAMP_OID]: parseUtcTimestamp,
    ...Object.fromEntries(elements.map(([oid, parse]) => [oid, arrayOf(parse, oid)])),
  } as Record<number, (value: string) => unknown>;
})();
