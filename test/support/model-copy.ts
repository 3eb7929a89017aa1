/**
 * A throwaway copy of the repository with another model.graphql, generated as a team would
 * (`npm run generate`), so tests can run the whole project on a model it does not ship with.
 * Only tracked files are copied (as on a fresh clone); node_modules is a symlink to ours, and
 * nothing is downloaded (Prisma generate runs without its engine, as scripts/prisma-generate.mjs
 * does everywhere).
 */

import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  type ServerProcess,
  startServerProcess,
  tsxServerCommand,
} from '../fault/server-process.ts';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from './database.ts';

const run = promisify(execFile);
export const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface ModelCopy {
  /** The copy's root: run npm scripts, the server or tests with this as working directory. */
  dir: string;
  remove(): Promise<void>;
}

export interface ModelCopyOptions {
  /** The text of the copy's model.graphql. */
  model: string;
}

/** Runs an npm script in the copy; rejects with the script's output when it fails. */
export async function runNpm(
  dir: string,
  args: readonly string[],
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run('npm', ['run', '--silent', ...args], {
      cwd: dir,
      env: { ...process.env, npm_config_update_notifier: 'false' },
      maxBuffer: 32 * 1024 * 1024,
      timeout: 5 * 60_000,
    });
  } catch (error) {
    const failed = error as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `npm run ${args.join(' ')} failed in ${dir}:\n${failed.stdout ?? ''}${failed.stderr ?? failed.message}`,
    );
  }
}

export async function createModelCopy(options: ModelCopyOptions): Promise<ModelCopy> {
  const dir = await mkdtemp(join(tmpdir(), 'converge-model-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    await copyTrackedFiles(dir);
    await symlink(await realpath(join(repositoryRoot, 'node_modules')), join(dir, 'node_modules'));
    await writeFile(join(dir, 'model.graphql'), options.model);
    await runNpm(dir, ['generate']);
    return { dir, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

async function copyTrackedFiles(target: string): Promise<void> {
  const { stdout } = await run('git', ['ls-files', '-z'], {
    cwd: repositoryRoot,
    maxBuffer: 32 * 1024 * 1024,
  });
  const files = stdout.split('\0').filter((file) => file !== '');
  for (const file of files) {
    const destination = join(target, file);
    await mkdir(dirname(destination), { recursive: true });
    // A tracked file deleted in the working tree is not part of it any more.
    await copyFile(join(repositoryRoot, file), destination).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      },
    );
  }
}

export interface ModelServerOptions {
  /** The text of the copy's model.graphql. */
  model: string;
  kind: TestDatabaseKind;
  /** The HS256 secret the server verifies tokens with. */
  secret: string;
  /** Runs in the copy after its migration is written, before the server starts (a page build). */
  prepare?: (dir: string) => Promise<void>;
}

export interface ModelServer {
  copy: ModelCopy;
  server: ServerProcess;
  /** Stops the server, drops its database and removes the copy. */
  stop(): Promise<void>;
}

/**
 * A server of another model, started as a team would after editing model.graphql: a generated
 * copy, `npm run db:migration -- model`, then the server (applying it) on a fresh database.
 */
export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  const copy = await createModelCopy({ model: options.model });
  let database: TestDatabase | undefined;
  let server: ServerProcess | undefined;
  const stop = async () => {
    await server?.stop();
    await database?.drop();
    await copy.remove();
  };
  try {
    await runNpm(copy.dir, ['db:migration', '--', 'model']);
    await options.prepare?.(copy.dir);
    database = await createTestDatabase(options.kind);
    server = await startServerProcess({
      command: tsxServerCommand,
      cwd: copy.dir,
      env: {
        AUTH_SECRET: options.secret,
        DATA_DIR: database.options.dataDir ?? join(copy.dir, 'data'),
        ...(database.options.databaseUrl ? { DATABASE_URL: database.options.databaseUrl } : {}),
        LOG_LEVEL: 'warn',
      },
    });
    return { copy, server, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
