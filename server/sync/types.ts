import type {
  Comment,
  Conflict,
  EntityType,
  Project,
  Role,
  Task,
} from '../db/generated/prisma/client.ts';

export type { EntityType, Role };

/** The user a sync operation acts for. */
export interface Actor {
  userId: string;
}

export type SyncEntity = Project | Task | Comment;
export type EntityRowOf<T extends EntityType> = T extends 'PROJECT'
  ? Project
  : T extends 'TASK'
    ? Task
    : Comment;

export type ChangeStatus = 'APPLIED' | 'MERGED' | 'CONFLICT' | 'REJECTED' | 'DUPLICATE';

/** One change of a pushChanges batch, as the GraphQL layer hands it to the engine. */
export interface ChangeRequest {
  entityType: EntityType;
  mutationId: string;
  id: string;
  baseVersion: number | null;
  hlc: string | null;
  delete: boolean;
  /** Patch fields as sent; absent fields are unchanged, null clears a nullable field. */
  patch: Record<string, unknown> | null;
}

export interface PushRequest {
  workspaceId: string;
  clientId: string;
  changes: readonly ChangeRequest[];
}

export interface SyncError {
  code: string;
  message: string;
  field: string | null;
}

export interface ChangeResult {
  mutationId: string;
  status: ChangeStatus;
  entity: SyncEntity | null;
  conflict: Conflict | null;
  error: SyncError | null;
  mergedFields: string[];
}

/** A change that was applied and committed: what `entityChanged` publishes. */
export interface CommittedChange {
  workspaceId: string;
  seq: number;
  entityType: EntityType;
  op: 'CREATE' | 'UPDATE' | 'DELETE';
  changedFields: string[];
  actorId: string;
  clientId: string | null;
  entity: SyncEntity;
}

export interface PushResult {
  results: ChangeResult[];
  /** Workspace sequence after the push. */
  seq: number;
  committed: CommittedChange[];
  openedConflicts: Conflict[];
}
