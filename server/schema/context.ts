import type { AuthUser } from '../auth/jwt.ts';
import type { Config } from '../config.ts';
import type { PrismaClient } from '../db/generated/prisma/client.ts';
import type { SqlClient } from '../db/sql.ts';
import { unauthenticated } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { SyncPubSub } from '../pubsub.ts';
import type { Actor } from '../sync/types.ts';

/** Long-lived services shared by every request. */
export interface Services {
  prisma: PrismaClient;
  /** The same database through its driver: the sync engine's hot path (server/db/sql.ts). */
  sql: SqlClient;
  config: Config;
  logger: Logger;
  pubsub: SyncPubSub;
  /** Prometheus metrics; absent where nothing scrapes them (engine tests). */
  metrics?: Metrics;
}

export interface Context {
  services: Services;
  /** Null for anonymous requests; a bad token never gets this far (UNAUTHENTICATED). */
  user: AuthUser | null;
  requestId: string;
}

export function requireUser(context: Context): Actor {
  if (!context.user) throw unauthenticated();
  return context.user;
}
