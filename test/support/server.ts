import { randomBytes } from 'node:crypto';
import { type App, buildApp } from '../../server/app.ts';
import { tokenClaimsOf } from '../../server/auth/dev-secret.ts';
import { signToken } from '../../server/auth/jwt.ts';
import { parseConfig } from '../../server/config.ts';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from './database.ts';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string; [key: string]: unknown } }[];
}

export interface TestServer {
  app: App;
  url: string;
  /** A valid token for `userId`, signed with the server's secret. */
  token(userId: string): Promise<string>;
  /** POSTs a GraphQL operation; `token: null` sends no Authorization header. */
  graphql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: { token?: string | null; as?: string },
  ): Promise<GraphQLResponse<T>>;
  stop(): Promise<void>;
}

/**
 * A real Converge server on 127.0.0.1 port 0 over a fresh database of the given kind, the
 * same code path as `npm start`. Each call gets its own database, dropped by stop().
 */
export async function startTestServer(
  kind: TestDatabaseKind,
  environment: Record<string, string> = {},
  options: { database?: TestDatabase; secret?: string } = {},
): Promise<TestServer> {
  // A shared database (several instances over one PostgreSQL) stays with its creator.
  const database = options.database ?? (await createTestDatabase(kind));
  const ownsDatabase = !options.database;
  const secret = options.secret ?? randomBytes(32).toString('base64url');
  const config = parseConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: database.options.dataDir,
    ...(database.options.databaseUrl ? { DATABASE_URL: database.options.databaseUrl } : {}),
    AUTH_SECRET: secret,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...environment,
  });
  const app = await buildApp(config);
  const { url } = await app.start(0);
  const tokens = new Map<string, string>();
  const token = async (userId: string) => {
    const cached = tokens.get(userId) ?? (await signToken(secret, userId, tokenClaimsOf(config)));
    tokens.set(userId, cached);
    return cached;
  };
  return {
    app,
    url,
    token,
    async graphql(query, variables, options = {}) {
      const bearer =
        options.token !== undefined ? options.token : options.as ? await token(options.as) : null;
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as Omit<GraphQLResponse, 'status'>;
      return { status: response.status, ...body } as never;
    },
    async stop() {
      await app.stop();
      if (ownsDatabase) await database.drop();
    },
  };
}
