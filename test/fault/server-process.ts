import { type ChildProcess, spawn } from 'node:child_process';
import { signToken } from '../../server/auth/jwt.ts';
import { freePort } from '../support/redis.ts';
import type { GraphQLResponse } from '../support/server.ts';

/**
 * A Converge server in a child process, as an operator runs it: tests stop it with SIGTERM,
 * kill it with SIGKILL, and start it again on the same data.
 */
export interface ServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` and waits for the exit (SIGKILL after `timeoutMs`). */
  stop(
    signal?: NodeJS.Signals,
    timeoutMs?: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ServerProcessOptions {
  /** The command, e.g. ['node', 'dist/server/main.js'] or ['node', '--import', 'tsx', 'server/main.ts']. */
  command: readonly string[];
  env: Record<string, string>;
  cwd?: string;
  port?: number;
  readyTimeoutMs?: number;
}

/** The dev server entry run through tsx's loader, without npx's start-up cost. */
export const tsxServerCommand = ['node', '--import', 'tsx', 'server/main.ts'] as const;

export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const [executable, ...args] = options.command;
  if (!executable) throw new Error('empty command');
  const child = spawn(executable === 'node' ? process.execPath : executable, args, {
    cwd: options.cwd ?? process.cwd(),
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', ...options.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  const server: ServerProcess = {
    url,
    port,
    child,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM', timeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  try {
    await waitForReady(server, options.readyTimeoutMs ?? 90_000);
  } catch (error) {
    await server.stop('SIGKILL');
    throw error;
  }
  return server;
}

async function waitForReady(server: ServerProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void server.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`server exited before it was ready:\n${server.output()}`);
    const ready = await fetch(`${server.url}/ready`).then(
      async (response) => {
        await response.body?.cancel();
        return response.ok;
      },
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`server not ready after ${timeoutMs} ms:\n${server.output()}`);
}

/** POSTs a GraphQL operation as `userId` (a token signed with `secret`) to `url`. */
export async function graphqlAt<T = Record<string, unknown>>(
  url: string,
  auth: { secret: string; userId: string } | null,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GraphQLResponse<T> & { headers: Headers }> {
  const token = auth ? await signToken(auth.secret, auth.userId) : null;
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: Omit<GraphQLResponse<T>, 'status'>;
  try {
    body = JSON.parse(text) as Omit<GraphQLResponse<T>, 'status'>;
  } catch {
    body = { errors: [{ message: `not JSON (${response.status}): ${text.slice(0, 200)}` }] };
  }
  return { ...body, status: response.status, headers: response.headers };
}
