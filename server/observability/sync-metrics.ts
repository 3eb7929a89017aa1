import type { DocumentNode, FieldNode, OperationDefinitionNode, SelectionSetNode } from 'graphql';
import { getOperationAST, Kind } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { PrismaClient } from '../db/generated/prisma/client.ts';
import { ConvergeError, ErrorCode } from '../errors.ts';
import { jsonPulledEntities } from '../schema/changes-since-json.ts';
import type { ChangeStatus, PushResult } from '../sync/types.ts';
import type { Logger } from './logger.ts';
import type { ChangeStatusLabel, Metrics, PoolStats } from './metrics.ts';
import { perDocument } from './per-document.ts';

/** What the push log line and metrics need; never the changes themselves. */
export interface PushObservation {
  requestId: string;
  userId: string | null;
  workspaceId: string;
  clientId: string;
  /** How many changes the batch carried. */
  changes: number;
  durationMs: number;
}

interface Observers {
  logger: Logger;
  metrics?: Metrics | undefined;
}

const statusLabels: Record<ChangeStatus, ChangeStatusLabel> = {
  APPLIED: 'applied',
  MERGED: 'merged',
  CONFLICT: 'conflict',
  REJECTED: 'rejected',
  DUPLICATE: 'duplicate',
};

/**
 * Records a committed push: latency, changes by status, conflicts opened, and one info line
 * with ids, counts and timing. Payloads stay out of the log: they are user data.
 */
export function observePush(
  observers: Observers,
  observation: PushObservation,
  result: Pick<PushResult, 'results' | 'seq' | 'openedConflicts'>,
): void {
  const statuses: Partial<Record<ChangeStatusLabel, number>> = {};
  for (const { status } of result.results) {
    const label = statusLabels[status];
    statuses[label] = (statuses[label] ?? 0) + 1;
  }
  const sync = observers.metrics?.sync;
  if (sync) {
    sync.pushDuration.observe({ outcome: 'ok' }, observation.durationMs / 1000);
    for (const [status, count] of Object.entries(statuses)) sync.changes.inc({ status }, count);
    if (result.openedConflicts.length > 0) sync.conflictsOpened.inc(result.openedConflicts.length);
  }
  if (!observers.logger.isLevelEnabled('info')) return;
  observers.logger.info(
    {
      ...observation,
      durationMs: roundMs(observation.durationMs),
      statuses,
      conflictsOpened: result.openedConflicts.length,
      seq: result.seq,
    },
    'push',
  );
}

/**
 * Records a push refused as a whole (FORBIDDEN, BATCH_TOO_LARGE, ...) or failed. Unexpected
 * errors are logged in full by the error masker; this line only ties the code to the push.
 */
export function observePushFailure(
  observers: Observers,
  observation: PushObservation,
  error: unknown,
): void {
  observers.metrics?.sync.pushDuration.observe({ outcome: 'error' }, observation.durationMs / 1000);
  const code = error instanceof ConvergeError ? error.code : ErrorCode.INTERNAL_SERVER_ERROR;
  observers.logger.info(
    { ...observation, durationMs: roundMs(observation.durationMs), code },
    'push refused',
  );
}

const roundMs = (ms: number): number => Math.round(ms * 100) / 100;

/**
 * Counts the entities changesSince returned, read from the execution result: the sync engine
 * stays free of metrics, and only entities a client actually received are counted.
 */
export function useSyncMetrics(metrics: Metrics): Plugin {
  return {
    onExecute({ args }) {
      const pulls = changesSinceKeys(args.document, args.operationName);
      if (pulls.length === 0) return;
      return {
        onExecuteDone({ result }) {
          if (isAsyncIterable(result)) return;
          const entities = jsonPulledEntities(result) ?? countPulledEntities(result.data, pulls);
          if (entities > 0) metrics.sync.pullEntities.inc(entities);
        },
      };
    },
  };
}

interface PullKeys {
  /** Response key of a changesSince root field (its alias or name). */
  field: string;
  /** Response keys of its `entities` selections. */
  entities: string[];
}

const changesSinceKeys = perDocument(readChangesSinceKeys);

function readChangesSinceKeys(
  document: DocumentNode,
  operationName: string | null | undefined,
): PullKeys[] {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'query') return [];
  return rootFields(operation)
    .filter((field) => field.name.value === 'changesSince')
    .map((field) => ({
      field: responseKey(field),
      entities: fieldsOf(field.selectionSet)
        .filter((child) => child.name.value === 'entities')
        .map(responseKey),
    }));
}

// Fragments at the root of a sync query are rare; fields spread from them are not counted.
function rootFields(operation: OperationDefinitionNode): FieldNode[] {
  return fieldsOf(operation.selectionSet);
}

function fieldsOf(selectionSet: SelectionSetNode | undefined): FieldNode[] {
  return (selectionSet?.selections ?? []).filter(
    (selection): selection is FieldNode => selection.kind === Kind.FIELD,
  );
}

const responseKey = (field: FieldNode): string => field.alias?.value ?? field.name.value;

function countPulledEntities(data: unknown, pulls: PullKeys[]): number {
  if (typeof data !== 'object' || data === null) return 0;
  let count = 0;
  for (const pull of pulls) {
    const batch = (data as Record<string, Record<string, unknown> | null>)[pull.field];
    // Two aliases of `entities` carry the same entities: count them once.
    const key = pull.entities.find((entities) => Array.isArray(batch?.[entities]));
    if (batch && key !== undefined) count += (batch[key] as unknown[]).length;
  }
  return count;
}

export interface OpenConflictsOptions {
  /** A scrape within this long of the last count reuses it (ms, default 10 000). */
  cacheMs?: number;
  now?: () => number;
}

/**
 * Serves the open-conflicts gauge from a COUNT query, at most once per `cacheMs`: the figure
 * is global (every instance reports the same), survives restarts, and includes conflicts
 * resolved on other instances, which a tracked counter would miss.
 */
export function watchOpenConflicts(
  metrics: Metrics,
  prisma: PrismaClient,
  options: OpenConflictsOptions = {},
): void {
  const cacheMs = options.cacheMs ?? 10_000;
  const now = options.now ?? Date.now;
  let cached: { at: number; count: Promise<number> } | null = null;
  metrics.sources.openConflicts = () => {
    if (!cached || now() - cached.at >= cacheMs) {
      const count = prisma.conflict.count({ where: { status: 'OPEN' } });
      cached = { at: now(), count };
      // A failed count is retried on the next scrape rather than cached.
      count.catch(() => {
        cached = null;
      });
    }
    return cached.count;
  };
}

/** Reports `count()` as the open connections of `transport` (e.g. 'websocket', 'http'). */
export function watchConnections(
  metrics: Metrics,
  transport: string,
  count: () => number | Promise<number>,
): void {
  metrics.sources.connections.set(transport, count);
}

/** Reports database pool use; `stats` returns null where there is no pool (PGlite). */
export function watchDatabasePool(metrics: Metrics, stats: () => PoolStats | null): void {
  metrics.sources.databasePool = stats;
}
