import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { addMember, createWorkspace, newId, type SyncClient, syncClient } from '../support/sync.ts';

const CLIENTS = 4;
const TAGS = ['red', 'green', 'blue', 'ink'];

/** One offline edit: made on version 1, so every pair of them is concurrent. */
const editArbitrary = fc
  .record(
    {
      client: fc.integer({ min: 0, max: CLIENTS - 1 }),
      // Small range so equal stamps (ties broken by clientId) happen too.
      hlcOffset: fc.integer({ min: 0, max: 5 }),
      priority: fc.integer({ min: 0, max: 5 }),
      status: fc.constantFrom('TODO', 'IN_PROGRESS', 'DONE'),
      tagsAdd: fc.subarray(TAGS),
      tagsRemove: fc.subarray(TAGS),
      timeSpentDelta: fc.integer({ min: -50, max: 50 }).filter((delta) => delta !== 0),
    },
    { requiredKeys: ['client', 'hlcOffset'] },
  )
  .filter((edit) => !(edit.tagsAdd ?? []).some((tag) => (edit.tagsRemove ?? []).includes(tag)));

type Edit = (typeof editArbitrary extends fc.Arbitrary<infer T> ? T : never) & { counter: number };

/**
 * docs/protocol.md, Merge strategies: every replica that applies the same set of changes ends in
 * the same state, whatever order they arrive in. Two tasks receive the same concurrent edits in two
 * random orders through the real server; their LWW, SET and COUNTER fields must agree.
 */
describe.each(testDatabaseKinds())('convergence under random schedules on %s', (kind) => {
  let server: TestServer;
  let clients: SyncClient[];
  const baseMillis = Date.now();

  beforeAll(async () => {
    server = await startTestServer(kind);
    const workspaceId = await createWorkspace(server, 'owner');
    clients = [];
    for (let index = 0; index < CLIENTS; index++) {
      await addMember(server, 'owner', workspaceId, `user-${index}`, 'EDITOR');
      clients.push(syncClient(server, `user-${index}`, workspaceId, `client-${index}`));
    }
  });
  afterAll(() => server?.stop());

  async function replicaAfter(edits: readonly Edit[]) {
    const id = newId();
    await clients[0]?.pushOne({
      task: { id, hlc: `${baseMillis}:0`, patch: { title: 'shared', tagsAdd: ['red'] } },
    });
    let final: Record<string, unknown> | null = null;
    for (const { client, hlcOffset, counter, ...patch } of edits) {
      const result = await clients[client]?.pushOne({
        task: { id, baseVersion: 1, hlc: `${baseMillis + 1 + hlcOffset}:${counter}`, patch },
      });
      expect(['APPLIED', 'MERGED']).toContain(result?.status);
      final = result?.entity ?? null;
    }
    const { priority, status, tags, timeSpentMinutes } = final ?? {};
    return { priority, status, tags, timeSpentMinutes };
  }

  it('ends in the same state whatever the order of concurrent edits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .array(editArbitrary, { minLength: 2, maxLength: 6 })
          // One client never stamps two edits alike (its HLC only moves forward); different
          // clients may, and then the higher clientId wins.
          .map((edits): Edit[] => edits.map((edit, counter) => ({ ...edit, counter })))
          .chain((edits) =>
            fc.tuple(fc.constant(edits), fc.shuffledSubarray(edits, { minLength: edits.length })),
          ),
        async ([edits, reordered]) => {
          const first = await replicaAfter(edits);
          const second = await replicaAfter(reordered);
          expect(second).toEqual(first);
          const deltas = edits.reduce((sum, edit) => sum + (edit.timeSpentDelta ?? 0), 0);
          expect(first.timeSpentMinutes).toBe(deltas);
        },
      ),
      { numRuns: 8 },
    );
  }, 240_000);
});
