/**
 * The client with a large replica (issue 14): 100,000 stored entities, the time an app waits
 * for `ready`, the time one edit takes to reach storage, and the memory the replica holds.
 * File storage in a temporary directory; memory storage as the baseline that does no I/O.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { SyncEntity } from '../client/entities.ts';
import { createSyncClient } from '../client/index.ts';
import { Replica } from '../client/replica.ts';
import { createFileStorage } from '../client/storage/file.ts';
import { createMemoryStorage, type SyncStorage } from '../client/storage/index.ts';
import { log } from './push.ts';
import { percentiles, round, timed } from './stats.ts';

export interface ClientBenchOptions {
  entities: number;
  edits: number;
}

export interface ClientFigures {
  entities: number;
  edits: number;
  /** createSyncClient to `ready` over file storage holding `entities` entities. */
  readyMs100k: number;
  /** The same over memory storage: the replica and cache work without any I/O. */
  readyMsMemory: number;
  /** Of readyMs100k: loading the stored replica alone (read, decode, index). */
  replicaLoadMs: number;
  /** One edited entity absorbed and persisted (awaited, fsynced) to file storage. */
  editPersistP50Ms: number;
  editPersistP95Ms: number;
  memoryEditPersistP50Ms: number;
  memoryEditPersistP95Ms: number;
  /** The record log on disk after the edits. */
  storedMiB: number;
  /** Heap and RSS growth from an empty process to a ready client holding the entities. */
  heapMiB: number;
  rssMiB: number;
}

const WORKSPACE = '00000000-0000-7000-8000-00000000b001';
const REPLICA_KEY = `replica:${WORKSPACE}`;
const SEED_PAGE = 500;

export async function benchClient(options: ClientBenchOptions): Promise<ClientFigures> {
  const directory = await mkdtemp(join(tmpdir(), 'converge-bench-client-'));
  try {
    log(`client: storing ${options.entities.toLocaleString('en-US')} entities`);
    await seed(createFileStorage(directory), options.entities);
    const memory = createMemoryStorage();
    await seed(memory, options.entities);

    collectGarbage();
    const before = process.memoryUsage();
    log('client: time to ready (file storage)');
    const fileReady = await timeToReady(() => createFileStorage(directory));
    collectGarbage();
    const after = process.memoryUsage();
    await fileReady.close();

    log('client: time to ready (memory storage)');
    const memoryReady = await timeToReady(() => memory);
    await memoryReady.close();

    log(`client: ${options.edits} edits persisted one by one`);
    const fileEdits = await timeEdits(createFileStorage(directory), options.edits);
    const memoryEdits = await timeEdits(memory, options.edits);
    return {
      entities: options.entities,
      edits: options.edits,
      readyMs100k: round(fileReady.ms, 1),
      readyMsMemory: round(memoryReady.ms, 1),
      replicaLoadMs: round(fileEdits.loadMs, 1),
      editPersistP50Ms: round(fileEdits.p50, 3),
      editPersistP95Ms: round(fileEdits.p95, 3),
      memoryEditPersistP50Ms: round(memoryEdits.p50, 3),
      memoryEditPersistP95Ms: round(memoryEdits.p95, 3),
      storedMiB: round((await recordLogBytes(directory)) / 2 ** 20, 1),
      heapMiB: round((after.heapUsed - before.heapUsed) / 2 ** 20, 1),
      rssMiB: round((after.rss - before.rss) / 2 ** 20, 1),
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** Stores entities as a catch-up would: pages of records, each with its cursor. */
async function seed(storage: SyncStorage, count: number): Promise<void> {
  const records = storage.records;
  if (!records) throw new Error('the benchmark needs a storage with a record store');
  for (let start = 0; start < count; start += SEED_PAGE) {
    const page: SyncEntity[] = [];
    for (let n = start; n < Math.min(count, start + SEED_PAGE); n++) page.push(taskEntity(n, 1));
    await records.write(REPLICA_KEY, {
      put: page.map((entity) => ({
        key: `Task:${entity.id}`,
        version: entity.version,
        value: entity,
      })),
      cursor: `cursor-${start + page.length}`,
    });
  }
  await storage.close();
}

/** What an app waits for: createSyncClient until `ready`, offline (ready needs no server). */
async function timeToReady(
  storage: () => SyncStorage,
): Promise<{ ms: number; close(): Promise<void> }> {
  const { ms, value: client } = await timed(async () => {
    const client = createSyncClient({
      url: 'http://127.0.0.1:9/graphql',
      token: 'bench',
      workspaceId: WORKSPACE,
      storage: storage(),
      // No network at all: the figure is the local start, not a request.
      fetch: async () => {
        throw new TypeError('offline (benchmark)');
      },
      live: false,
      retry: { baseMs: 60_000, maxMs: 60_000 },
    });
    await client.ready;
    return client;
  });
  return { ms, close: () => client.close() };
}

/** Loads the replica, then edits one entity at a time and waits until each is stored. */
async function timeEdits(
  storage: SyncStorage,
  edits: number,
): Promise<{ loadMs: number; p50: number; p95: number }> {
  const replica = new Replica(storage, {
    key: REPLICA_KEY,
    writeDelayMs: 50,
    setTimeout,
    clearTimeout,
  });
  const { ms: loadMs } = await timed(() => replica.load());
  const samples: number[] = [];
  for (let n = 0; n < edits; n++) {
    const index = (n * 7919) % Math.max(1, replica.size);
    const known = replica.get('Task', entityId(index));
    const edited = taskEntity(index, (known?.version ?? 1) + 1);
    const { ms } = await timed(async () => {
      replica.absorb(edited);
      await replica.persist();
    });
    samples.push(ms);
  }
  await storage.close();
  const { p50, p95 } = percentiles(samples);
  return { loadMs, p50, p95 };
}

function entityId(n: number): string {
  return `01900000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** A task with every field filled, about the size of a real one. */
function taskEntity(n: number, version: number): SyncEntity {
  return {
    __typename: 'Task',
    id: entityId(n),
    workspaceId: WORKSPACE,
    version,
    updatedAt: new Date(1_750_000_000_000 + n * 1000 + version).toISOString(),
    updatedBy: '00000000-0000-7000-8000-0000000000a1',
    deleted: false,
    projectId: null,
    title: `Task ${n}: count the pallets at dock ${n % 17}`,
    notes: version > 1 ? `edited ${version - 1} times` : '',
    status: 'TODO',
    priority: n % 4,
    tags: n % 3 === 0 ? ['warehouse'] : [],
    assigneeId: null,
    dueAt: null,
    estimateMinutes: 30,
    timeSpentMinutes: 0,
    sortKey: `a${n.toString(36).padStart(6, '0')}`,
  } satisfies SyncEntity;
}

async function recordLogBytes(directory: string): Promise<number> {
  let total = 0;
  for (const file of await readdir(directory)) {
    if (file.startsWith('records-')) total += (await stat(join(directory, file))).size;
  }
  return total;
}

/** A full collection before a memory reading, so the figures are live data, not garbage. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
}
