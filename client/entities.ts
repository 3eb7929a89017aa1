import type {
  CommentFieldsFragment,
  CommentPatch,
  ProjectFieldsFragment,
  ProjectPatch,
  TaskFieldsFragment,
  TaskPatch,
} from './generated/graphql.ts';

export type ProjectEntity = ProjectFieldsFragment;
export type TaskEntity = TaskFieldsFragment;
export type CommentEntity = CommentFieldsFragment;
export type SyncEntity = ProjectEntity | TaskEntity | CommentEntity;
export type Typename = SyncEntity['__typename'];

/** The key of a change in ChangeInput (`@oneOf`), one per synced type. */
export type EntityKind = 'project' | 'task' | 'comment';

export const typenameOf: Record<EntityKind, Typename> = {
  project: 'Project',
  task: 'Task',
  comment: 'Comment',
};

export const kindOf: Record<Typename, EntityKind> = {
  Project: 'project',
  Task: 'task',
  Comment: 'comment',
};

/** Patch fields as the server takes them; absent fields stay as they are. */
export type Patch = ProjectPatch | TaskPatch | CommentPatch;

/** What `tasks.create` takes: field values, with `tags` and `timeSpentMinutes` as values. */
export type TaskCreate = Omit<TaskPatch, 'tagsAdd' | 'tagsRemove' | 'timeSpentDelta' | 'title'> & {
  title: string;
  tags?: string[];
  timeSpentMinutes?: number;
  /** A client-chosen id; a UUIDv7 is made when absent. */
  id?: string;
};
export type ProjectCreate = Omit<ProjectPatch, 'name'> & { name: string; id?: string };
export type CommentCreate = { taskId: string; body: string; id?: string };

export const entityKey = (typename: string, id: string): string => `${typename}:${id}`;

const SYNC_TYPENAMES = new Set<string>(['Project', 'Task', 'Comment']);

export function isSyncEntity(value: unknown): value is SyncEntity {
  const candidate = value as Partial<SyncEntity> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.__typename === 'string' &&
    SYNC_TYPENAMES.has(candidate.__typename) &&
    typeof candidate.id === 'string' &&
    typeof candidate.version === 'number'
  );
}

/** A create's fields as the patch the server takes (`tags` -> `tagsAdd`, ...). */
export function createPatch(
  kind: EntityKind,
  fields: TaskCreate | ProjectCreate | CommentCreate,
): Patch {
  const { id: _id, ...rest } = fields;
  if (kind !== 'task') return rest as Patch;
  const { tags, timeSpentMinutes, ...task } = rest as Omit<TaskCreate, 'id'>;
  return {
    ...task,
    ...(tags && tags.length > 0 ? { tagsAdd: tags } : {}),
    ...(timeSpentMinutes ? { timeSpentDelta: timeSpentMinutes } : {}),
  };
}

// The server's defaults for a create (server/sync/entities.ts), so the optimistic entity is
// complete and matches what the server will answer.
const createDefaults: Record<Typename, Record<string, unknown>> = {
  Project: { color: null, archived: false },
  Task: {
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
  Comment: {},
};

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
  const entity: Record<string, unknown> = {
    __typename: typename,
    id,
    workspaceId: author.workspaceId,
    version: 0,
    updatedAt: author.now,
    updatedBy: author.userId,
    deleted: false,
    ...createDefaults[typename],
    ...(typename === 'Comment' ? { authorId: author.userId ?? '' } : {}),
  };
  return applyPatch(entity, patch);
}

/**
 * A patch applied to field values the way the server applies it without concurrent writes:
 * tag operations on the set, time deltas added, everything else replaced.
 */
export function applyPatch(
  current: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const next = { ...current };
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (field === 'tagsAdd' || field === 'tagsRemove') continue;
    if (field === 'timeSpentDelta') {
      next.timeSpentMinutes = Number(current.timeSpentMinutes ?? 0) + Number(value);
    } else {
      next[field] = value;
    }
  }
  if ('tagsAdd' in patch || 'tagsRemove' in patch) {
    // The server orders tags by when they were added: new ones go last.
    const tags = new Set(Array.isArray(current.tags) ? (current.tags as string[]) : []);
    for (const tag of (patch.tagsAdd as string[] | null | undefined) ?? []) tags.add(tag);
    for (const tag of (patch.tagsRemove as string[] | null | undefined) ?? []) tags.delete(tag);
    next.tags = [...tags];
  }
  return next;
}

/** Fields of the current entity a patch reads (tags and counters build on current values). */
export function fieldsReadBy(patch: Record<string, unknown>): string[] {
  const fields: string[] = [];
  if ('tagsAdd' in patch || 'tagsRemove' in patch) fields.push('tags');
  if ('timeSpentDelta' in patch) fields.push('timeSpentMinutes');
  return fields;
}
