import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../server/auth/jwt.ts';
import { configVariableNames, parseConfig } from '../../server/config.ts';
import { graphqlAt, type ServerProcess, startServerProcess } from '../fault/server-process.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { redisSuitesEnabled, startRedis } from '../support/redis.ts';
import { subscribeSse } from '../support/subscriptions.ts';

const root = resolve(import.meta.dirname, '../..');

// ---------------------------------------------------------------------------------------
// (a) docker-compose.yml against server/config.ts

/**
 * The YAML that docker-compose.yml uses, and no more: block mappings and sequences, plain
 * and quoted scalars, flow sequences of scalars, comments. Anything else throws, so an edit
 * that needs a real YAML parser fails here loudly instead of being misread.
 */
type Yaml = string | null | Yaml[] | { [key: string]: Yaml };

interface Line {
  indent: number;
  text: string;
  number: number;
}

function parseYaml(source: string): Yaml {
  const lines: Line[] = source.split('\n').flatMap((raw, index) => {
    const text = stripComment(raw).trimEnd();
    if (text.trim() === '') return [];
    if (text.includes('\t')) throw new Error(`line ${index + 1}: tabs are not supported`);
    return [
      { indent: text.length - text.trimStart().length, text: text.trim(), number: index + 1 },
    ];
  });
  const [value, next] = parseBlock(lines, 0, lines[0]?.indent ?? 0);
  if (next !== lines.length) throw new Error(`line ${lines[next]?.number}: unexpected indentation`);
  return value;
}

function stripComment(line: string): string {
  let quote: string | null = null;
  for (let index = 0; index < line.length; index++) {
    const char = line[index];
    if (quote) {
      if (char === quote) quote = null;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === '#' && (index === 0 || /\s/.test(line[index - 1] ?? '')))
      return line.slice(0, index);
  }
  return line;
}

function parseBlock(lines: Line[], start: number, indent: number): [Yaml, number] {
  const first = lines[start];
  if (!first) return [null, start];
  return first.text.startsWith('- ') || first.text === '-'
    ? parseSequence(lines, start, indent)
    : parseMapping(lines, start, indent);
}

function parseSequence(lines: Line[], start: number, indent: number): [Yaml[], number] {
  const items: Yaml[] = [];
  let index = start;
  for (let line = lines[index]; line && line.indent === indent; line = lines[index]) {
    if (!line.text.startsWith('- ')) throw new Error(`line ${line.number}: expected "- item"`);
    const item = line.text.slice(2).trim();
    if (/^[A-Za-z0-9_.-]+:(\s|$)/.test(item)) {
      throw new Error(`line ${line.number}: mappings inside sequences are not supported`);
    }
    items.push(parseScalar(item, line.number));
    index++;
  }
  return [items, index];
}

function parseMapping(
  lines: Line[],
  start: number,
  indent: number,
): [{ [key: string]: Yaml }, number] {
  const mapping: { [key: string]: Yaml } = {};
  let index = start;
  for (let line = lines[index]; line && line.indent === indent; line = lines[index]) {
    const match = /^([A-Za-z0-9_.-]+):(?:\s+(.*))?$/.exec(line.text);
    if (!match?.[1]) throw new Error(`line ${line.number}: expected "key: value"`);
    const key = match[1];
    if (key in mapping) throw new Error(`line ${line.number}: duplicate key ${key}`);
    index++;
    if (match[2] !== undefined && match[2] !== '') {
      mapping[key] = parseScalar(match[2], line.number);
      continue;
    }
    const next = lines[index];
    if (next && next.indent > indent) [mapping[key], index] = parseBlock(lines, index, next.indent);
    else mapping[key] = null;
  }
  return [mapping, index];
}

