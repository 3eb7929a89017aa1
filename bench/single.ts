import { randomUUID } from 'node:crypto';
import type { Cluster, ServerProcess } from './cluster.ts';
import type { BenchOptions } from './options.ts';
import { measuredWindow } from './profiles.ts';
import { log, preparePush } from './push.ts';
import { percentiles, round } from './stats.ts';
import { type Actor, pushBatch, seedTasks, type TaskRow, updateTaskChange } from './workload.ts';

export interface SinglePushFigures {
  singleP50Ms: number;
  singleP95Ms: number;
  /** Server CPU per push (user + system, from /proc); null where /proc is unavailable. */
  singleCpuMs: number | null;
  singlePushes: number;
}

/**
 * The most common request: one person saves one task (a change of two fields), and the
 * client's push window sends it as a batch of one. One client, one push at a time, so the
 * latency is the request's own and the server CPU read around the run divides by the pushes.
 * On PGlite the database runs inside the server process: its CPU counts too.
 */
export async function benchSinglePush(
  cluster: Cluster,
  options: BenchOptions,
): Promise<SinglePushFigures> {
  const server = cluster.servers[0] as ServerProcess;
  const { pushes, warmupPushes } = options.single;
  const setup = await preparePush(cluster, server, 1, 'bench one-change push');
  const writer = setup.writers[0] as Actor;
  const tasks = await seedTasks(server, setup.owner, setup.workspaceId, pushes + warmupPushes);
  const clientId = `bench-single-${randomUUID()}`;
  const pushOne = async (row: TaskRow, n: number) => {
    const edit = updateTaskChange(row, n);
    const outcome = await pushBatch(server, writer, {
      workspaceId: setup.workspaceId,
      clientId,
      changes: [edit.change],
    });
    return outcome.latencyMs;
  };

  log(`single: warm-up with ${warmupPushes} one-change pushes`);
  for (const [n, row] of tasks.slice(0, warmupPushes).entries()) await pushOne(row, n);

  log(`single: ${pushes} one-change pushes, one at a time`);
  const latencies: number[] = [];
  const cpuBefore = await server.cpuMs();
  await measuredWindow('single', async () => {
    for (const [n, row] of tasks.slice(warmupPushes).entries()) {
      latencies.push(await pushOne(row, n));
    }
  });
  const cpuAfter = await server.cpuMs();
  const spread = percentiles(latencies);
  return {
    singleP50Ms: round(spread.p50),
    singleP95Ms: round(spread.p95),
    singleCpuMs:
      cpuBefore === null || cpuAfter === null ? null : round((cpuAfter - cpuBefore) / pushes, 3),
    singlePushes: pushes,
  };
}
