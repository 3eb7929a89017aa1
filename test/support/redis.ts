import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A free loopback port, found by letting the kernel pick one. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Whether the suites that need Redis run: when REDIS_URL is set, as those that need PostgreSQL
 * run when DATABASE_URL is (CI sets both). They start redis-server processes of their own, to
 * stop and restart them, so such a machine needs the `redis-server` binary too; a machine with
 * Node alone runs everything else.
 */
export const redisSuitesEnabled = Boolean(process.env.REDIS_URL);

/**
 * A redis-server process of the test's own on a free loopback port, so a test can stop and
 * restart it without touching the shared Redis other suites use.
 */
export async function startRedis(port?: number) {
  const chosen = port ?? (await freePort());
  let child: ChildProcess | null = null;

  async function start(): Promise<void> {
    child = spawn(
      'redis-server',
      ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const started = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('redis-server did not start in 10 s')),
        10_000,
      );
      started.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'ENOENT'
            ? new Error(
                'REDIS_URL is set but redis-server is not installed (apt-get install redis-server)',
              )
            : error,
        ),
      );
      started.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  async function stop(): Promise<void> {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  }

  await start();
  return { url: `redis://127.0.0.1:${chosen}`, port: chosen, start, stop };
}
