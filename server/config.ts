import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * The environment, parsed once (DESIGN.md section 2). Names are normative. A bad value
 * stops start-up with a message naming the variable, rather than failing later.
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
  MAX_BATCH: z.coerce.number().int().min(1).max(10_000).default(500),
  MIGRATE_ON_START: booleanFromEnv.default(true),
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
  maxBatch: number;
  migrateOnStart: boolean;
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
    maxBatch: env.MAX_BATCH,
    migrateOnStart: env.MIGRATE_ON_START,
    logLevel: env.LOG_LEVEL,
  };
}

/** Environment variable names the server accepts; the deployment files must use only these. */
export const configVariableNames = Object.keys(environmentSchema.shape);
