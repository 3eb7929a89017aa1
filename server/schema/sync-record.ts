import { entityOfType, typeOfRow } from '../sync/model.ts';
import type { SyncRecord as SyncRecordRow } from '../sync/types.ts';
import { builder } from './builder.ts';
import { TaskStatusEnum } from './enums.ts';

/**
 * The sync metadata every synced entity exposes (docs/protocol.md, Entity metadata and versions).
 */
export const SyncRecord = builder.interfaceRef<SyncRecordRow>('SyncRecord').implement({
  resolveType: (entity) => entityOfType(typeOfRow(entity)).name,
  fields: (t) => ({
    id: t.exposeID('id'),
    workspaceId: t.exposeID('workspaceId'),
    version: t.exposeInt('version'),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    updatedBy: t.exposeID('updatedBy', { nullable: true }),
    deleted: t.exposeBoolean('deleted'),
  }),
});

export const ProjectObject = builder.prismaObject('Project', {
  interfaces: [SyncRecord],
  fields: (t) => ({
    name: t.exposeString('name'),
    color: t.exposeString('color', { nullable: true }),
    archived: t.exposeBoolean('archived'),
  }),
});

export const TaskObject = builder.prismaObject('Task', {
  interfaces: [SyncRecord],
  fields: (t) => ({
    projectId: t.exposeID('projectId', { nullable: true }),
    title: t.exposeString('title'),
    notes: t.exposeString('notes'),
    status: t.expose('status', { type: TaskStatusEnum }),
    priority: t.exposeInt('priority'),
    tags: t.exposeStringList('tags'),
    assigneeId: t.exposeID('assigneeId', { nullable: true }),
    dueAt: t.expose('dueAt', { type: 'DateTime', nullable: true }),
    estimateMinutes: t.exposeInt('estimateMinutes', { nullable: true }),
    timeSpentMinutes: t.exposeInt('timeSpentMinutes'),
    sortKey: t.exposeString('sortKey'),
  }),
});

export const CommentObject = builder.prismaObject('Comment', {
  interfaces: [SyncRecord],
  fields: (t) => ({
    taskId: t.exposeID('taskId'),
    authorId: t.exposeID('authorId'),
    body: t.exposeString('body'),
  }),
});

export const SyncEntityUnion = builder.unionType('SyncEntity', {
  types: [ProjectObject, TaskObject, CommentObject],
  resolveType: (entity) => entityOfType(typeOfRow(entity)).name,
});
