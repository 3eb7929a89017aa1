import type { Cluster, ServerProcess } from './cluster.ts';
import type { BenchOptions } from './options.ts';
import { measuredWindow } from './profiles.ts';
import { type Batch, log, type PushSetup, planWorkload, preparePush, runOurs } from './push.ts';
import { round } from './stats.ts';

export interface WorkspacesFigures {
  /** Changes/s of `workspacesClients` clients, each on a workspace of its own. */
  workspacesChangesPerSec: number;
  /** Changes/s of `clients` clients sharing one workspace, same batches and total. */
  oneWorkspaceChangesPerSec: number;
  workspacesRatio: number;
  workspacesClients: number;
}

/**
 * Whether throughput grows with workspaces: writers of different workspaces share no lock,
 * so 16 clients on 16 workspaces should push more per second than 4 clients on one. Both
 * runs push the same number of changes in the same batches (half edits, half creates).
 */
export async function benchWorkspaces(
  cluster: Cluster,
  options: BenchOptions,
): Promise<WorkspacesFigures> {
  const server = cluster.servers[0] as ServerProcess;
  const { changes, batchSize, clients, warmupChanges } = options.push;
  const spread = options.workspaces.clients;

  log(`workspaces: warm-up with ${warmupChanges} changes`);
  const warmup = await preparePush(cluster, server, clients, 'bench workspaces warm-up');
  await runOurs(warmup, await planWorkload(warmup, null, warmupChanges, batchSize));

  log(`workspaces: ${changes} changes, ${clients} clients on one workspace`);
  const shared = await preparePush(cluster, server, clients, 'bench one workspace');
  const sharedPlan = await planWorkload(shared, null, changes, batchSize);
  const sharedRun = await runOurs(shared, sharedPlan);

  log(`workspaces: ${changes} changes, ${spread} clients on ${spread} workspaces`);
  const setups: PushSetup[] = [];
  const plans: Batch[][][] = [];
  for (let index = 0; index < spread; index++) {
    const setup = await preparePush(cluster, server, 1, `bench workspace ${index}`);
    setups.push(setup);
    plans.push(await planWorkload(setup, null, Math.floor(changes / spread), batchSize));
  }
  const started = performance.now();
  await measuredWindow('workspaces', () =>
    Promise.all(setups.map((setup, index) => runOurs(setup, plans[index] ?? []))),
  );
  const spreadMs = performance.now() - started;

  const sharedPerSec = countChanges(sharedPlan) / (sharedRun.ms / 1000);
  const spreadPerSec = countChanges(plans.flat()) / (spreadMs / 1000);
  return {
    workspacesChangesPerSec: round(spreadPerSec, 0),
    oneWorkspaceChangesPerSec: round(sharedPerSec, 0),
    workspacesRatio: round(spreadPerSec / sharedPerSec, 3),
    workspacesClients: spread,
  };
}

function countChanges(plan: Batch[][]): number {
  return plan.flat().reduce((sum, batch) => sum + batch.changes.length, 0);
}
