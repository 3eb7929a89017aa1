/**
 * The model's entities as the client handles them, all read from the generated model module
 * (client/generated/model.ts): typenames, ChangeInput keys, create defaults and the local
 * effect of a patch (model/effects.ts, one implementation per merge strategy).
 */

import {
  applyLocalPatch,
  createValuesAsPatch,
  fieldsNotCreatable,
  fieldsNotPatchable,
  fieldsReadByPatch,
  optimisticCreateValues,
} from '../model/effects.ts';
import {
  type ClientEntityDescription,
  clientModel,
  type EntityKind,
  type Patch,
  type SyncEntity,
  type Typename,
} from './generated/model.ts';

export type * from './generated/model.ts';

export interface EntityApi<Create, Patch, Entity> {
  /** Creates the entity locally at once and returns its new id (UUIDv7). */
  create(fields: Create): string;
  /** Applies the patch locally at once; sent with the next batch. */
  update(id: string, patch: Patch): void;
  /** Deletes locally at once (a tombstone leaves every list); sent with the next batch. */
  delete(id: string): void;
  /** The entity as the cache has it now, local edits included; null when unknown. */
  get(id: string): Entity | null;
}

const byTypename = new Map<string, ClientEntityDescription>(
  clientModel.entities.map((entity) => [entity.name, entity]),
);
const byKind = new Map<string, ClientEntityDescription>(
  clientModel.entities.map((entity) => [entity.changeInputKey, entity]),
);

export const typenameOf = Object.fromEntries(
  clientModel.entities.map((entity) => [entity.changeInputKey, entity.name]),
) as Readonly<Record<EntityKind, Typename>>;

export const kindOf = Object.fromEntries(
  clientModel.entities.map((entity) => [entity.name, entity.changeInputKey]),
) as Readonly<Record<Typename, EntityKind>>;

/** The entity description of a typename or ChangeInput key; undefined for anything else. */
export const entityOfTypename = (typename: string): ClientEntityDescription | undefined =>
  byTypename.get(typename);
export const entityOfKind = (kind: string): ClientEntityDescription | undefined => byKind.get(kind);

export const entityKey = (typename: string, id: string): string => `${typename}:${id}`;

export function isSyncEntity(value: unknown): value is SyncEntity {
  const candidate = value as Partial<SyncEntity> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.__typename === 'string' &&
    byTypename.has(candidate.__typename) &&
    typeof candidate.id === 'string' &&
    typeof candidate.version === 'number'
  );
}

/**
 * A create's fields as the patch the server takes (`tags` -> `tagsAdd`, `timeSpentMinutes` ->
 * `timeSpentDelta`). Throws a TypeError naming any field a create does not take, before it can
 * reach the server and fail a whole batch there.
 */
export function createPatch(kind: EntityKind, fields: object): Patch {
  const entity = describedKind(kind);
  const values = fields as Record<string, unknown>;
  const refused = fieldsNotCreatable(entity, values);
  if (refused.length > 0) {
    throw new TypeError(
      `${entity.plural}.create: ${entity.name} has no field ${names(refused)} to create with`,
    );
  }
  return createValuesAsPatch(entity, values) as Patch;
}

/** An update's patch, checked like a create's: only the entity's patch fields. */
export function checkedPatch(kind: EntityKind, patch: object): Patch {
  const entity = describedKind(kind);
  const refused = fieldsNotPatchable(entity, patch as Record<string, unknown>);
  if (refused.length > 0) {
    throw new TypeError(
      `${entity.plural}.update: ${entity.patchInput} has no field ${names(refused)}`,
    );
  }
  return patch as Patch;
}

export interface LocalAuthor {
  userId: string | null;
  workspaceId: string;
  now: string;
}

/** The entity a create will produce, as far as the client can tell before the server answers. */
export function optimisticCreate(
  typename: Typename,
  id: string,
  patch: Record<string, unknown>,
  author: LocalAuthor,
): Record<string, unknown> {
  return {
    __typename: typename,
    id,
    workspaceId: author.workspaceId,
    version: 0,
    updatedAt: author.now,
    updatedBy: author.userId,
    deleted: false,
    ...optimisticCreateValues(describedTypename(typename), patch, author.userId ?? ''),
  };
}

/** A patch applied to field values the way the server applies it without concurrent writes. */
export function applyPatch(
  typename: Typename,
  current: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  return applyLocalPatch(describedTypename(typename), current, patch);
}

/** Fields of the current entity a patch reads (sets and counters build on current values). */
export function fieldsReadBy(typename: Typename, patch: Record<string, unknown>): string[] {
  return fieldsReadByPatch(describedTypename(typename), patch);
}

function describedTypename(typename: string): ClientEntityDescription {
  const entity = byTypename.get(typename);
  if (!entity) throw new TypeError(`${typename} is not an entity type of the model`);
  return entity;
}

function describedKind(kind: string): ClientEntityDescription {
  const entity = byKind.get(kind);
  if (!entity) throw new TypeError(`${kind} is not a ChangeInput key of the model`);
  return entity;
}

const names = (fields: readonly string[]): string => fields.map((f) => `'${f}'`).join(', ');
