import type { EntityDescription } from '../../model/index.ts';
import { isValidUserId } from '../auth/jwt.ts';
import type { Role } from '../db/generated/prisma/client.ts';
import type { SqlQueryable } from '../db/sql.ts';
import { type ChangeErrorCode, ErrorCode } from '../errors.ts';
import { selectMemberIds } from './bulk-sql.ts';
import { entityOfName, entityTypes } from './model.ts';
import type { Actor, EntityType, SyncEntity } from './types.ts';
import { validateEntityId, wordsOf } from './validation.ts';
import type { WorkspaceWriter } from './workspace-writer.ts';

/**
 * The rules a change obeys beyond its own fields, from the model: @ref fields name live
 * entities of the workspace, @member fields name members, and an entity with an @owner field
 * belongs to its owner. pushChanges and resolveConflict both apply them, so a resolution cannot
 * write what a push could not.
 */

export interface ChangeProblem {
  code: ChangeErrorCode;
  message: string;
  field: string | null;
}

/** What a batch of patches refers to, gathered so that it loads in a few queries. */
export interface References {
  /** Ids by entity type. */
  ids: Record<EntityType, Set<string>>;
  userIds: Set<string>;
}

export const emptyReferences = (): References => ({
  ids: Object.fromEntries(entityTypes.map((type) => [type, new Set<string>()])),
  userIds: new Set(),
});

/**
 * Adds what a patch of `entity` refers to. Only well-formed ids are collected: PostgreSQL
 * refuses NUL bytes and unpaired surrogates (22021), which would fail the whole transaction
 * instead of refusing one change; a malformed id is refused by validation anyway.
 */
export function collectReferences(
  entity: EntityDescription,
  patch: Record<string, unknown>,
  into: References,
): void {
  for (const field of entity.fields) {
    const value = patch[field.name];
    if (field.ref && isEntityId(value)) into.ids[entityOfName(field.ref).entityType]?.add(value);
    if (field.member && isValidUserId(value)) into.userIds.add(value);
  }
}

/** Loads the referenced entities into the writer and returns which user ids are members. */
export async function loadReferences(
  tx: SqlQueryable,
  writer: WorkspaceWriter,
  references: References,
): Promise<Set<string>> {
  for (const type of entityTypes) await writer.load(type, references.ids[type] ?? []);
  return selectMemberIds(tx, writer.workspaceId, [...references.userIds]);
}

/** The first reference of a patch of `entity` that names nothing live in the writer's workspace. */
export function referenceProblem(
  writer: WorkspaceWriter,
  memberIds: ReadonlySet<string>,
  entity: EntityDescription,
  patch: Record<string, unknown>,
): ChangeProblem | null {
  for (const field of entity.fields) {
    const value = patch[field.name];
    if (typeof value !== 'string') continue;
    if (field.ref) {
      const target = entityOfName(field.ref);
      if (!isLiveEntity(writer, target.entityType, value)) {
        return invalidReference(
          field.name,
          `${field.name} names no ${wordsOf(target.name)} of this workspace`,
        );
      }
    }
    if (field.member && !memberIds.has(value)) {
      return invalidReference(field.name, `${field.name} names no member of this workspace`);
    }
  }
  return null;
}

/**
 * The owner rule: an entity with an @owner field may be changed or deleted only by its owner or
 * an ADMIN; other editors may read it but not rewrite it. Null for entities without an owner
 * and for callers the rule lets through.
 */
export function ownerRuleProblem(
  role: Role,
  actor: Actor,
  entity: EntityDescription,
  row: SyncEntity,
): ChangeProblem | null {
  const ownerField = entity.ownerField;
  if (!ownerField || role === 'ADMIN' || row[ownerField] === actor.userId) return null;
  // `authorId` of a Comment -> "Only the author or an ADMIN may change a comment"; a name
  // that is no noun (`countedById`) -> "Only the user in countedById or an ADMIN ...".
  const words = wordsOf(ownerField.replace(/Id$/, ''));
  const owner = / by$/.test(words) || words === ownerField ? `user in ${ownerField}` : words;
  const noun = wordsOf(entity.name);
  const article = /^[aeiou]/.test(noun) ? 'an' : 'a';
  return {
    code: ErrorCode.FORBIDDEN,
    message: `Only the ${owner} or an ADMIN may change ${article} ${noun}`,
    field: null,
  };
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