function parseScalar(text: string, lineNumber: number): Yaml {
  if (text.startsWith('"')) return JSON.parse(text) as string;
  if (text.startsWith("'")) {
    if (!text.endsWith("'")) throw new Error(`line ${lineNumber}: unterminated string`);
    return text.slice(1, -1).replaceAll("''", "'");
  }
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) throw new Error(`line ${lineNumber}: multi-line flow sequence`);
    return splitFlow(text.slice(1, -1)).map((item) => parseScalar(item, lineNumber));
  }
  if (/^[{|>&*!%@`]/.test(text)) throw new Error(`line ${lineNumber}: unsupported YAML: ${text}`);
  return text;
}

function splitFlow(body: string): string[] {
  const items: string[] = [];
  let quote: string | null = null;
  let current = '';
  for (const char of body) {
    if (quote) {
      if (char === quote) quote = null;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === ',') {
      items.push(current.trim());
      current = '';
      continue;
    }
    current += char;
  }
  if (current.trim() !== '') items.push(current.trim());
  return items;
}

/** Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}`, from `variables`. */
function interpolate(value: string, variables: Record<string, string>): string {
  return value.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g,
    (_, name: string, op, arg) => {
      const set = variables[name];
      if (set !== undefined && set !== '') return set;
      if (op === ':-' || op === '-') return arg ?? '';
      if (op === ':?' || op === '?') throw new Error(`${name} is required: ${arg}`);
      return '';
    },
  );
}

function readEnvFile(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

const asMapping = (value: Yaml | undefined, what: string): { [key: string]: Yaml } => {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${what} must be a mapping`);
  return value;
};

describe('deployment files', () => {
  let compose: { [key: string]: Yaml };

  beforeAll(async () => {
    compose = asMapping(
      parseYaml(await readFile(join(root, 'docker-compose.yml'), 'utf8')),
      'compose',
    );
  });

  it('sets for the API only variables that server/config.ts accepts, with values it accepts', async () => {
    const services = asMapping(compose.services, 'services');
    const api = asMapping(services.api, 'services.api');
    const environment = asMapping(api.environment, 'services.api.environment');
    const names = Object.keys(environment);
    expect(names.filter((name) => !configVariableNames.includes(name))).toEqual([]);

    const example = readEnvFile(await readFile(join(root, 'deploy', 'env.example'), 'utf8'));
    const values = Object.fromEntries(
      Object.entries(environment).map(([name, value]) => [
        name,
        interpolate(String(value), example),
      ]),
    );
    const config = parseConfig(values);
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 4000,
      graphiql: false,
      introspection: false,
    });
    expect(config.databaseUrl).toMatch(/@postgres:5432\//);
    expect(config.redisUrl).toBe('redis://redis:6379');
    expect(config.authSecret).toBeDefined();
    // docs/operations.md, Configuration: the production environment (AUTH_JWKS_URL is the
    // alternative to AUTH_SECRET).
    for (const name of [
      'PORT',
      'HOST',
      'DATA_DIR',
      'DATABASE_URL',
      'REDIS_URL',
      'AUTH_SECRET',
      'MAX_BATCH',
      'MIGRATE_ON_START',
      'LOG_LEVEL',
    ]) {
      expect(names, name).toContain(name);
    }
    // Without them compose refuses to start rather than running with a guessable secret.
    expect(() => interpolate(String(environment.AUTH_SECRET), {})).toThrow(
      /AUTH_SECRET is required/,
    );
  });

  it('runs two API replicas with health checks behind a load balancer that passes WebSockets', async () => {
    const services = asMapping(compose.services, 'services');
    const api = asMapping(services.api, 'api');
    expect(asMapping(api.deploy, 'api.deploy').replicas).toBe('2');
    expect(JSON.stringify(asMapping(api.healthcheck, 'api.healthcheck').test)).toContain('/ready');
    expect(Object.keys(asMapping(api.depends_on, 'api.depends_on')).sort()).toEqual([
      'postgres',
      'redis',
    ]);
    for (const name of ['postgres', 'redis', 'lb']) {
      expect(asMapping(services[name], name).healthcheck, name).toBeTruthy();
    }
    const lb = asMapping(services.lb, 'lb');
    expect(lb.volumes).toEqual(['./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro']);
    const nginx = await readFile(join(root, 'deploy', 'nginx.conf'), 'utf8');
    expect(nginx).toContain('server api:4000');
    expect(nginx).toContain('proxy_set_header Upgrade $http_upgrade');
    expect(nginx).toContain('proxy_buffering off');
    // nginx must not refuse bodies the API accepts.
    const nginxMax = /client_max_body_size (\d+)m;/.exec(nginx)?.[1];
    const apiMax = asMapping(api.environment, 'environment').MAX_BODY_BYTES;
    expect(Number(nginxMax) * 1024 * 1024).toBeGreaterThanOrEqual(Number(apiMax));
  });

  it('builds the image from the same entry point as npm run start:prod', async () => {
    const dockerfile = await readFile(join(root, 'Dockerfile'), 'utf8');
    const packageJson = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(packageJson.scripts['start:prod']).toBe('exec node dist/server/main.js');
    expect(dockerfile).toContain('CMD ["node", "dist/server/main.js"]');
    expect(dockerfile).toMatch(
      /FROM node:20-slim AS build[\s\S]*npm run build[\s\S]*FROM node:20-slim/,
    );
  });
});

// ---------------------------------------------------------------------------------------
// (b), (c): the compiled server

const PUSH = `mutation($input: PushChangesInput!) {
  pushChanges(input: $input) { cursor results { status entity { ... on SyncRecord { id version } } } }
}`;
const PULL = `query($w: ID!, $cursor: Cursor) {
  changesSince(workspaceId: $w, cursor: $cursor) { cursor hasMore entities { ... on Task { id title timeSpentMinutes } } }
}`;
const CREATE_WORKSPACE = 'mutation { createWorkspace(name: "Deployed") { id } }';

/** Exit code of deploy/healthcheck.mjs against a server on `port`. */
async function healthcheck(port: number, path: string): Promise<number | null> {
  const child = spawn(process.execPath, [join(root, 'deploy', 'healthcheck.mjs'), path], {
    env: { PORT: String(port) },
    stdio: 'ignore',
  });
  return new Promise((done) => child.once('exit', done));
}

/** Runs `npm run build` into a scratch directory inside the project (node_modules resolves from there). */
async function build(outDir: string): Promise<void> {
  const child = spawn(process.execPath, [join(root, 'deploy', 'build.mjs'), '--outDir', outDir], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`build failed (${code}):\n${output}`);
}

const outDir = join(
  root,
  'node_modules',
  '.cache',
  `converge-build-test-${randomBytes(4).toString('hex')}`,
);
const entry = join(outDir, 'server', 'main.js');
const secret = randomBytes(32).toString('base64url');
let built: Promise<void> | undefined;
/** One build for the whole file, made by whichever suite needs it first. */
const ensureBuilt = () => {
  built ??= build(outDir);
  return built;
};
afterAll(() => rm(outDir, { recursive: true, force: true }));

async function pushTasks(url: string, workspaceId: string, userId: string, count: number) {
  const changes = Array.from({ length: count }, (_, index) => ({
    task: {
      mutationId: randomUUID(),
      id: randomUUID(),
      patch: { title: `task ${index}`, timeSpentDelta: 1 },
    },
  }));
  const response = await graphqlAt<{ pushChanges: { results: { status: string }[] } }>(
    url,
    { secret, userId },
    PUSH,
    { input: { workspaceId, clientId: randomUUID(), changes } },
  );
  expect(response.errors).toBeUndefined();
  return response.data?.pushChanges.results.map((result) => result.status);
}

describe('the compiled server', () => {
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(() => ensureBuilt(), 240_000);
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  it('runs as plain JavaScript on PGlite: ready, push, pull, and a clean exit on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'converge-deploy-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const server = await startServerProcess({
      command: ['node', entry],
      env: { DATA_DIR: dataDir, AUTH_SECRET: secret, LOG_LEVEL: 'info' },
    });
    cleanups.push(() => server.stop('SIGKILL'));
    const created = await graphqlAt<{ createWorkspace: { id: string } }>(
      server.url,
      { secret, userId: 'ops' },
      CREATE_WORKSPACE,
    );
    const workspaceId = created.data?.createWorkspace.id as string;
    expect(await pushTasks(server.url, workspaceId, 'ops', 3)).toEqual([
      'APPLIED',
      'APPLIED',
      'APPLIED',
    ]);
    const pulled = await graphqlAt<{ changesSince: { entities: unknown[] } }>(
      server.url,
      { secret, userId: 'ops' },
      PULL,
      { w: workspaceId },
    );
    expect(pulled.data?.changesSince.entities).toHaveLength(3);

    // The image's health check script, as Docker runs it.
    expect(await healthcheck(server.port, '/ready')).toBe(0);

    const exit = await server.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(server.output()).toContain('shutting down');
    expect(server.output()).not.toMatch(/"level":(50|60)/);
    expect(await healthcheck(server.port, '/health')).toBe(1);
  });
});

describe.runIf(process.env.DATABASE_URL && redisSuitesEnabled)(
  'the compose topology on loopback',
  () => {
    let database: TestDatabase;
    let redis: Awaited<ReturnType<typeof startRedis>>;
    let replicas: ServerProcess[];
    let balancer: RoundRobin;

    beforeAll(async () => {
      await ensureBuilt();
      database = await createTestDatabase('postgres');
      redis = await startRedis();
      const env = {
        DATABASE_URL: database.options.databaseUrl as string,
        REDIS_URL: redis.url,
        AUTH_SECRET: secret,
        DATA_DIR: database.options.dataDir,
        MIGRATE_ON_START: 'true',
        LOG_LEVEL: 'info',
      };
      // Started together on an empty database: both try to migrate, the advisory lock lets one.
      replicas = await Promise.all([
        startServerProcess({ command: ['node', entry], env }),
        startServerProcess({ command: ['node', entry], env }),
      ]);
      balancer = await roundRobin(replicas.map((replica) => replica.port));
    }, 300_000);
    afterAll(async () => {
      await balancer?.close();
      await Promise.all((replicas ?? []).map((replica) => replica.stop()));
      await redis?.stop();
      await database?.drop();
    });

    it('serves one workspace from both replicas, events crossing instances through Redis', async () => {
      const logs = replicas.map((replica) => replica.output());
      const migrated = logs.filter((log) => log.includes('"msg":"applied database migrations"'));
      expect(migrated).toHaveLength(1);

      const created = await graphqlAt<{ createWorkspace: { id: string } }>(
        balancer.url,
        { secret, userId: 'ops' },
        CREATE_WORKSPACE,
      );
      const workspaceId = created.data?.createWorkspace.id as string;
      const subscription = subscribeSse<{ entityChanged: { entity: { id: string } } }>(
        balancer.url,
        await signToken(secret, 'ops'),
        'subscription($w: ID!) { entityChanged(workspaceId: $w) { entity { ... on SyncRecord { id } } } }',
        { w: workspaceId },
      );
      await new Promise((done) => setTimeout(done, 1_000));
      for (let round = 0; round < 6; round++) {
        expect(await pushTasks(balancer.url, workspaceId, 'ops', 5)).toEqual(
          Array(5).fill('APPLIED'),
        );
      }
      const events = await subscription.waitFor(30, 30_000);
      subscription.stop();
      expect(events).toHaveLength(30);

      // fetch keeps its connection alive, so the pushes shared one replica and the stream
      // had the other: its events came through Redis.
      expect(balancer.connections.every((count) => count >= 1)).toBe(true);
      for (const replica of replicas) {
        const pulled = await graphqlAt<{ changesSince: { entities: unknown[] } }>(
          replica.url,
          { secret, userId: 'ops' },
          PULL,
          { w: workspaceId },
        );
        expect(pulled.data?.changesSince.entities).toHaveLength(30);
      }

      const exits = await Promise.all(replicas.map((replica) => replica.stop('SIGTERM')));
      expect(exits).toEqual([
        { code: 0, signal: null },
        { code: 0, signal: null },
      ]);
    });
  },
);

interface RoundRobin {
  url: string;
  /** Connections handed to each backend so far. */
  connections: number[];
  close(): Promise<void>;
}

/** A TCP load balancer on loopback: each new connection goes to the next backend. */
async function roundRobin(ports: number[]): Promise<RoundRobin> {
  const connections = ports.map(() => 0);
  let next = 0;
  const server: Server = createServer((client) => {
    const index = next++ % ports.length;
    connections[index] = (connections[index] ?? 0) + 1;
    const upstream = createConnection({ host: '127.0.0.1', port: ports[index] as number });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    connections,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.unref();
      }),
  };
}
