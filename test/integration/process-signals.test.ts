import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess } from '../fault/server-process.ts';

// A process manager (systemd, Docker, a terminal's Ctrl-C, `kill`) signals the process it
// started: for `npm start` that is npm, with a shell and the server below it. Each signal
// must reach the server, and the whole chain must exit and free the port.
const root = resolve(import.meta.dirname, '../..');

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'converge-signals-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

/** Every live process below `pid` (Linux /proc), so a survivor in the chain is caught. */
function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // The command name in parentheses may hold spaces: the parent pid follows its ')'.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [pid];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const child of children.get(next) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, 100));
    alive = alive.filter(isAlive);
  }
  return alive;
}

/** Resolves when a fresh listener can bind `port`: the stopped server let go of it. */
function bindsPort(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
  });
}

// `--ignore-scripts` skips prestart (the dashboard build), not the start script itself.
const npmStart = ['npm', 'start', '--ignore-scripts', '--silent'] as const;

describe('stopping `npm start`', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops the whole process chain and frees the port on ${signal} to npm`, async () => {
      const env = { HOME: process.env.HOME ?? tmpdir(), DATA_DIR: join(dataDir, signal) };
      const server = await startServerProcess({ command: npmStart, env, cwd: root });
      const npmPid = server.child.pid ?? 0;
      const chain = descendantsOf(npmPid);
      expect(chain.length).toBeGreaterThan(0);

      const exit = await server.stop(signal);
      const survivors = await waitUntilGone(chain, 10_000);
      expect({ survivors, killedAfterTimeout: exit.signal === 'SIGKILL' }).toEqual({
        survivors: [],
        killedAfterTimeout: false,
      });
      expect(await bindsPort(server.port)).toBe(true);
      expect(server.output()).toContain('shutting down');

      // And the next start on the same port and data works.
      const again = await startServerProcess({
        command: npmStart,
        env,
        cwd: root,
        port: server.port,
      });
      try {
        expect((await fetch(`${again.url}/health`)).status).toBe(200);
      } finally {
        await again.stop('SIGTERM');
      }
    }, 180_000);
  }
});
