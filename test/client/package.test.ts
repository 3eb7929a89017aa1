import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../support/database.ts';
import { startTestServer } from '../support/server.ts';
import { createWorkspace, type Entity, syncClient } from '../support/sync.ts';

/**
 * The client as an app gets it: `npm pack` of client/ (which builds it), installed into an
 * app outside the repository, imported by its package name from plain JavaScript and from
 * TypeScript against the shipped declarations.
 */
const run = promisify(execFile);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const clientDir = join(repoRoot, 'client');
const repoModules = join(repoRoot, 'node_modules');
// Liveness guards for child processes (npm, tsc, node) on a busy shared machine.
const commandTimeoutMs = 150_000;

interface ClientManifest {
  name: string;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
}

let app: string;
let manifest: ClientManifest;

/** Packs client/ into `app`: prepack builds client/dist first. Returns the tarball's path. */
async function packClient(): Promise<string> {
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', app], {
    cwd: clientDir,
    timeout: commandTimeoutMs,
  });
  const tarball = stdout.trim().split('\n').at(-1);
  if (!tarball) throw new Error(`npm pack printed no file name: ${stdout}`);
  return join(app, tarball);
}

/**
 * The machine running the tests has no registry, so the package's third-party dependencies
 * cannot be downloaded, and the npm cache holds tarballs but no registry metadata, so
 * `npm install --offline` cannot resolve them either. The app's node_modules therefore gets a
 * symlink per dependency (and peer dependency) the package declares, to the copy this repo
 * installed; npm accepts an existing link whose version satisfies the range and installs only
 * the tarball itself. Links are made to real paths, so each dependency finds its own
 * dependencies next to it in the repo's node_modules, as Node resolves from the real path.
 * Anything the package uses but does not declare stays unresolvable and fails the test.
 */
async function linkDeclaredDependencies(names: string[]): Promise<void> {
  for (const name of names) {
    const link = join(app, 'node_modules', name);
    await mkdir(dirname(link), { recursive: true });
    await symlink(await realpath(join(repoModules, name)), link, 'dir');
  }
}

async function installApp(): Promise<void> {
  const optional = (name: string) => manifest.peerDependenciesMeta[name]?.optional === true;
  const peers = Object.keys(manifest.peerDependencies);
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify({ name: 'converge-test-app', private: true, type: 'module' }),
  );
  await linkDeclaredDependencies([
    ...Object.keys(manifest.dependencies),
    ...peers.filter((name) => !optional(name)),
  ]);
  const tarball = await packClient();
  await run(
    'npm',
    [
      'install',
      '--offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--no-package-lock',
      tarball,
    ],
    { cwd: app, timeout: commandTimeoutMs },
  );
  // What a React app installs itself (npm prunes links nothing requires, so these come after):
  // the optional peers the hooks need, and the type packages of Node and React.
  await linkDeclaredDependencies([...peers.filter(optional), '@types/node', '@types/react']);
}

/** Edits made with the server unreachable, then sent by a later run that reaches it. */
const offlineEditScript = `
import { createSyncClient } from '@converge/client';
import { useTaskQuery } from '@converge/client/hooks';

const [phase, url, storageDir] = process.argv.slice(2);
const sync = createSyncClient({
  url,
  token: process.env.CONVERGE_TOKEN,
  workspaceId: process.env.CONVERGE_WORKSPACE,
  storage: { file: storageDir },
  live: phase === 'online',
  retry: { baseMs: 20, maxMs: 200 },
});
await sync.ready;
const report = { hooks: typeof useTaskQuery };
if (phase === 'offline') {
  report.taskId = sync.tasks.create({ title: 'Count pallets', tags: ['dock-3'] });
  sync.tasks.update(report.taskId, { timeSpentDelta: 15 });
} else {
  await sync.flush();
}
// A moment for the offline run to try (and fail) to reach the closed port.
await new Promise((resolve) => setTimeout(resolve, 100));
report.status = sync.status;
await sync.close();
console.log(JSON.stringify(report));
`;

const typedConsumer = `
import { createSyncClient, type SyncStatus } from '@converge/client';
import { useTaskQuery } from '@converge/client/hooks';
import { createMemoryStorage } from '@converge/client/storage';

const sync = createSyncClient({ url: 'http://127.0.0.1:4000', token: 't', workspaceId: 'w', storage: createMemoryStorage() });
const status: SyncStatus = sync.status;
const pending: number = status.pending;
const id: string = sync.tasks.create({ title: 'Typed' });
// @ts-expect-error the declarations type the fields: a title is a string
sync.tasks.create({ title: 42 });
export const used = [pending, id, useTaskQuery];
`;

