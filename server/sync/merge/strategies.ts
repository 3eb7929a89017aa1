export type MergeStrategy = 'LWW' | 'TEXT' | 'SET' | 'COUNTER' | 'MANUAL';

/**
 * The strategy table of docs/protocol.md, Merge strategies, as data: entity type -> entity
 * field -> strategy. Keys are entity fields, not patch fields: Task.tags is changed through
 * tagsAdd/tagsRemove and Task.timeSpentMinutes through timeSpentDelta. Comment.taskId is not
 * here: how it may change after a create is the push engine's decision (it falls back to LWW).
 */
export const fieldStrategies: {
  PROJECT: Record<string, MergeStrategy>;
  TASK: Record<string, MergeStrategy>;
  COMMENT: Record<string, MergeStrategy>;
} = Object.freeze({
  PROJECT: Object.freeze({ name: 'LWW', color: 'LWW', archived: 'LWW' }),
  TASK: Object.freeze({
    projectId: 'LWW',
    title: 'TEXT',
    notes: 'TEXT',
    status: 'LWW',
    priority: 'LWW',
    tags: 'SET',
    assigneeId: 'LWW',
    dueAt: 'LWW',
    estimateMinutes: 'MANUAL',
    timeSpentMinutes: 'COUNTER',
    sortKey: 'LWW',
  }),
  COMMENT: Object.freeze({ body: 'LWW' }),
});
