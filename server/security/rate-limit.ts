import type { IncomingMessage } from 'node:http';
import {
  type DocumentNode,
  getOperationAST,
  Kind,
  type SelectionSetNode,
  valueFromASTUntyped,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { roleAllows } from '../auth/roles.ts';
import { ErrorCode } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Context } from '../schema/context.ts';
import { errorWithHttp } from './responses.ts';
import type { BucketStore, BucketTake } from './token-bucket.ts';

export interface RateLimits {
  /** Operations per user per minute (HTTP requests, WebSocket operations, subscriptions). */
  userRequestsPerMinute: number;
  /** Changes pushed per user per minute. */
  userChangesPerMinute: number;
  /** Changes pushed into one workspace per minute, by all its members together. */
  workspaceChangesPerMinute: number;
  /** HTTP requests without a token per client address per minute. */
  anonymousRequestsPerMinute: number;
}

export interface RateLimitOptions {
  store: BucketStore;
  limits: RateLimits;
  logger?: Logger;
}

const windowMs = 60_000;

/** What one operation asks of the buckets. */
interface Demand {
  userId: string;
  /** Changes per workspace id, from every pushChanges field of the operation. */
  changesByWorkspace: Map<string, number>;
}

/**
 * Token-bucket rate limits and push quotas. A user's are checked when an operation is about
 * to execute (after validation, so a malformed request costs nothing but also gets no free
 * pass through execution). A request without a token is counted by client address before its
 * document is parsed: parsing and validating are all it can cost, and it could cost them
 * with no account at all. (Behind a proxy the address is the proxy's.) A refusal is
 * RATE_LIMITED with `extensions.retryAfterMs` and, over HTTP, status 429 and a
 * Retry-After header.
 */