async function runScript(args: string[], env: Record<string, string>) {
  const { stdout } = await run(process.execPath, [join(app, 'offline-edit.mjs'), ...args], {
    cwd: app,
    env: { ...process.env, ...env },
    timeout: commandTimeoutMs,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as {
    hooks: string;
    taskId?: string;
    status: { online: boolean; pending: number };
  };
}

async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as { port: number };
  await new Promise((done) => probe.close(done));
  return `http://127.0.0.1:${port}/graphql`;
}

describe('the client as an installed package', () => {
  beforeAll(async () => {
    app = await mkdtemp(join(tmpdir(), 'converge-app-'));
    manifest = JSON.parse(await readFile(join(clientDir, 'package.json'), 'utf8'));
    await installApp();
    await writeFile(join(app, 'offline-edit.mjs'), offlineEditScript);
  }, 2 * commandTimeoutMs);

  afterAll(async () => {
    if (app) await rm(app, { recursive: true, force: true });
  });

  it('declares React as a peer dependency and ships only built JavaScript with declarations', async () => {
    expect(manifest.name).toBe('@converge/client');
    expect(manifest.peerDependencies).toHaveProperty('react');
    expect(manifest.dependencies).not.toHaveProperty('react');
    const installed = join(app, 'node_modules', '@converge', 'client');
    const { stdout } = await run('find', [installed, '-type', 'f', '-name', '*.ts'], {
      cwd: app,
    });
    const sources = stdout.split('\n').filter((file) => file && !file.endsWith('.d.ts'));
    expect(sources).toEqual([]);
  });

  it.each(testDatabaseKinds())(
    'keeps edits made offline and sends them once the server is reachable (%s)',
    async (kind) => {
      const server = await startTestServer(kind);
      try {
        const workspaceId = await createWorkspace(server, 'ada');
        const env = { CONVERGE_TOKEN: await server.token('ada'), CONVERGE_WORKSPACE: workspaceId };
        const storageDir = join(app, `storage-${kind}`);

        const offline = await runScript(['offline', await closedPortUrl(), storageDir], env);
        expect(offline.hooks).toBe('function');
        expect(offline.status.online).toBe(false);
        expect(offline.status.pending).toBeGreaterThan(0);
        const before = await syncClient(server, 'ada', workspaceId).pullAll();
        expect(before.entities).toEqual([]);

        const online = await runScript(['online', `${server.url}/graphql`, storageDir], env);
        expect(online.status).toMatchObject({ online: true, pending: 0 });

        const after = await syncClient(server, 'ada', workspaceId).pullAll();
        const tasks = after.entities.filter((entity: Entity) => entity.id === offline.taskId);
        // Once: one task, its time delta added a single time.
        expect(tasks).toEqual([
          expect.objectContaining({
            title: 'Count pallets',
            tags: ['dock-3'],
            timeSpentMinutes: 15,
          }),
        ]);
      } finally {
        await server.stop();
      }
    },
    2 * commandTimeoutMs,
  );

  it(
    'runs from a TypeScript file with top-level await under tsx, the app being an ES module package',
    async () => {
      // The reported "Top-level await is currently not supported with the cjs output format":
      // tsx compiles .ts as CommonJS unless the app's package.json says "type": "module".
      await writeFile(
        join(app, 'top-level-await.ts'),
        `import { createSyncClient, type SyncStatus } from '@converge/client';
const sync = createSyncClient({ url: '${await closedPortUrl()}', token: 't', workspaceId: 'w', storage: 'memory', live: false });
await sync.ready;
const status: SyncStatus = sync.status;
await sync.close();
console.log(JSON.stringify({ pending: status.pending }));
`,
      );
      const tsx = join(repoModules, 'tsx', 'dist', 'cli.mjs');
      const { stdout } = await run(process.execPath, [tsx, join(app, 'top-level-await.ts')], {
        cwd: app,
        timeout: 60_000,
      });
      expect(JSON.parse(stdout.trim())).toEqual({ pending: 0 });
    },
    commandTimeoutMs,
  );
  it(
    'type-checks a TypeScript app against the shipped declarations',
    async () => {
      await writeFile(join(app, 'consumer.ts'), typedConsumer);
      await writeFile(
        join(app, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            lib: ['ES2023', 'DOM'],
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            noEmit: true,
            types: ['node'],
          },
          files: ['consumer.ts'],
        }),
      );
      const tsc = join(repoModules, 'typescript', 'bin', 'tsc');
      const result = await run(process.execPath, [tsc, '-p', join(app, 'tsconfig.json')], {
        cwd: app,
        timeout: commandTimeoutMs,
      }).catch((error: { stdout?: string }) => ({ stdout: `failed: ${error.stdout}` }));
      expect(result.stdout).toBe('');
    },
    commandTimeoutMs,
  );
});
