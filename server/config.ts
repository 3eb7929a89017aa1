import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * The environment, parsed once (docs/operations.md, Configuration). The names are part of the
 * contract with every deployment. A bad value stops start-up with a message naming the variable,
 * rather than failing later.
 */
const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const environmentSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  AUTH_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  AUTH_JWKS_URL: z.url().optional(),
  AUTH_ISSUER: z.string().min(1).optional(),
  AUTH_AUDIENCE: z.string().min(1).optional(),
  MAX_BATCH: z.coerce.number().int().min(1).max(10_000).default(500),
  MAX_SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().min(1).max(100_000).default(500),
  MAX_CONNECTIONS_PER_USER: z.coerce.number().int().min(1).max(100_000).default(50),
  MEMBERSHIP_RECHECK_SECONDS: z.coerce.number().int().min(1).max(3_600).default(30),
  MIGRATE_ON_START: booleanFromEnv.default(true),
  // Hardening (server/security). Defaults suit a team server; production may tighten them.
  GRAPHIQL: booleanFromEnv.default(true),
  INTROSPECTION: booleanFromEnv.default(true),
  CSRF_PREVENTION: booleanFromEnv.default(true),
  // Yoga's own body limit (maxRequestBodySize, 25 MB) stays behind this one.
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(25_000_000)
    .default(16 * 1024 * 1024),
  MAX_QUERY_DEPTH: z.coerce.number().int().min(2).max(1000).default(15),
  MAX_QUERY_ALIASES: z.coerce.number().int().min(0).max(100_000).default(30),
  MAX_QUERY_COST: z.coerce.number().int().min(1).default(5_000),
  // Every client operation together is ~500 tokens; GraphiQL's introspection query ~200.
  MAX_QUERY_TOKENS: z.coerce.number().int().min(100).max(1_000_000).default(2_000),
  MAX_QUERY_OPERATIONS: z.coerce.number().int().min(1).max(10_000).default(20),
  RATE_LIMIT_USER_REQUESTS_PER_MINUTE: z.coerce.number().int().min(0).default(6_000),
  RATE_LIMIT_USER_CHANGES_PER_MINUTE: z.coerce.number().int().min(0).default(60_000),
  RATE_LIMIT_WORKSPACE_CHANGES_PER_MINUTE: z.coerce.number().int().min(0).default(120_000),
  RATE_LIMIT_ANONYMOUS_REQUESTS_PER_MINUTE: z.coerce.number().int().min(0).default(120),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  port: number;
  host: string;
  /** Absolute path; holds the PGlite database and the development secret. */
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  authSecret: string | undefined;
  authJwksUrl: string | undefined;
  /** When set, every token must carry exactly this `iss`. */
  authIssuer: string | undefined;
  /** When set, every token's `aud` must name this audience. */
  authAudience: string | undefined;
  maxBatch: number;
  /** Active subscriptions one WebSocket connection may hold. */
  maxSubscriptionsPerConnection: number;
  /** Live connections (WebSockets plus SSE streams) one user may hold on one instance. */
  maxConnectionsPerUser: number;
  /**
   * A live stream re-reads its subscriber's membership at least this often (and whenever it
   * resyncs from the change log), so a removal whose notice was lost still ends it.
   */
  membershipRecheckSeconds: number;
  migrateOnStart: boolean;
  /** Serve GraphiQL on GET /graphql from a browser. */
  graphiql: boolean;
  /** Answer __schema / __type queries (and "did you mean" hints, which leak the schema too). */
  introspection: boolean;
  /** Refuse requests a browser could send cross-site without a preflight. */
  csrfPrevention: boolean;
  /** Largest request body accepted (413 past it). */
  maxBodyBytes: number;
  /** Query limits answered with QUERY_TOO_COMPLEX. */
  maxQueryDepth: number;
  maxQueryAliases: number;
  maxQueryCost: number;
  /** Parser limits, checked while reading a document (QUERY_TOO_COMPLEX past them). */
  maxQueryTokens: number;
  maxQueryOperations: number;
  /** Token buckets answered with RATE_LIMITED; 0 turns one off. Shared through Redis when set. */
  rateLimitUserRequestsPerMinute: number;
  rateLimitUserChangesPerMinute: number;
  rateLimitWorkspaceChangesPerMinute: number;
  /** Requests without a token per client address, counted before their document is parsed. */
  rateLimitAnonymousRequestsPerMinute: number;
  logLevel: z.infer<typeof environmentSchema>['LOG_LEVEL'];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Environment = Record<string, string | undefined>;

export function parseConfig(environment: Environment = process.env): Config {
  // An empty variable means "unset": `FOO= npm start` should not fail validation.
  const present = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `  ${issue.path.join('.')}: ${issue.message}`,
    );
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const env = parsed.data;
  if (env.AUTH_SECRET && env.AUTH_JWKS_URL) {
    throw new ConfigError('Invalid configuration: set AUTH_SECRET or AUTH_JWKS_URL, not both');
  }
  return {
    port: env.PORT,
    host: env.HOST,
    dataDir: resolve(env.DATA_DIR),
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    authSecret: env.AUTH_SECRET,
    authJwksUrl: env.AUTH_JWKS_URL,
    authIssuer: env.AUTH_ISSUER,
    authAudience: env.AUTH_AUDIENCE,
    maxBatch: env.MAX_BATCH,
    maxSubscriptionsPerConnection: env.MAX_SUBSCRIPTIONS_PER_CONNECTION,
    maxConnectionsPerUser: env.MAX_CONNECTIONS_PER_USER,
    membershipRecheckSeconds: env.MEMBERSHIP_RECHECK_SECONDS,
    migrateOnStart: env.MIGRATE_ON_START,
    graphiql: env.GRAPHIQL,
    introspection: env.INTROSPECTION,
    csrfPrevention: env.CSRF_PREVENTION,
    maxBodyBytes: env.MAX_BODY_BYTES,
    maxQueryDepth: env.MAX_QUERY_DEPTH,
    maxQueryAliases: env.MAX_QUERY_ALIASES,
    maxQueryCost: env.MAX_QUERY_COST,
    maxQueryTokens: env.MAX_QUERY_TOKENS,
    maxQueryOperations: env.MAX_QUERY_OPERATIONS,
    rateLimitUserRequestsPerMinute: env.RATE_LIMIT_USER_REQUESTS_PER_MINUTE,
    rateLimitUserChangesPerMinute: env.RATE_LIMIT_USER_CHANGES_PER_MINUTE,
    rateLimitWorkspaceChangesPerMinute: env.RATE_LIMIT_WORKSPACE_CHANGES_PER_MINUTE,
    rateLimitAnonymousRequestsPerMinute: env.RATE_LIMIT_ANONYMOUS_REQUESTS_PER_MINUTE,
    logLevel: env.LOG_LEVEL,
  };
}

/** Environment variable names the server accepts; the deployment files must use only these. */
export const configVariableNames = Object.keys(environmentSchema.shape);
