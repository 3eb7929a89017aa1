import { parseArgs } from 'node:util';

export type Scenario =
  | 'push'
  | 'single'
  | 'workspaces'
  | 'pull'
  | 'fanout'
  | 'fanout10k'
  | 'bandwidth'
  | 'client';
const allScenarios: readonly Scenario[] = [
  'push',
  'single',
  'workspaces',
  'pull',
  'fanout',
  'fanout10k',
  'bandwidth',
  'client',
];

export interface BenchOptions {
  quick: boolean;
  scenarios: Set<Scenario>;
  /** Servers run with --cpu-prof, writing .cpuprofile files here. */
  profileDir: string | null;
  output: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  push: { changes: number; batchSize: number; clients: number; warmupChanges: number };
  /** One-change pushes, one after the other from one client (a person editing a field). */
  single: { pushes: number; warmupPushes: number };
  /** Concurrent clients each on a workspace of its own, against `push.clients` on one. */
  workspaces: { clients: number };
  pull: { limit: number; warmupPages: number };
  fanout: { subscribers: number; rounds: number; warmupRounds: number; timeoutMs: number };
  /** Fan-out at scale: every subscriber on the first instance. */
  fanout10k: { subscribers: number; rounds: number; warmupRounds: number; timeoutMs: number };
  bandwidth: { tasks: number; behindShare: number; limit: number };
  client: { entities: number; edits: number };
}

// The figures; --quick scales them down for a run of well under a minute.
const full = {
  push: { changes: 20_000, batchSize: 100, clients: 4, warmupChanges: 2_000 },
  single: { pushes: 1_000, warmupPushes: 200 },
  workspaces: { clients: 16 },
  pull: { limit: 1000, warmupPages: 4 },
  fanout: { subscribers: 1000, rounds: 20, warmupRounds: 3, timeoutMs: 15_000 },
  fanout10k: { subscribers: 10_000, rounds: 10, warmupRounds: 2, timeoutMs: 60_000 },
  bandwidth: { tasks: 10_000, behindShare: 0.01, limit: 1000 },
  client: { entities: 100_000, edits: 1000 },
};

const quick = {
  push: { changes: 4_000, batchSize: 100, clients: 4, warmupChanges: 800 },
  single: { pushes: 300, warmupPushes: 50 },
  workspaces: { clients: 16 },
  pull: { limit: 1000, warmupPages: 2 },
  fanout: { subscribers: 200, rounds: 8, warmupRounds: 2, timeoutMs: 15_000 },
  fanout10k: { subscribers: 1_000, rounds: 4, warmupRounds: 1, timeoutMs: 30_000 },
  bandwidth: { tasks: 2_000, behindShare: 0.01, limit: 1000 },
  client: { entities: 10_000, edits: 200 },
};

const usage = `npm run bench -- [--quick] [--only ${allScenarios.join(',')}]
                    [--subscribers N] [--subscribers10k N]
                    [--profile [--profile-dir bench/profiles]] [--out bench/results.json]

Scenarios (all by default; bench/README.md says what each figure measures):
  push        100-change batches, 4 clients on one workspace, against raw upserts
  single      one-change pushes from one client: p50 latency and server CPU per push
  workspaces  16 clients on 16 workspaces against 4 clients on one (throughput ratio)
  pull        changesSince pages against a raw SELECT
  fanout      1,000 subscribers of one workspace, over every instance
  fanout10k   10,000 subscribers on one instance: delivery p95 and memory per subscriber
  bandwidth   bytes of a delta catch-up against a full one
  client      100,000 stored entities: client time to ready, per-edit persist, memory

Runs on PostgreSQL when DATABASE_URL is set (an admin URL: a scratch database is created and
dropped), else on PGlite. With REDIS_URL and PostgreSQL, fan-out spreads its subscribers
over two server instances sharing events through Redis.`;

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      subscribers: { type: 'string' },
      subscribers10k: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'profile-dir': { type: 'string', default: 'bench/profiles' },
      out: { type: 'string', default: 'bench/results.json' },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const sizes = structuredClone(values.quick ? quick : full);
  if (values.subscribers !== undefined) sizes.fanout.subscribers = positiveInt(values.subscribers);
  if (values.subscribers10k !== undefined) {
    sizes.fanout10k.subscribers = positiveInt(values.subscribers10k);
  }
  return {
    quick: values.quick,
    scenarios: parseScenarios(values.only),
    profileDir: values.profile ? values['profile-dir'] : null,
    output: values.out,
    databaseUrl: env.DATABASE_URL || undefined,
    redisUrl: env.REDIS_URL || undefined,
    ...sizes,
  };
}

function parseScenarios(only: string | undefined): Set<Scenario> {
  if (!only) return new Set(allScenarios);
  const names = only.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !allScenarios.includes(name as Scenario));
  if (unknown.length > 0) throw new Error(`Unknown scenario ${unknown.join(', ')}\n${usage}`);
  return new Set(names as Scenario[]);
}

function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`Not a positive integer: ${value}`);
  return parsed;
}
