import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { signToken } from '../server/auth/jwt.ts';
import { createTemporaryDatabase } from '../server/db/adapters.ts';

/** One line of a server's pino output, as far as the bench reads it. */
export interface LogLine {
  msg?: string;
  time?: number;
  requestId?: string;
  [key: string]: unknown;
}

export interface ServerProcess {
  name: string;
  url: string;
  pid: number;
  /** The push log line of a request id, once the server wrote it (its `time` is the commit). */
  pushLog(requestId: string): LogLine | undefined;
  /** Resident set size from /proc, in MiB (null where /proc is unavailable). */
  rssMb(): Promise<number | null>;
  /** CPU time (user + system) the process has used so far, in ms, from /proc (null without). */
  cpuMs(): Promise<number | null>;
  stop(): Promise<void>;
}

export interface Cluster {
  database: 'postgresql' | 'pglite';
  /** The scratch database's URL (PostgreSQL only), for the raw baselines. */
  databaseUrl: string | null;
  redis: boolean;
  servers: ServerProcess[];
  token(userId: string): Promise<string>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  adminDatabaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** Instances wanted; PGlite allows one (it is a single-process database). */
  instances: number;
  profileDir: string | null;
}

// Generous: on a shared two-core machine, compiling the server alone can take a minute.
const startTimeoutMs = 180_000;
const stopTimeoutMs = 15_000;

/**
 * A scratch database and Converge servers started as `npm start` would (own processes, so
 * their memory and CPU are theirs alone), sharing one secret so the bench can sign tokens.
 * stop() ends the processes and drops the database, also after a failure half-way.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const secret = randomBytes(32).toString('base64url');
  const dataDir = await mkdtemp(join(tmpdir(), 'converge-bench-'));
  const scratch = options.adminDatabaseUrl
    ? await createTemporaryDatabase(options.adminDatabaseUrl, 'converge_bench')
    : null;
  const servers: ServerProcess[] = [];
  const stop = async () => {
    await Promise.allSettled(servers.map((server) => server.stop()));
    await scratch?.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const instances = scratch ? options.instances : 1;
    const redis = Boolean(scratch && options.redisUrl && instances > 1);
    if (options.profileDir) await mkdir(options.profileDir, { recursive: true });
    // One at a time: the first applies the migrations, the others find nothing pending.
    for (let index = 0; index < instances; index++) {
      servers.push(
        await startServer({
          name: `server-${index + 1}`,
          environment: {
            HOST: '127.0.0.1',
            PORT: '0',
            DATA_DIR: dataDir,
            AUTH_SECRET: secret,
            LOG_LEVEL: 'info',
            // Abuse limits are not what is measured: 20,000 changes a minute from four users
            // is the load under test, not an attack.
            RATE_LIMIT_USER_REQUESTS_PER_MINUTE: '0',
            RATE_LIMIT_USER_CHANGES_PER_MINUTE: '0',
            RATE_LIMIT_WORKSPACE_CHANGES_PER_MINUTE: '0',
            ...(scratch ? { DATABASE_URL: scratch.url } : {}),
            ...(redis && options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
          },
          profileDir: options.profileDir,
        }),
      );
    }
    return {
      database: scratch ? 'postgresql' : 'pglite',
      databaseUrl: scratch?.url ?? null,
      redis,
      servers,
      token: (userId) => signToken(secret, userId),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

interface ServerStart {
  name: string;
  environment: Record<string, string>;
  profileDir: string | null;
}

// Variables the bench sets itself: inherited ones would point servers elsewhere.
const ownVariables = ['DATABASE_URL', 'REDIS_URL', 'PORT', 'HOST', 'DATA_DIR', 'AUTH_SECRET'];

async function startServer(start: ServerStart): Promise<ServerProcess> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !ownVariables.includes(name)),
  );
  const profile = start.profileDir
    ? ['--cpu-prof', '--cpu-prof-dir', resolve(start.profileDir)]
    : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'server/main.ts'], {
    env: { ...inherited, ...start.environment, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs = tapLogs(child);
  try {
    const ready = await logs.waitFor((line) => line.msg === 'Converge is ready', startTimeoutMs);
    const url = new URL(String(ready.url));
    return {
      name: start.name,
      url: url.origin,
      pid: child.pid as number,
      pushLog: (requestId) => logs.pushes.get(requestId),
      rssMb: () => residentMb(child.pid as number),
      cpuMs: () => processCpuMs(child.pid as number),
      stop: () => stopProcess(child),
    };
  } catch (error) {
    await stopProcess(child);
    throw new Error(`${start.name} did not start: ${(error as Error).message}\n${logs.stderr()}`);
  }
}

function tapLogs(child: ChildProcess) {
  const pushes = new Map<string, LogLine>();
  const waiters = new Set<(line: LogLine) => void>();
  const stderrTail: string[] = [];
  let exited: string | null = null;
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    if (!text.startsWith('{')) return;
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      return;
    }
    if (line.msg === 'push' && typeof line.requestId === 'string') pushes.set(line.requestId, line);
    for (const waiter of waiters) waiter(line);
  });
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (text) => {
    stderrTail.push(text);
    if (stderrTail.length > 40) stderrTail.shift();
  });
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
    for (const waiter of waiters) waiter({});
  });
  return {
    pushes,
    stderr: () => stderrTail.join('\n'),
    waitFor(match: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
      return new Promise((resolvePromise, reject) => {
        const timer = setTimeout(
          () => finish(new Error(`no such log line in ${timeoutMs} ms`)),
          timeoutMs,
        );
        const waiter = (line: LogLine) => {
          if (exited) finish(new Error(exited));
          else if (match(line)) finish(null, line);
        };
        const finish = (error: Error | null, line?: LogLine) => {
          clearTimeout(timer);
          waiters.delete(waiter);
          if (error) reject(error);
          else resolvePromise(line as LogLine);
        };
        waiters.add(waiter);
      });
    },
  };
}

/** SIGTERM (the server stops cleanly and writes its CPU profile), SIGKILL if it hangs. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
  await exited;
  clearTimeout(timer);
}

async function residentMb(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb === undefined ? null : Number(kb) / 1024;
  } catch {
    return null;
  }
}

/**
 * utime + stime of /proc/<pid>/stat (fields 14 and 15, in clock ticks). Read from outside,
 * so measuring costs the server nothing; ticks are 10 ms, so callers divide a long run.
 */
async function processCpuMs(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces: count fields after its closing ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / clockTicksPerSecond() : null;
  } catch {
    return null;
  }
}

let ticksPerSecond: number | null = null;

function clockTicksPerSecond(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
    } catch {
      ticksPerSecond = 100; // Linux's USER_HZ nearly everywhere
    }
  }
  return ticksPerSecond;
}
