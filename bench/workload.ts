import { randomUUID } from 'node:crypto';
import type { Cluster, ServerProcess } from './cluster.ts';
import { graphql, inParallel } from './http.ts';
import {
  ADD_MEMBER,
  CHANGES_SINCE,
  CREATE_WORKSPACE,
  PUSH_CHANGES,
  type PullPayload,
  type PushPayload,
  type TaskEntity,
} from './operations.ts';

export interface TaskPatch {
  title?: string;
  notes?: string;
  status?: 'TODO' | 'IN_PROGRESS' | 'DONE';
  priority?: number;
  tagsAdd?: string[];
  sortKey?: string;
}

export interface TaskChange {
  task: { mutationId: string; id: string; baseVersion: number; patch: TaskPatch };
}

/** A task as the raw baseline writes it: the columns our API returns. */
export interface TaskRow {
  id: string;
  title: string;
  notes: string;
  status: string;
  priority: number;
  tags: string[];
  sortKey: string;
  version: number;
}

// Task notes of a realistic length: rows of a few hundred bytes, not a few dozen.
const notes = 'Check the figures with the team, update the sheet and tell the client by Friday.';

export function createTaskChange(n: number): { change: TaskChange; row: TaskRow } {
  const patch = {
    title: `Task ${n}`,
    notes,
    status: 'TODO' as const,
    priority: n % 4,
    tagsAdd: ['bench'],
    sortKey: `a${String(n).padStart(8, '0')}`,
  };
  const id = randomUUID();
  return {
    change: { task: { mutationId: randomUUID(), id, baseVersion: 0, patch } },
    row: {
      id,
      title: patch.title,
      notes,
      status: patch.status,
      priority: patch.priority,
      tags: ['bench'],
      sortKey: patch.sortKey,
      version: 1,
    },
  };
}

/** An edit of a task the client has at `row.version`: two fields, as a typical form save. */
export function updateTaskChange(row: TaskRow, n: number): { change: TaskChange; row: TaskRow } {
  const patch = {
    title: `${row.title} (edit ${n})`,
    status: n % 2 === 0 ? ('IN_PROGRESS' as const) : ('DONE' as const),
  };
  return {
    change: {
      task: { mutationId: randomUUID(), id: row.id, baseVersion: row.version, patch },
    },
    row: { ...row, ...patch, version: row.version + 1 },
  };
}

export interface Actor {
  userId: string;
  token: string;
}

export async function actor(cluster: Cluster, userId: string): Promise<Actor> {
  return { userId, token: await cluster.token(userId) };
}

export async function createWorkspace(
  server: ServerProcess,
  owner: Actor,
  name: string,
): Promise<string> {
  const { data } = await graphql<{ createWorkspace: { id: string } }>(
    server.url,
    CREATE_WORKSPACE,
    { name },
    { token: owner.token },
  );
  return data.createWorkspace.id;
}

export async function addMembers(
  server: ServerProcess,
  owner: Actor,
  workspaceId: string,
  userIds: readonly string[],
  role: 'VIEWER' | 'EDITOR',
): Promise<void> {
  await inParallel(userIds, 8, async (userId) => {
    await graphql(server.url, ADD_MEMBER, { workspaceId, userId, role }, { token: owner.token });
  });
}

export interface PushOutcome {
  latencyMs: number;
  payload: PushPayload;
}

export async function pushBatch(
  server: ServerProcess,
  writer: Actor,
  input: { workspaceId: string; clientId: string; changes: readonly TaskChange[] },
  requestId?: string,
): Promise<PushOutcome> {
  const started = performance.now();
  const { data } = await graphql<PushPayload>(
    server.url,
    PUSH_CHANGES,
    { input },
    { token: writer.token, ...(requestId ? { requestId } : {}) },
  );
  const latencyMs = performance.now() - started;
  const failed = data.pushChanges.results.find(
    (result) => result.status !== 'APPLIED' && result.status !== 'MERGED',
  );
  if (failed) throw new Error(`A benchmark change was not applied: ${JSON.stringify(failed)}`);
  return { latencyMs, payload: data };
}

/** Creates `count` tasks in batches (setup, untimed); returns them as the client now has them. */
export async function seedTasks(
  server: ServerProcess,
  writer: Actor,
  workspaceId: string,
  count: number,
  batchSize = 500,
): Promise<TaskRow[]> {
  const created = Array.from({ length: count }, (_, n) => createTaskChange(n));
  const batches = chunk(created, batchSize);
  const clientId = `seed-${randomUUID()}`;
  await inParallel(batches, 2, async (batch) => {
    await pushBatch(server, writer, {
      workspaceId,
      clientId,
      changes: batch.map((item) => item.change),
    });
  });
  return created.map((item) => item.row);
}

/** Pages through changesSince to the end (or `maxPages`); returns entities and the cursor. */
export async function pullAll(
  server: ServerProcess,
  reader: Actor,
  workspaceId: string,
  limit: number,
  cursor: string | null = null,
  maxPages = Number.POSITIVE_INFINITY,
): Promise<{ entities: TaskEntity[]; cursor: string | null }> {
  const entities: TaskEntity[] = [];
  let next = cursor;
  for (let page = 0; page < maxPages; page++) {
    const { data } = await graphql<PullPayload>(
      server.url,
      CHANGES_SINCE,
      { workspaceId, cursor: next, limit },
      { token: reader.token },
    );
    entities.push(...data.changesSince.entities);
    next = data.changesSince.cursor;
    if (!data.changesSince.hasMore) break;
  }
  return { entities, cursor: next };
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size)
    chunks.push(items.slice(start, start + size));
  return chunks;
}
