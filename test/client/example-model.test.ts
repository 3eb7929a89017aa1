import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelAccessors, SyncClient, SyncClientOptions } from '../../client/index.ts';
import { loadModel } from '../../model/load.ts';
import { signToken } from '../../server/auth/jwt.ts';
import { graphqlAt, type ServerProcess } from '../fault/server-process.ts';
import { testDatabaseKinds } from '../support/database.ts';
import { type ModelCopy, type ModelServer, startModelServer } from '../support/model-copy.ts';
import { eventually, Network } from './helpers.ts';

const examplePath = new URL('../../examples/field-service/model.graphql', import.meta.url);
const exampleModel = loadModel(examplePath.pathname);
const dispatcher = 'dispatcher-ada';

/** One accessor of the copy's client (`sync.workOrders`...), typed loosely: its types live in the copy. */
interface Accessor {
  create(fields: object): string;
  update(id: string, patch: object): void;
  delete(id: string): void;
  get(id: string): Record<string, unknown> | null;
}
type ExamplePlural = 'sites' | 'workOrders' | 'partCategories' | 'batches' | 'inventory';
type ExampleClient = Omit<SyncClient, keyof ModelAccessors> & Record<ExamplePlural, Accessor>;
interface CopyClientModule {
  createSyncClient(options: SyncClientOptions): ExampleClient;
}

interface AuditEntry {
  entityType: string;
  entityId: string;
  op: string;
  version: number;
  actorId: string;
  clientId: string | null;
  mutationId: string | null;
}

/**
 * The sync client generated for examples/field-service/model.graphql, run from a copy of the
 * repository generated for that model (its own client/generated/, its own server): offline
 * edits of every entity type through the generated accessors survive a restart of the client
 * and reach the server exactly once, in order; the generated create types refuse misuse.
 */
