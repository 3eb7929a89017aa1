import type { Conflict, Role } from '../db/generated/prisma/client.ts';

export type { Role };

/**
 * A value of the model's `EntityType` enum (`TASK`, `WORK_ORDER`, ...): which entity of
 * model.graphql a row or change is about (server/sync/model.ts looks it up).
 */
export type EntityType = string;

/** The user a sync operation acts for. */
export interface Actor {
  userId: string;
}

/** The sync metadata every synced row carries (docs/protocol.md, Entity metadata and versions). */
export interface SyncRecord {
  id: string;
  workspaceId: string;
  version: number;
  seq: number;
  createdAt: Date;
  updatedAt: Date;
  updatedBy: string | null;
  deleted: boolean;
  /** The server's merge state (server/sync/entities.ts, FieldMeta); left out of pages and events. */
  fieldMeta?: unknown;
}

/**
 * A row of any entity of the model: the sync metadata plus the model's columns by field name.
 * Rows the engine reads or creates are tagged with their type (server/sync/model.ts, tagRow).
 */
export type SyncEntity = SyncRecord & Record<string, unknown>;

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
