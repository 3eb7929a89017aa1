/**
 * `npm run bench [-- --quick]`: Converge against the raw database, fan-out and bandwidth
 * (issue 6), the one-change push, workspaces and 10,000 subscribers (issue 15). Writes
 * bench/results.json and prints a table with the goals. A benchmark, not a test: nothing
 * here fails on a slow figure. bench/README.md says what each figure measures.
 */
import { benchBandwidth } from './bandwidth.ts';
import { benchClient } from './client.ts';
import { type Cluster, startCluster } from './cluster.ts';
import { benchFanout, fanout10kRun, fanoutRun } from './fanout.ts';
import { closeConnections } from './http.ts';
import { parseOptions } from './options.ts';
import { printProfiles } from './profiles.ts';
import { benchPull, type PullSource } from './pull.ts';
import { benchPush, log } from './push.ts';
import { openRawStore, type RawStore } from './raw.ts';
import { evaluateGoals, formatTable, machineCpus, type Results, writeResults } from './report.ts';
import { benchSinglePush } from './single.ts';
import { round } from './stats.ts';
import { benchWorkspaces } from './workspaces.ts';

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const { scenarios } = options;
  const twoInstances = scenarios.has('fanout') && Boolean(options.databaseUrl && options.redisUrl);
  const notes = setupNotes(options.databaseUrl, options.redisUrl);

  log(
    `starting ${twoInstances ? 'two servers' : 'a server'} on ${options.databaseUrl ? 'PostgreSQL' : 'PGlite'}`,
  );
  const cluster = await startCluster({
    adminDatabaseUrl: options.databaseUrl,
    redisUrl: options.redisUrl,
    instances: twoInstances ? 2 : 1,
    profileDir: options.profileDir,
  });
  let raw: RawStore | null = null;
  const cleanUp = once(async () => {
    closeConnections();
    await raw?.close().catch(() => undefined);
    await cluster.stop();
  });
  const interrupt = () => {
    log('interrupted: cleaning up');
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  try {
    const results: Results = {
      meta: {
        date: new Date().toISOString(),
        database: cluster.database,
        instances: cluster.servers.length,
        redis: cluster.redis,
        quick: options.quick,
        node: process.version,
        cpus: machineCpus(),
        notes,
      },
    };
    if (scenarios.has('push') || scenarios.has('pull')) {
      raw = await openRawStore(cluster.databaseUrl, options.push.clients);
    }
    let pushed: PullSource | null = null;
    if (scenarios.has('push') && raw) {
      const push = await benchPush(cluster, raw, options);
      results.push = push.figures;
      pushed = { workspaceId: push.workspaceId, reader: push.owner };
    }
    if (scenarios.has('single')) {
      results.push = { ...results.push, ...(await benchSinglePush(cluster, options)) };
    }
    if (scenarios.has('workspaces')) {
      results.push = { ...results.push, ...(await benchWorkspaces(cluster, options)) };
    }
    if (scenarios.has('pull') && raw) results.pull = await benchPull(cluster, raw, options, pushed);
    if (scenarios.has('bandwidth')) results.bandwidth = await benchBandwidth(cluster, options);
    if (scenarios.has('fanout')) {
      results.fanout = await benchFanout(cluster, fanoutRun(cluster, options), async () => {
        results.memory = await serverMemory(cluster);
      });
      if (results.fanout.transport === 'sse') {
        notes.push('fan-out used SSE: the WebSocket transport is not wired into the server yet');
      }
    }
    if (scenarios.has('fanout10k')) {
      results.fanout10k = await benchFanout(cluster, fanout10kRun(cluster, options), async () => {
        results.memory ??= await serverMemory(cluster);
      });
    }
    results.memory ??= await serverMemory(cluster);
    // Last: its 100,000-entity client holds memory the server figures should not share.
    if (scenarios.has('client')) results.client = await benchClient(options.client);
    results.goals = evaluateGoals(results);
    notes.push(
      `servers, database, Redis and the benchmark's own clients share ${machineCpus()} CPU cores: figures are noisy, compare within one run`,
    );
    await writeResults(options.output, results);
    console.log(formatTable(results));
    console.log(`\nwritten to ${options.output}`);
  } finally {
    await cleanUp();
  }
  // Written when the servers exit, so listed only now.
  if (options.profileDir) await printProfiles(options.profileDir, cluster.servers);
}

function setupNotes(databaseUrl: string | undefined, redisUrl: string | undefined): string[] {
  if (!databaseUrl) {
    return [
      'PGlite (DATABASE_URL not set): one server instance; the raw baseline runs on an in-process PGlite' +
        (redisUrl ? '; REDIS_URL ignored, two instances need a shared PostgreSQL' : ''),
    ];
  }
  return redisUrl ? [] : ['REDIS_URL not set: fan-out runs on one instance'];
}

async function serverMemory(cluster: Cluster): Promise<NonNullable<Results['memory']>> {
  const instances = await Promise.all(cluster.servers.map((server) => server.rssMb()));
  const known = instances.filter((mb): mb is number => mb !== null).map((mb) => round(mb, 1));
  return { serverRssMb: known.length > 0 ? Math.max(...known) : Number.NaN, instancesRssMb: known };
}

function once(run: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  return () => {
    running ??= run();
    return running;
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