describe.each(testDatabaseKinds())(
  'the generated client of the field-service example on %s',
  (kind) => {
    const secret = randomBytes(32).toString('base64url');
    let copy: ModelCopy | undefined;
    let server: ServerProcess | undefined;
    let running: ModelServer | undefined;
    let storageDir: string | undefined;
    const clients: ExampleClient[] = [];

    beforeAll(async () => {
      running = await startModelServer({
        model: await readFile(examplePath, 'utf8'),
        kind,
        secret,
      });
      ({ copy, server } = running);
      storageDir = await mkdtemp(join(tmpdir(), 'converge-example-client-'));
    }, 600_000);

    afterAll(async () => {
      for (const client of clients) await client.close().catch(() => undefined);
      await running?.stop();
      if (storageDir) await rm(storageDir, { recursive: true, force: true });
    });

    async function graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      if (!server) throw new Error('the server starts in beforeAll');
      const response = await graphqlAt<T>(
        server.url,
        { secret, userId: dispatcher },
        query,
        variables,
      );
      expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
      return response.data as T;
    }

    /** A client of the copy's own client/index.ts, on the file storage every run of it shares. */
    async function openCopyClient(workspaceId: string, network: Network): Promise<ExampleClient> {
      if (!copy || !server || !storageDir) throw new Error('the copy is made in beforeAll');
      const module = (await import(
        /* @vite-ignore */ pathToFileURL(join(copy.dir, 'client/index.ts')).href
      )) as CopyClientModule;
      const client = module.createSyncClient({
        url: `${server.url}/graphql`,
        // A fixed token, as an app signed in before going offline has: the client knows its
        // user without a request, so its local guess of the owner fields is that user.
        token: await signToken(secret, dispatcher),
        workspaceId,
        storage: { file: storageDir },
        fetch: network.fetch,
        WebSocket: network.WebSocket,
        connectivity: null,
        retry: { baseMs: 20, maxMs: 300 },
        requestTimeoutMs: 5_000,
      });
      clients.push(client);
      await client.ready;
      return client;
    }

    it('keeps offline edits of every entity type through a restart and delivers each once, in order', async () => {
      const { createWorkspace } = await graphql<{ createWorkspace: { id: string } }>(
        'mutation { createWorkspace(name: "North region") { id } }',
      );
      const workspaceId = createWorkspace.id;
      const network = new Network();
      network.goOffline();
      let sync = await openCopyClient(workspaceId, network);

      // Creates along the @ref chain Inventory -> Batch -> WorkOrder -> Site, then edits of each.
      const site = sync.sites.create({ label: 'Depot North', gateCode: 'GATE-7' });
      const workOrder = sync.workOrders.create({
        siteId: site,
        summary: 'Replace the boiler valve',
        requiredSkills: ['HVAC'],
        labels: ['urgent'],
        laborHours: 1.5,
        partsFitted: 2,
        checklist: { steps: ['isolate'] },
      });
      const category = sync.partCategories.create({ code: 'VALVE-22' });
      const batch = sync.batches.create({ workOrderId: workOrder, partCategoryId: category });
      const stock = sync.inventory.create({ batchId: batch, remaining: 10 });
      const miscounted = sync.inventory.create({ batchId: batch, shelf: 'B2' });
      sync.workOrders.update(workOrder, {
        requiredSkillsAdd: ['PLUMBING'],
        requiredSkillsRemove: ['HVAC'],
        labelsAttach: ['boiler'],
        labelsDetach: ['urgent'],
        laborHoursDelta: 0.25,
        partsFittedChange: 3,
        state: 'ON_SITE',
        checklist: { steps: ['isolate', 'replace valve'], signed: true },
      });
      sync.workOrders.update(workOrder, { laborHoursDelta: 0.5 });
      sync.sites.update(site, { closed: true });
      sync.partCategories.update(category, { hazardous: true });
      sync.batches.update(batch, { supplier: 'Valves & Co', units: 5 });
      sync.inventory.update(stock, { remainingDelta: -4 });
      sync.inventory.delete(miscounted);
      const edits: [string, string, string][] = [
        ['SITE', site, 'CREATE'],
        ['WORK_ORDER', workOrder, 'CREATE'],
        ['PART_CATEGORY', category, 'CREATE'],
        ['BATCH', batch, 'CREATE'],
        ['INVENTORY', stock, 'CREATE'],
        ['INVENTORY', miscounted, 'CREATE'],
        ['WORK_ORDER', workOrder, 'UPDATE'],
        ['WORK_ORDER', workOrder, 'UPDATE'],
        ['SITE', site, 'UPDATE'],
        ['PART_CATEGORY', category, 'UPDATE'],
        ['BATCH', batch, 'UPDATE'],
        ['INVENTORY', stock, 'UPDATE'],
        ['INVENTORY', miscounted, 'DELETE'],
      ];

      const expectLocalState = (client: ExampleClient) => {
        expect(client.workOrders.get(workOrder)).toMatchObject({
          requiredSkills: ['PLUMBING'],
          labels: ['boiler'],
          laborHours: 2.25,
          partsFitted: 5,
          state: 'ON_SITE',
          checklist: { steps: ['isolate', 'replace valve'], signed: true },
          dispatcherId: dispatcher,
        });
        expect(client.inventory.get(stock)).toMatchObject({
          remaining: 6,
          countedById: dispatcher,
        });
        expect(client.inventory.get(miscounted)?.deleted).toBe(true);
        expect(client.sites.get(site)).toMatchObject({ closed: true, label: 'Depot North' });
        expect(client.partCategories.get(category)).toMatchObject({ hazardous: true });
        expect(client.batches.get(batch)).toMatchObject({ units: 5, partCategoryId: category });
        expect(client.status.pending).toBe(edits.length);
      };
      expectLocalState(sync);
      await eventually(() => network.requests > 0 && !sync.status.online, 'a failed request');

      // The process ends while offline; a new one starts on the same storage, still offline.
      await sync.close();
      sync = await openCopyClient(workspaceId, network);
      expectLocalState(sync);
      expect(sync.status.online).toBe(false);

      // The first push is applied but its answer is lost: the client must send it again, and
      // the server must apply it only once.
      network.dropPushResponses = 1;
      network.goOnline();
      await withDeadline(sync.flush(), 60_000, 'the offline edits to be acknowledged');
      expect(sync.status).toMatchObject({ pending: 0, rejected: 0, online: true });
      expect(network.dropPushResponses).toBe(0);
      expect(network.pushBatches.length).toBeGreaterThan(1);

      const { auditLog } = await graphql<{ auditLog: { entries: AuditEntry[]; hasMore: boolean } }>(
        `query($workspaceId: ID!) {
        auditLog(workspaceId: $workspaceId, first: 100) {
          entries { entityType entityId op version actorId clientId mutationId }
          hasMore
        }
      }`,
        { workspaceId },
      );
      expect(auditLog.hasMore).toBe(false);
      const applied = [...auditLog.entries].reverse();
      // Exactly the edits, once each, in the order they were made, by one device and user.
      expect(applied.map((entry) => [entry.entityType, entry.entityId, entry.op])).toEqual(edits);
      expect(new Set(applied.map((entry) => entry.mutationId)).size).toBe(edits.length);
      expect(new Set(applied.map((entry) => entry.clientId)).size).toBe(1);
      expect(applied.every((entry) => entry.actorId === dispatcher)).toBe(true);
      expect(new Set(applied.map((entry) => entry.entityType))).toEqual(
        new Set(exampleModel.entities.map((entity) => entity.entityType)),
      );
      const versions = new Map<string, number>();
      for (const entry of applied) {
        const version = (versions.get(entry.entityId) ?? 0) + 1;
        expect(entry.version, `${entry.entityType} ${entry.op}`).toBe(version);
        versions.set(entry.entityId, version);
      }

      const server = await serverEntities(workspaceId);
      expect(server.get(workOrder)).toMatchObject({
        version: 3,
        siteId: site,
        labels: ['boiler'],
        requiredSkills: ['PLUMBING'],
        laborHours: 2.25,
        partsFitted: 5,
        state: 'ON_SITE',
        checklist: { steps: ['isolate', 'replace valve'], signed: true },
        dispatcherId: dispatcher,
      });
      expect(server.get(site)).toMatchObject({ version: 2, closed: true, gateCode: 'GATE-7' });
      expect(server.get(category)).toMatchObject({ version: 2, code: 'VALVE-22', hazardous: true });
      expect(server.get(batch)).toMatchObject({
        version: 2,
        workOrderId: workOrder,
        partCategoryId: category,
        supplier: 'Valves & Co',
        units: 5,
      });
      expect(server.get(stock)).toMatchObject({
        version: 2,
        batchId: batch,
        remaining: 6,
        countedById: dispatcher,
        shelf: 'A1',
      });
      expect(server.get(miscounted)).toMatchObject({ version: 2, deleted: true });

      // Caught up, the client holds what the server holds.
      await withDeadline(sync.pull(), 30_000, 'a catch-up');
      expect(sync.workOrders.get(workOrder)).toMatchObject(server.get(workOrder) ?? {});
    }, 180_000);

    it("type-checks the copy's generated create types: requiredSkills as enum values, no owner field", async () => {
      if (!copy) throw new Error('the copy is made in beforeAll');
      await writeFile(
        join(copy.dir, 'example-types.ts'),
        [
          "import type { WorkOrderCreate } from './client/index.ts';",
          "export const fine: WorkOrderCreate = { siteId: 's', summary: 'Fix', requiredSkills: ['HVAC'] };",
          "export const owned: WorkOrderCreate = { siteId: 's', summary: 'Fix', dispatcherId: 'someone' };",
          "export const unknownSkill: WorkOrderCreate = { siteId: 's', summary: 'Fix', requiredSkills: ['PAINTING'] };",
          '',
        ].join('\n'),
      );
      await writeFile(
        join(copy.dir, 'tsconfig.example-types.json'),
        JSON.stringify({ extends: './tsconfig.json', include: [], files: ['example-types.ts'] }),
      );
      const errors = await typeErrors(copy.dir, 'tsconfig.example-types.json');
      const byLine = (line: number) =>
        errors.filter((error) => error.startsWith(`example-types.ts(${line},`));
      expect(byLine(2)).toEqual([]);
      expect(byLine(3).join('\n')).toMatch(
        /'dispatcherId' does not exist in type 'WorkOrderCreate'/,
      );
      expect(byLine(4).join('\n')).toMatch(/'"PAINTING"' is not assignable to type 'Skill'/);
      // Nothing else in the generated client fails to compile.
      expect(
        errors.filter(
          (error) =>
            !error.startsWith('example-types.ts(3,') && !error.startsWith('example-types.ts(4,'),
        ),
      ).toEqual([]);
    }, 300_000);

    async function serverEntities(
      workspaceId: string,
    ): Promise<Map<string, Record<string, unknown>>> {
      const { changesSince } = await graphql<{
        changesSince: { entities: Record<string, unknown>[]; hasMore: boolean };
      }>(
        `query($workspaceId: ID!) {
        changesSince(workspaceId: $workspaceId, limit: 500) {
          hasMore
          entities {
            __typename
            ... on Site { id version deleted label gateCode closed }
            ... on WorkOrder {
              id version deleted siteId state requiredSkills labels laborHours partsFitted
              dispatcherId checklist
            }
            ... on PartCategory { id version deleted code hazardous }
            ... on Batch { id version deleted workOrderId partCategoryId supplier units }
            ... on Inventory { id version deleted batchId shelf remaining countedById }
          }
        }
      }`,
        { workspaceId },
      );
      expect(changesSince.hasMore).toBe(false);
      return new Map(changesSince.entities.map((entity) => [String(entity.id), entity]));
    }
  },
);

/** One `tsc --noEmit -p <project>` in `dir`: its error lines (tsc exits 2 when there are any). */
async function typeErrors(dir: string, project: string): Promise<string[]> {
  const output = await promisify(execFile)(
    process.execPath,
    [join(dir, 'node_modules/typescript/bin/tsc'), '--noEmit', '--pretty', 'false', '-p', project],
    { cwd: dir, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
  ).then(
    (result) => result.stdout,
    (error: Error & { stdout?: string; code?: number }) => {
      if (error.code !== 2 || error.stdout === undefined) throw error;
      return error.stdout;
    },
  );
  return output.split('\n').filter((line) => /^\S.*\(\d+,\d+\): error /.test(line));
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
