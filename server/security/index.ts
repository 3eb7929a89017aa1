import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import type { Context } from '../schema/context.ts';
import { useBodyLimit } from './body-limit.ts';
import { useCsrfPrevention } from './csrf.ts';
import { useIntrospectionControl } from './introspection.ts';
import { useParseLimits } from './parse-limits.ts';
import { useQueryLimits } from './query-limits.ts';
import { useRateLimits } from './rate-limit.ts';
import {
  type BucketStore,
  createMemoryBucketStore,
  createRedisBucketStore,
} from './token-bucket.ts';

export { boundedParserCache } from './document-cache.ts';
export { isTransientDatabaseError, withServiceUnavailable } from './unavailable.ts';

export interface SecurityOptions {
  /** Token buckets; by default in Redis when REDIS_URL is set, else in memory. */
  bucketStore?: BucketStore;
}

/**
 * The hardening plugins, configured from the environment (README "Limits"). Order matters
 * only among the request-level ones: the body limit runs before anything reads the body.
 * The rate limiter's Redis connection closes with Yoga (`onDispose`).
 */
export function useSecurity(
  config: Config,
  logger: Logger,
  options: SecurityOptions = {},
): Plugin<Context>[] {
  const store =
    options.bucketStore ??
    (config.redisUrl
      ? createRedisBucketStore({ redisUrl: config.redisUrl, logger })
      : createMemoryBucketStore());
  return [
    useBodyLimit({ maxBytes: config.maxBodyBytes }),
    useCsrfPrevention({ enabled: config.csrfPrevention }),
    useParseLimits({
      maxTokens: config.maxQueryTokens,
      maxOperations: config.maxQueryOperations,
      // Literal values and list types nest inside fields; the cap keeps the parser's
      // recursion well inside Node's stack whatever MAX_QUERY_DEPTH says.
      maxNesting: Math.min(2 * config.maxQueryDepth, 1_000),
    }),
    useQueryLimits({
      maxDepth: config.maxQueryDepth,
      maxAliases: config.maxQueryAliases,
      maxCost: config.maxQueryCost,
    }),
    useIntrospectionControl({ enabled: config.introspection }),
    useRateLimits({
      store,
      logger,
      limits: {
        userRequestsPerMinute: config.rateLimitUserRequestsPerMinute,
        userChangesPerMinute: config.rateLimitUserChangesPerMinute,
        workspaceChangesPerMinute: config.rateLimitWorkspaceChangesPerMinute,
        anonymousRequestsPerMinute: config.rateLimitAnonymousRequestsPerMinute,
      },
    }),
  ] as Plugin<Context>[];
}
