import type { Prisma } from '../db/generated/prisma/client.ts';
import type { Stamp, TagStates } from './merge/index.ts';
import type { EntityType, SyncEntity } from './types.ts';

/**
 * What the engine knows about each synced entity type: its data fields, the defaults a
 * create falls back to, and how patch fields map onto columns. Kept as data so push, pull,
 * conflict resolution and the GraphQL layer agree on one definition.
 */
export interface EntityDescriptor {
  type: EntityType;
  typename: 'Project' | 'Task' | 'Comment';
  /** Columns that sync writes, in a stable order. */
  dataFields: readonly string[];
  /** Fields a create must carry (as patch field names). */
  requiredOnCreate: readonly string[];
  defaults: Readonly<Record<string, unknown>>;
}

export const entityDescriptors: Record<EntityType, EntityDescriptor> = {
  PROJECT: {
    type: 'PROJECT',
    typename: 'Project',
    dataFields: ['name', 'color', 'archived'],
    requiredOnCreate: ['name'],
    defaults: { color: null, archived: false },
  },
  TASK: {
    type: 'TASK',
    typename: 'Task',
    dataFields: [
      'projectId',
      'title',
      'notes',
      'status',
      'priority',
      'tags',
      'assigneeId',
      'dueAt',
      'estimateMinutes',
      'timeSpentMinutes',
      'sortKey',
    ],
    requiredOnCreate: ['title'],
    defaults: {
      projectId: null,
      notes: '',
      status: 'TODO',
      priority: 0,
      tags: [],
      assigneeId: null,
      dueAt: null,
      estimateMinutes: null,
      timeSpentMinutes: 0,
      sortKey: '',
    },
  },
  COMMENT: {
    type: 'COMMENT',
    typename: 'Comment',
    dataFields: ['taskId', 'body'],
    requiredOnCreate: ['taskId', 'body'],
    defaults: {},
  },
};

/** Patch fields that are operations on a column rather than its new value. */
export const patchFieldColumns: Readonly<Record<string, string>> = {
  tagsAdd: 'tags',
  tagsRemove: 'tags',
  timeSpentDelta: 'timeSpentMinutes',
};

export const columnOfPatchField = (field: string): string => patchFieldColumns[field] ?? field;

/** Per-field write metadata kept in each row's `fieldMeta` column. */
export interface FieldWrite extends Stamp {
  /** Entity version that last wrote the field: a change is concurrent when this is > its baseVersion. */
  version: number;
}

export interface FieldMeta {
  fields: Record<string, FieldWrite>;
  /** Task.tags: per-tag add/remove state, so set operations commute. */
  tags?: TagStates;
}

export function readFieldMeta(row: SyncEntity): FieldMeta {
  const raw = row.fieldMeta as unknown;
  if (raw && typeof raw === 'object' && 'fields' in raw) return structuredClone(raw as FieldMeta);
  return { fields: {} };
}

export function entityKey(type: EntityType, id: string): string {
  return `${type}:${id}`;
}

export function typeOfEntity(entity: SyncEntity): EntityType {
  if ('title' in entity) return 'TASK';
  if ('body' in entity) return 'COMMENT';
  return 'PROJECT';
}

/** Values as they go into JSON columns (change log, conflicts): dates as ISO strings. */
export function toJsonValue(value: unknown): Prisma.InputJsonValue | null {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => toJsonValue(item)) as Prisma.InputJsonValue;
  return value as Prisma.InputJsonValue;
}
