import type { Cluster, ServerProcess } from './cluster.ts';
import type { BenchOptions } from './options.ts';
import { measuredWindow } from './profiles.ts';
import { log } from './push.ts';
import type { RawStore } from './raw.ts';
import { round, timed } from './stats.ts';
import { type Actor, actor, createWorkspace, pullAll, seedTasks } from './workload.ts';

export interface PullFigures {
  entitiesPerSec: number;
  rawEntitiesPerSec: number;
  ratio: number;
  entities: number;
  pages: number;
  limit: number;
}

/** A workspace to page through and a member who may read it. */
export interface PullSource {
  workspaceId: string;
  reader: Actor;
}

/**
 * Pages through every entity of the push workspace with changesSince (one client, limit
 * 1000, every field) against the raw keyset SELECT of the same rows serialised to JSON.
 * Without a push run first, it seeds a workspace of the same size.
 */
export async function benchPull(
  cluster: Cluster,
  raw: RawStore,
  options: BenchOptions,
  pushed: PullSource | null,
): Promise<PullFigures> {
  const server = cluster.servers[0] as ServerProcess;
  const { workspaceId, reader } =
    pushed ?? (await seedPullWorkspace(cluster, server, raw, options));
  const { limit, warmupPages } = options.pull;

  log(`pull: warm-up, ${warmupPages} pages each`);
  await pullAll(server, reader, workspaceId, limit, null, warmupPages);
  await rawPages(raw, workspaceId, limit, warmupPages);

  log('pull: paging everything');
  const ours = await measuredWindow('pull', () =>
    timed(() => pullAll(server, reader, workspaceId, limit)),
  );
  const rawRun = await timed(() => rawPages(raw, workspaceId, limit, Number.POSITIVE_INFINITY));
  const entities = ours.value.entities.length;
  if (entities !== rawRun.value) {
    log(`pull: note: ours returned ${entities} entities, raw ${rawRun.value}`);
  }
  const entitiesPerSec = entities / (ours.ms / 1000);
  const rawEntitiesPerSec = rawRun.value / (rawRun.ms / 1000);
  return {
    entitiesPerSec: round(entitiesPerSec, 0),
    rawEntitiesPerSec: round(rawEntitiesPerSec, 0),
    ratio: round(entitiesPerSec / rawEntitiesPerSec, 3),
    entities,
    pages: Math.ceil(entities / limit),
    limit,
  };
}

async function seedPullWorkspace(
  cluster: Cluster,
  server: ServerProcess,
  raw: RawStore,
  options: BenchOptions,
): Promise<PullSource> {
  const reader = await actor(cluster, 'bench-pull-owner');
  const workspaceId = await createWorkspace(server, reader, 'bench pull');
  log(`pull: seeding ${options.push.changes} tasks`);
  const rows = await seedTasks(server, reader, workspaceId, options.push.changes);
  await raw.seed(workspaceId, rows);
  return { workspaceId, reader };
}

/** Pages the raw table in seq order; returns how many rows it read. */
async function rawPages(
  raw: RawStore,
  workspaceId: string,
  limit: number,
  maxPages: number,
): Promise<number> {
  let after = 0;
  let count = 0;
  for (let page = 0; page < maxPages; page++) {
    const result = await raw.page(workspaceId, after, limit);
    count += result.count;
    if (result.lastSeq === null || result.count < limit) break;
    after = result.lastSeq;
  }
  return count;
}
