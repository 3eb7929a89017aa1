import type { PrismaClient } from '../db/generated/prisma/client.ts';
import type { SqlQueryable } from '../db/sql.ts';
import { badUserInput } from '../errors.ts';
import { type PageWindow, selectEntities, selectPage } from './bulk-sql.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { entityTypes } from './model.ts';
import type { Actor, EntityType, SyncEntity } from './types.ts';
import { validateEntityId } from './validation.ts';
import { requireAccess, requireAccessWithSeq } from './workspaces.ts';

export const MAX_PULL_LIMIT = 1000;

export interface ChangesSinceRequest {
  workspaceId: string;
  cursor: string | null | undefined;
  limit: number;
  types: readonly EntityType[] | null | undefined;
}

export interface ChangeBatch {
  entities: SyncEntity[];
  cursor: string;
  hasMore: boolean;
}

/**
 * changesSince (docs/protocol.md, Pulling changes: changesSince): the latest state of every entity
 * whose seq is after the cursor, in seq order.
 *
 * Why pages never skip a change: the workspace counter is read first, and only rows with
 * seq <= that watermark are returned. The counter is committed in the same transaction as
 * the rows it numbers and writers commit in seq order (workspace lock), so every change up
 * to the watermark is already visible to the queries that follow, whatever their snapshot.
 * A change committing meanwhile has a higher seq and is picked up by the next call.
 */
export async function changesSince(
  sql: SqlQueryable,
  actor: Actor,
  request: ChangesSinceRequest,
): Promise<ChangeBatch> {
  const plan = await planPage(sql, actor, request);
  if (plan.empty) return { entities: [], cursor: plan.cursor, hasMore: false };
  const pages = await Promise.all(plan.types.map((type) => selectPage(sql, type, plan.window)));
  const ordered = pages.flat().sort((a, b) => a.seq - b.seq);
  const hasMore = ordered.length > request.limit;
  const entities = ordered.slice(0, request.limit);
  return { entities, cursor: pageCursor(plan.window, hasMore, entities.at(-1)?.seq), hasMore };
}

/** What a changesSince page reads: nothing (`empty`, with the cursor to answer), or a window. */
export type PagePlan =
  | { empty: true; cursor: string }
  | { empty: false; types: readonly EntityType[]; window: PageWindow };

/**
 * Everything changesSince decides before reading rows: the limit, the cursor, access, the
 * watermark and the types. Shared by every way of reading the page (server/sync/page-json.ts).
 * Access and watermark are one statement on the driver: a page of a pull costs two
 * statements in all (measured, issue 15: each Prisma query cost about 1 ms of CPU here).
 */
export async function planPage(
  sql: SqlQueryable,
  actor: Actor,
  request: ChangesSinceRequest,
): Promise<PagePlan> {
  if (!Number.isInteger(request.limit) || request.limit < 1 || request.limit > MAX_PULL_LIMIT) {
    throw badUserInput(`limit must be between 1 and ${MAX_PULL_LIMIT}`, { field: 'limit' });
  }
  const after = decodeCursor(request.cursor);
  const { seq: watermark } = await requireAccessWithSeq(sql, actor, request.workspaceId, 'read');
  if (after >= watermark) return { empty: true, cursor: encodeCursor(Math.max(after, watermark)) };
  const types =
    request.types && request.types.length > 0 ? [...new Set(request.types)] : entityTypes;
  return {
    empty: false,
    types,
    window: { workspaceId: request.workspaceId, after, watermark, take: request.limit + 1 },
  };
}

/** A full page continues after its last entity; a final page has seen everything up to the watermark. */
export function pageCursor(window: PageWindow, hasMore: boolean, lastSeq: number | undefined) {
  return encodeCursor(hasMore && lastSeq !== undefined ? lastSeq : window.watermark);
}

/**
 * One entity by id, tombstones included. Unknown ids answer null; an entity of a workspace
 * the caller does not belong to is FORBIDDEN, as for any other request into that workspace.
 */
export async function getEntity(
  prisma: PrismaClient,
  actor: Actor,
  type: EntityType,
  id: string,
): Promise<SyncEntity | null> {
  if (validateEntityId(id)) return null;
  const [entity] = await selectEntities(prisma, type, [id]);
  if (!entity) return null;
  await requireAccess(prisma, actor, entity.workspaceId, 'read');
  return entity;
}
