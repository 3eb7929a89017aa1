import { cloneJson, type EntityDescription, type FieldDescription } from '../../model/index.ts';
import type { SetStates, Stamp } from '../../model/merge/index.ts';
import type { Prisma } from '../db/generated/prisma/client.ts';
import type { EntityType, SyncEntity } from './types.ts';

/**
 * What the engine derives from an entity of the model for storing and merging rows: the fields
 * sync writes, the per-field merge state kept in `fieldMeta`, and the conversion of field
 * values to and from the JSON of the change log and conflicts.
 */

/** Fields a change may write: every field but the @owner one, which only a create sets. */
export function writableFields(entity: EntityDescription): readonly FieldDescription[] {
  return entity.fields.filter((field) => !field.owner);
}

/**
 * What a create writes to a field the patch leaves out: its @default (or null, [] or 0), as a
 * fresh value (the description is frozen) and with DateTime defaults as Dates.
 */
export function defaultValueOf(field: FieldDescription): unknown {
  const value = field.defaultValue;
  if (field.scalar === 'DateTime' && typeof value === 'string') return new Date(value);
  return cloneJson(value);
}

/** Per-field write metadata kept in each row's `fieldMeta` column. */
export interface FieldWrite extends Stamp {
  /** Entity version that last wrote the field: a change is concurrent when this is > its baseVersion. */
  version: number;
}

export interface FieldMeta {
  fields: Record<string, FieldWrite>;
  /** Per @set field, the add/remove state of each item, so set operations commute. */
  sets?: Record<string, SetStates>;
}

/**
 * The row's merge state. Rows written by the release before per-field set state kept the one
 * set of the default model (Task.tags) under `fieldMeta.tags`: that is read as the state of
 * the set field `tags`, and written back under `sets` by the next change.
 */
export function readFieldMeta(row: SyncEntity): FieldMeta {
  const raw = row.fieldMeta as unknown;
  if (!raw || typeof raw !== 'object' || !('fields' in raw)) return { fields: {} };
  const { tags: legacySet, ...stored } = cloneJson(raw) as FieldMeta & { tags?: SetStates };
  if (legacySet && !stored.sets?.tags) stored.sets = { ...stored.sets, tags: legacySet };
  return stored;
}

export function entityKey(type: EntityType, id: string): string {
  return `${type}:${id}`;
}

/** Values as they go into JSON columns (change log, conflicts): dates as ISO strings. */
export function toJsonValue(value: unknown): Prisma.InputJsonValue | null {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => toJsonValue(item)) as Prisma.InputJsonValue;
  return value as Prisma.InputJsonValue;
}

/** The reverse of toJsonValue for a field: DateTime values come back as Dates. */
export function fromJsonValue(field: FieldDescription | undefined, value: unknown): unknown {
  if (field?.scalar === 'DateTime' && typeof value === 'string') return new Date(value);
  return value;
}
