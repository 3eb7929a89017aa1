import { randomUUID } from 'node:crypto';
import type { Cluster, ServerProcess } from './cluster.ts';
import type { BenchOptions } from './options.ts';
import { measuredWindow } from './profiles.ts';
import type { RawStore } from './raw.ts';
import { percentiles, round, timed } from './stats.ts';
import {
  type Actor,
  actor,
  addMembers,
  createTaskChange,
  createWorkspace,
  pushBatch,
  seedTasks,
  type TaskChange,
  type TaskRow,
  updateTaskChange,
} from './workload.ts';

export interface PushFigures {
  changesPerSec: number;
  rawChangesPerSec: number;
  ratio: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  rawP50Ms: number;
  rawP95Ms: number;
  rawP99Ms: number;
  /** One client alone, no queueing behind the others on the workspace lock. */
  soloP50Ms: number;
  soloP95Ms: number;
  changes: number;
  batchSize: number;
  clients: number;
  workspaces: number;
}

export interface Batch {
  changes: TaskChange[];
  /** The rows as they are after the batch: what the raw baseline writes. */
  rows: TaskRow[];
}

/** The setup both runs share: a workspace, its writers and the tasks they will edit. */
export interface PushSetup {
  server: ServerProcess;
  owner: Actor;
  writers: Actor[];
  workspaceId: string;
}

/**
 * 20,000 task changes in batches of 100 from 4 concurrent clients on one workspace (a team
 * working together, so every push queues on the workspace lock), half edits of existing
 * tasks and half creates; against the same rows upserted raw with the same batching and
 * concurrency.
 */
export async function benchPush(
  cluster: Cluster,
  raw: RawStore,
  options: BenchOptions,
): Promise<{ figures: PushFigures; workspaceId: string; owner: Actor }> {
  const server = cluster.servers[0] as ServerProcess;
  const { clients, batchSize } = options.push;

  log(`push: warm-up with ${options.push.warmupChanges} changes`);
  const warmup = await preparePush(cluster, server, clients, 'bench warm-up');
  const warmPlan = await planWorkload(warmup, raw, options.push.warmupChanges, batchSize);
  await runOurs(warmup, warmPlan);
  await runRaw(raw, warmup.workspaceId, warmPlan);

  log(`push: seeding ${options.push.changes / 2} tasks`);
  const setup = await preparePush(cluster, server, clients, 'bench push');
  const plan = await planWorkload(setup, raw, options.push.changes, batchSize);

  log(`push: ${options.push.changes} changes, ${clients} clients, batches of ${batchSize}`);
  const ours = await measuredWindow('push', () => runOurs(setup, plan));
  const rawRun = await runRaw(raw, setup.workspaceId, plan);

  log('push: one client alone, for latency without queueing');
  const solo = await soloLatency(cluster, server, raw, options);

  const total = plan.flat().reduce((sum, batch) => sum + batch.changes.length, 0);
  const oursLatency = percentiles(ours.latencies);
  const rawLatency = percentiles(rawRun.latencies);
  const changesPerSec = total / (ours.ms / 1000);
  const rawChangesPerSec = total / (rawRun.ms / 1000);
  return {
    workspaceId: setup.workspaceId,
    owner: setup.owner,
    figures: {
      changesPerSec: round(changesPerSec, 0),
      rawChangesPerSec: round(rawChangesPerSec, 0),
      ratio: round(changesPerSec / rawChangesPerSec, 3),
      p50Ms: round(oursLatency.p50),
      p95Ms: round(oursLatency.p95),
      p99Ms: round(oursLatency.p99),
      rawP50Ms: round(rawLatency.p50),
      rawP95Ms: round(rawLatency.p95),
      rawP99Ms: round(rawLatency.p99),
      soloP50Ms: round(solo.p50),
      soloP95Ms: round(solo.p95),
      changes: total,
      batchSize,
      clients,
      workspaces: 1,
    },
  };
}

export async function preparePush(
  cluster: Cluster,
  server: ServerProcess,
  clients: number,
  name: string,
): Promise<PushSetup> {
  const owner = await actor(cluster, `bench-owner-${randomUUID()}`);
  const writers = await Promise.all(
    Array.from({ length: clients }, (_, index) => actor(cluster, `bench-writer-${index}`)),
  );
  const workspaceId = await createWorkspace(server, owner, name);
  await addMembers(
    server,
    owner,
    workspaceId,
    writers.map((writer) => writer.userId),
    'EDITOR',
  );
  return { server, owner, writers, workspaceId };
}

/**
 * Seeds half of `changes` as existing tasks (in ours, and in the raw table when given one),
 * then plans per client batches that each edit `batchSize / 2` of its share of them and create
 * as many.
 */
export async function planWorkload(
  setup: PushSetup,
  raw: RawStore | null,
  changes: number,
  batchSize: number,
): Promise<Batch[][]> {
  const clients = setup.writers.length;
  const seeded = await seedTasks(
    setup.server,
    setup.owner,
    setup.workspaceId,
    Math.floor(changes / 2),
  );
  await raw?.seed(setup.workspaceId, seeded);
  const plan: Batch[][] = Array.from({ length: clients }, () => []);
  const edits = batchSize / 2;
  let created = seeded.length;
  for (let client = 0; client < clients; client++) {
    const share = seeded.filter((_, index) => index % clients === client);
    for (let start = 0; start < share.length; start += edits) {
      const batch: Batch = { changes: [], rows: [] };
      for (const row of share.slice(start, start + edits)) {
        const edit = updateTaskChange(row, start);
        batch.changes.push(edit.change);
        batch.rows.push(edit.row);
      }
      for (let count = 0; count < edits; count++) {
        const create = createTaskChange(created++);
        batch.changes.push(create.change);
        batch.rows.push(create.row);
      }
      plan[client]?.push(batch);
    }
  }
  return plan;
}

export interface Run {
  ms: number;
  latencies: number[];
}

export async function runOurs(setup: PushSetup, plan: Batch[][]): Promise<Run> {
  const latencies: number[] = [];
  const { ms } = await timed(() =>
    Promise.all(
      plan.map(async (batches, client) => {
        const writer = setup.writers[client] as Actor;
        const clientId = `bench-client-${randomUUID()}`;
        for (const batch of batches) {
          const outcome = await pushBatch(setup.server, writer, {
            workspaceId: setup.workspaceId,
            clientId,
            changes: batch.changes,
          });
          latencies.push(outcome.latencyMs);
        }
      }),
    ),
  );
  return { ms, latencies };
}

async function runRaw(raw: RawStore, workspaceId: string, plan: Batch[][]): Promise<Run> {
  const latencies: number[] = [];
  const { ms } = await timed(() =>
    Promise.all(
      plan.map(async (batches) => {
        for (const batch of batches) {
          const { ms: latency } = await timed(() => raw.upsert(workspaceId, batch.rows));
          latencies.push(latency);
        }
      }),
    ),
  );
  return { ms, latencies };
}

/** Latency of a 100-change batch with nobody else pushing: the engine's own cost. */
async function soloLatency(
  cluster: Cluster,
  server: ServerProcess,
  raw: RawStore,
  options: BenchOptions,
) {
  const setup = await preparePush(cluster, server, 1, 'bench solo');
  const changes = Math.max(options.push.batchSize * 20, options.push.changes / 10);
  const plan = await planWorkload(setup, raw, changes, options.push.batchSize);
  return percentiles((await runOurs(setup, plan)).latencies);
}

export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
