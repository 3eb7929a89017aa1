import { isValidUserId } from '../auth/jwt.ts';
import type { Tx } from '../db/client.ts';
import type { EntityType, Role } from '../db/generated/prisma/client.ts';
import { type ChangeErrorCode, ErrorCode } from '../errors.ts';
import type { Actor, SyncEntity } from './types.ts';
import { validateEntityId } from './validation.ts';
import type { WorkspaceWriter } from './workspace-writer.ts';

/**
 * The rules a change obeys beyond its own fields: references stay inside the workspace and
 * name live entities or members, and comments belong to their author. pushChanges and
 * resolveConflict both apply them, so a resolution cannot write what a push could not.
 */

export interface ChangeProblem {
  code: ChangeErrorCode;
  message: string;
  field: string | null;
}

/** What a batch of patches refers to, gathered so that it loads in a few queries. */
export interface References {
  ids: Record<EntityType, Set<string>>;
  userIds: Set<string>;
}

export const emptyReferences = (): References => ({
  ids: { PROJECT: new Set(), TASK: new Set(), COMMENT: new Set() },
  userIds: new Set(),
});

/**
 * Adds what `patch` refers to. Only well-formed ids are collected: PostgreSQL refuses NUL
 * bytes and unpaired surrogates (22021), which would fail the whole transaction instead of
 * refusing one change; a malformed id is refused by validation anyway.
 */
export function collectReferences(patch: Record<string, unknown>, into: References): void {
  if (isEntityId(patch.projectId)) into.ids.PROJECT.add(patch.projectId);
  if (isEntityId(patch.taskId)) into.ids.TASK.add(patch.taskId);
  if (isValidUserId(patch.assigneeId)) into.userIds.add(patch.assigneeId);
}

/** Loads the referenced entities into the writer and returns which user ids are members. */
export async function loadReferences(
  tx: Tx,
  writer: WorkspaceWriter,
  references: References,
): Promise<Set<string>> {
  for (const type of ['PROJECT', 'TASK', 'COMMENT'] as const)
    await writer.load(type, references.ids[type]);
  if (references.userIds.size === 0) return new Set();
  const members = await tx.member.findMany({
    where: { workspaceId: writer.workspaceId, userId: { in: [...references.userIds] } },
    select: { userId: true },
  });
  return new Set(members.map((member) => member.userId));
}

/** The first reference of `patch` that names nothing live in the writer's workspace. */
export function referenceProblem(
  writer: WorkspaceWriter,
  memberIds: ReadonlySet<string>,
  patch: Record<string, unknown>,
): ChangeProblem | null {
  if (typeof patch.projectId === 'string' && !isLiveEntity(writer, 'PROJECT', patch.projectId)) {
    return invalidReference('projectId', 'projectId names no project of this workspace');
  }
  if (typeof patch.taskId === 'string' && !isLiveEntity(writer, 'TASK', patch.taskId)) {
    return invalidReference('taskId', 'taskId names no task of this workspace');
  }
  if (typeof patch.assigneeId === 'string' && !memberIds.has(patch.assigneeId)) {
    return invalidReference('assigneeId', 'assigneeId names no member of this workspace');
  }
  return null;
}

export const notTheAuthor: ChangeProblem = {
  code: ErrorCode.FORBIDDEN,
  message: 'Only the author or an ADMIN may change a comment',
  field: null,
};

/** Comments belong to their author: other editors may read them but not rewrite them. */
export function mayModify(role: Role, actor: Actor, type: EntityType, entity: SyncEntity): boolean {
  if (type !== 'COMMENT' || role === 'ADMIN') return true;
  return 'authorId' in entity && entity.authorId === actor.userId;
}

const isEntityId = (value: unknown): value is string =>
  typeof value === 'string' && validateEntityId(value) === null;

function isLiveEntity(writer: WorkspaceWriter, type: EntityType, id: string): boolean {
  const entity = writer.get(type, id);
  return !!entity && entity.workspaceId === writer.workspaceId && !entity.deleted;
}

function invalidReference(field: string, message: string): ChangeProblem {
  return { code: ErrorCode.INVALID_REFERENCE, message, field };
}