export function useRateLimits(options: RateLimitOptions): Plugin<Context> {
  const { store, limits } = options;
  const mayPush = pushPermissionCache(options.logger);

  async function check(
    context: Context,
    document: DocumentNode,
    operationName: string | null | undefined,
    variables: Record<string, unknown> | null | undefined,
  ) {
    const userId = context.user?.userId;
    if (!userId) return null;
    const demand: Demand = {
      userId,
      changesByWorkspace: pushedChanges(document, operationName, variables ?? {}),
    };
    const takes = await bucketTakes(context, demand, limits, mayPush);
    const result = await store.take(takes);
    return result.allowed ? null : rateLimited(result.retryAfterMs);
  }

  return {
    async onParams({ request, context, setResult }) {
      const capacity = limits.anonymousRequestsPerMinute;
      // A request with a token, even one that fails verification later, is not anonymous.
      if (capacity === 0 || request.headers.get('authorization')?.trim()) return;
      const key = `address:${clientAddress(context) ?? 'unknown'}:requests`;
      const result = await store.take([{ key, capacity, windowMs, cost: 1 }]);
      if (!result.allowed) setResult({ errors: [rateLimited(result.retryAfterMs)] });
    },
    async onExecute({ args, setResultAndStopExecution }) {
      const error = await check(
        args.contextValue,
        args.document,
        args.operationName,
        args.variableValues,
      );
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const error = await check(
        args.contextValue,
        args.document,
        args.operationName,
        args.variableValues,
      );
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    async onDispose() {
      await store.close();
    },
  };
}

/** The TCP peer of an HTTP request, from the Node server context Yoga is given. */
function clientAddress(serverContext: unknown): string | undefined {
  const { req } = serverContext as { req?: IncomingMessage };
  return req?.socket?.remoteAddress;
}

type MayPush = (context: Context, userId: string, workspaceId: string) => Promise<boolean>;

async function bucketTakes(
  context: Context,
  demand: Demand,
  limits: RateLimits,
  mayPush: MayPush,
): Promise<BucketTake[]> {
  const takes: BucketTake[] = [];
  const bucket = (key: string, capacity: number, cost: number) => {
    if (capacity > 0 && cost > 0) takes.push({ key, capacity, windowMs, cost });
  };
  bucket(`user:${demand.userId}:requests`, limits.userRequestsPerMinute, 1);
  let changes = 0;
  for (const count of demand.changesByWorkspace.values()) changes += count;
  bucket(`user:${demand.userId}:changes`, limits.userChangesPerMinute, changes);
  if (limits.workspaceChangesPerMinute > 0) {
    for (const [workspaceId, count] of demand.changesByWorkspace) {
      // Only members who may push spend a workspace's quota: anyone else could otherwise
      // exhaust another team's quota with pushes that are refused anyway.
      if (await mayPush(context, demand.userId, workspaceId))
        bucket(`workspace:${workspaceId}:changes`, limits.workspaceChangesPerMinute, count);
    }
  }
  return takes;
}

/** How long the limiter trusts a membership it read, and how many it keeps. */
const permissionTtlMs = 5_000;
const permissionCacheSize = 10_000;

/**
 * Whether a user may push into a workspace, as far as quotas are concerned: remembered for a
 * few seconds, so a steady stream of pushes costs no membership query before the push's own
 * (which reads the membership exactly, under the workspace lock). A quota charged or spared
 * for a few seconds after a membership change is harmless; an authorisation would not be.
 */
function pushPermissionCache(logger: Logger | undefined): MayPush {
  const known = new Map<string, { allowed: boolean; until: number }>();
  return async (context, userId, workspaceId) => {
    const key = `${workspaceId}\u0000${userId}`;
    const now = Date.now();
    const cached = known.get(key);
    if (cached && cached.until > now) return cached.allowed;
    try {
      const member = await context.services.prisma.member.findUnique({
        where: { workspaceId_userId: { workspaceId, userId } },
        select: { role: true },
      });
      const allowed = member !== null && roleAllows(member.role, 'push');
      if (known.size >= permissionCacheSize) known.clear();
      known.set(key, { allowed, until: now + permissionTtlMs });
      return allowed;
    } catch (error) {
      // The resolver reads the membership too and reports a database problem properly.
      logger?.debug({ err: error }, 'rate limiter could not read a membership');
      return false;
    }
  };
}

/**
 * Changes per workspace of the operation's pushChanges fields, read from the document and the
 * raw variables. Shapes that do not coerce are counted as far as they go; validation and
 * the resolver report what is wrong with them.
 */
export function pushedChanges(
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown>,
): Map<string, number> {
  const changes = new Map<string, number>();
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'mutation') return changes;
  const fragments = new Map(
    document.definitions.flatMap((definition) =>
      definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition]] : [],
    ),
  );
  const seen = new Set<string>();
  const visit = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !seen.has(fragment.name.value)) {
          seen.add(fragment.name.value);
          visit(fragment.selectionSet);
        }
      } else if (selection.name.value === 'pushChanges') {
        const argument = selection.arguments?.find((arg) => arg.name.value === 'input');
        const input = argument ? valueFromASTUntyped(argument.value, variables) : null;
        countInput(input, changes);
      }
    }
  };
  visit(operation.selectionSet);
  return changes;
}

function countInput(input: unknown, changes: Map<string, number>): void {
  if (typeof input !== 'object' || input === null) return;
  const { workspaceId, changes: list } = input as { workspaceId?: unknown; changes?: unknown };
  if (typeof workspaceId !== 'string') return;
  // A single value where a list is expected is coerced to a list of one by GraphQL.
  const count = Array.isArray(list) ? list.length : list == null ? 0 : 1;
  changes.set(workspaceId, (changes.get(workspaceId) ?? 0) + count);
}

function rateLimited(retryAfterMs: number) {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return errorWithHttp(
    ErrorCode.RATE_LIMITED,
    `Too many requests: retry in ${seconds} s`,
    { status: 429, headers: { 'Retry-After': String(seconds) } },
    { retryAfterMs },
  );
}
