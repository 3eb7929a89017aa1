import { parseArgs } from 'node:util';

export type Scenario = 'push' | 'pull' | 'fanout' | 'bandwidth' | 'client';
const allScenarios: readonly Scenario[] = ['push', 'pull', 'fanout', 'bandwidth', 'client'];

export interface BenchOptions {
  quick: boolean;
  scenarios: Set<Scenario>;
  /** Servers run with --cpu-prof, writing .cpuprofile files here. */
  profileDir: string | null;
  output: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  push: { changes: number; batchSize: number; clients: number; warmupChanges: number };
  pull: { limit: number; warmupPages: number };
  fanout: { subscribers: number; rounds: number; warmupRounds: number; timeoutMs: number };
  bandwidth: { tasks: number; behindShare: number; limit: number };
  client: { entities: number; edits: number };
}

// The figures; --quick scales them down for a run of well under a minute.
const full = {
  push: { changes: 20_000, batchSize: 100, clients: 4, warmupChanges: 2_000 },
  pull: { limit: 1000, warmupPages: 4 },
  fanout: { subscribers: 1000, rounds: 20, warmupRounds: 3, timeoutMs: 15_000 },
  bandwidth: { tasks: 10_000, behindShare: 0.01, limit: 1000 },
  client: { entities: 100_000, edits: 1000 },
};

const quick = {
  push: { changes: 4_000, batchSize: 100, clients: 4, warmupChanges: 800 },
  pull: { limit: 1000, warmupPages: 2 },
  fanout: { subscribers: 200, rounds: 8, warmupRounds: 2, timeoutMs: 15_000 },
  bandwidth: { tasks: 2_000, behindShare: 0.01, limit: 1000 },
  client: { entities: 10_000, edits: 200 },
};

const usage = `npm run bench -- [--quick] [--only push,pull,fanout,bandwidth,client] [--subscribers N]
                    [--profile [--profile-dir bench/profiles]] [--out bench/results.json]

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
