import type { ChangeLog, PrismaClient } from '../db/generated/prisma/client.ts';
import { badUserInput } from '../errors.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import type { Actor, EntityType } from './types.ts';
import { validateEntityId, validateUserId } from './validation.ts';
import { requireAccess } from './workspaces.ts';

export const MAX_AUDIT_PAGE = 500;

export interface AuditLogRequest {
  workspaceId: string;
  entityType?: EntityType | null | undefined;
  entityId?: string | null | undefined;
  actorId?: string | null | undefined;
  first: number;
  /** Continue with changes older than this cursor (an entry's cursor, or a page's). */
  before?: string | null | undefined;
}

export interface AuditEntry {
  cursor: string;
  workspaceId: string;
  entityType: ChangeLog['entityType'];
  entityId: string;
  op: ChangeLog['op'];
  changedFields: string[];
  /** Per changed field, `{ old, new }`, as recorded when the change was applied. */
  changes: unknown;
  version: number;
  actorId: string;
  clientId: string | null;
  mutationId: string | null;
  createdAt: Date;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Where the next page starts (pass as `before`); null when the page is empty. */
  cursor: string | null;
  hasMore: boolean;
}

/**
 * The change log of a workspace, newest first: who changed what, from which client, when
 * (docs/protocol.md, Change log). ADMIN only. Filters narrow it to one entity or one actor. Pages
 * by sequence number, so entries committed while an admin pages appear on no later page
 * and never shift the pages being read.
 */
export async function readAuditLog(
  prisma: PrismaClient,
  actor: Actor,
  request: AuditLogRequest,
): Promise<AuditPage> {
  validateAuditRequest(request);
  const before = request.before ? decodeCursor(request.before) : null;
  await requireAccess(prisma, actor, request.workspaceId, 'readAudit');
  const rows = await prisma.changeLog.findMany({
    where: {
      workspaceId: request.workspaceId,
      ...(before === null ? {} : { seq: { lt: before } }),
      ...(request.entityType ? { entityType: request.entityType as ChangeLog['entityType'] } : {}),
      ...(request.entityId ? { entityId: request.entityId } : {}),
      ...(request.actorId ? { actorId: request.actorId } : {}),
    },
    orderBy: { seq: 'desc' },
    take: request.first + 1,
  });
  const hasMore = rows.length > request.first;
  const entries = rows.slice(0, request.first).map(toAuditEntry);
  return { entries, cursor: entries.at(-1)?.cursor ?? null, hasMore };
}

function validateAuditRequest(request: AuditLogRequest): void {
  if (!Number.isInteger(request.first) || request.first < 1 || request.first > MAX_AUDIT_PAGE) {
    throw badUserInput(`first must be between 1 and ${MAX_AUDIT_PAGE}`, { field: 'first' });
  }
  if (request.entityId && validateEntityId(request.entityId)) {
    throw badUserInput('Invalid entityId', { field: 'entityId' });
  }
  // A user id is checked as a @member field is: PostgreSQL refuses NUL and unpaired surrogates.
  if (request.actorId && validateUserId('actorId', request.actorId)) {
    throw badUserInput('Invalid actorId', { field: 'actorId' });
  }
}

function toAuditEntry(row: ChangeLog): AuditEntry {
  const changes = row.changes;
  const changedFields =
    changes && typeof changes === 'object' && !Array.isArray(changes) ? Object.keys(changes) : [];
  return {
    cursor: encodeCursor(row.seq),
    workspaceId: row.workspaceId,
    entityType: row.entityType,
    entityId: row.entityId,
    op: row.op,
    changedFields,
    changes,
    version: row.version,
    actorId: row.actorId,
    clientId: row.clientId,
    mutationId: row.mutationId,
    createdAt: row.createdAt,
  };
}
