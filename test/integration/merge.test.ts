import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { addMember, createWorkspace, newId, type SyncClient, syncClient } from '../support/sync.ts';

/**
 * Two clients edit the same entity from the same base version: every strategy of docs/protocol.md,
 * Merge strategies.
 */
describe.each(testDatabaseKinds())('field-level merges on %s', (kind) => {
  let server: TestServer;
  let workspaceId: string;
  let alice: SyncClient;
  let bob: SyncClient;
  const now = Date.now();

  beforeAll(async () => {
    server = await startTestServer(kind);
    workspaceId = await createWorkspace(server, 'alice');
    await addMember(server, 'alice', workspaceId, 'bob', 'EDITOR');
    alice = syncClient(server, 'alice', workspaceId, 'client-a');
    bob = syncClient(server, 'bob', workspaceId, 'client-b');
  });
  afterAll(() => server?.stop());

  async function sharedTask(patch: Record<string, unknown> = {}) {
    const id = newId();
    const created = await alice.pushOne({
      task: { id, hlc: `${now}:0`, patch: { title: 'Base title', ...patch } },
    });
    expect(created.status).toBe('APPLIED');
    return id;
  }

  describe('LWW', () => {
    it('applies a change with no concurrent edit', async () => {
      const id = await sharedTask();
      const result = await bob.pushOne({
        task: { id, baseVersion: 1, hlc: `${now + 1}:0`, patch: { status: 'DONE' } },
      });
      expect(result).toMatchObject({
        status: 'APPLIED',
        mergedFields: [],
        entity: { status: 'DONE' },
      });
    });

    it('keeps the higher HLC when both edit from the same base, whichever arrives last', async () => {
      const id = await sharedTask();
      await alice.pushOne({
        task: {
          id,
          baseVersion: 1,
          hlc: `${now + 2000}:0`,
          patch: { priority: 2, status: 'DONE' },
        },
      });
      const late = await bob.pushOne({
        task: {
          id,
          baseVersion: 1,
          hlc: `${now + 1000}:0`,
          patch: { priority: 4, status: 'IN_PROGRESS' },
        },
      });
      expect(late.status).toBe('MERGED');
      expect(late.mergedFields.sort()).toEqual(['priority', 'status']);
      expect(late.entity).toMatchObject({ priority: 2, status: 'DONE', version: 2 });

      const newer = await bob.pushOne({
        task: { id, baseVersion: 1, hlc: `${now + 3000}:0`, patch: { priority: 5 } },
      });
      expect(newer).toMatchObject({
        status: 'MERGED',
        mergedFields: ['priority'],
        entity: { priority: 5, version: 3 },
      });
    });

    it('breaks HLC ties with the higher clientId', async () => {
      const id = await sharedTask();
      const tie = `${now + 5000}:7`;
      await bob.pushOne({ task: { id, baseVersion: 1, hlc: tie, patch: { sortKey: 'from-b' } } });
      const fromA = await alice.pushOne({
        task: { id, baseVersion: 1, hlc: tie, patch: { sortKey: 'from-a' } },
      });
      // 'client-b' > 'client-a': bob's value stays.
      expect(fromA).toMatchObject({ status: 'MERGED', entity: { sortKey: 'from-b' } });
    });

    it('ignores a stamp more than five minutes ahead and uses the server clock instead', async () => {
      const id = await sharedTask();
      const farFuture = `${Date.now() + 60 * 60_000}:0`;
      await alice.pushOne({
        task: { id, baseVersion: 1, hlc: farFuture, patch: { sortKey: 'cheater' } },
      });
      const honest = await bob.pushOne({
        task: { id, baseVersion: 1, hlc: `${Date.now() + 60_000}:0`, patch: { sortKey: 'honest' } },
      });
      expect(honest.entity).toMatchObject({ sortKey: 'honest' });
    });
  });

  describe('TEXT', () => {
    it('keeps both edits to different words of one line', async () => {
      const id = await sharedTask({ title: 'Buy milk and bread today' });
      await alice.pushOne({
        task: { id, baseVersion: 1, patch: { title: 'Buy oat milk and bread today' } },
      });
      const result = await bob.pushOne({
        task: { id, baseVersion: 1, patch: { title: 'Buy milk and bread tomorrow' } },
      });
      expect(result).toMatchObject({
        status: 'MERGED',
        mergedFields: ['title'],
        entity: { title: 'Buy oat milk and bread tomorrow' },
      });
    });

    it('merges notes edited in different places', async () => {
      const id = await sharedTask({ notes: 'line one\nline two\nline three' });
      await bob.pushOne({
        task: { id, baseVersion: 1, patch: { notes: 'line one!\nline two\nline three' } },
      });
      const result = await alice.pushOne({
        task: { id, baseVersion: 1, patch: { notes: 'line one\nline two\nline 3' } },
      });
      expect(result.entity).toMatchObject({ notes: 'line one!\nline two\nline 3' });
    });

    it('opens a conflict for overlapping edits and keeps the server text', async () => {
      const id = await sharedTask({ title: 'Call the plumber' });
      await alice.pushOne({
        task: { id, baseVersion: 1, patch: { title: 'Call the electrician' } },
      });
      const result = await bob.pushOne({
        task: { id, baseVersion: 1, patch: { title: 'Call the roofer' } },
      });
      expect(result).toMatchObject({
        status: 'CONFLICT',
        entity: { title: 'Call the electrician' },
        conflict: {
          field: 'title',
          status: 'OPEN',
          baseValue: 'Call the plumber',
          localValue: 'Call the roofer',
          serverValue: 'Call the electrician',
          actorId: 'bob',
          clientId: 'client-b',
          entityType: 'TASK',
          entityId: id,
        },
      });
    });
  });

  describe('SET', () => {
    it('keeps concurrent adds and removes of different tags', async () => {
      const id = await sharedTask({ tagsAdd: ['a', 'b'] });
      await alice.pushOne({
        task: { id, baseVersion: 1, patch: { tagsAdd: ['c'], tagsRemove: ['a'] } },
      });
      const result = await bob.pushOne({
        task: { id, baseVersion: 1, patch: { tagsAdd: ['d'], tagsRemove: ['b'] } },
      });
      expect(result.status).toBe('MERGED');
      expect(result.mergedFields).toEqual(['tags']);
      expect([...((result.entity?.tags as string[]) ?? [])].sort()).toEqual(['c', 'd']);
    });

    it('lets the higher HLC win when one adds and the other removes the same tag', async () => {
      const id = await sharedTask({ tagsAdd: ['urgent'] });
      await alice.pushOne({
        task: { id, baseVersion: 1, hlc: `${now + 9000}:0`, patch: { tagsRemove: ['urgent'] } },
      });
      const olderAdd = await bob.pushOne({
        task: { id, baseVersion: 1, hlc: `${now + 8000}:0`, patch: { tagsAdd: ['urgent', 'x'] } },
      });
      expect([...((olderAdd.entity?.tags as string[]) ?? [])].sort()).toEqual(['x']);
      const newerAdd = await bob.pushOne({
        task: { id, baseVersion: 1, hlc: `${now + 10_000}:0`, patch: { tagsAdd: ['urgent'] } },
      });
      expect([...((newerAdd.entity?.tags as string[]) ?? [])].sort()).toEqual(['urgent', 'x']);
    });
  });

  describe('COUNTER', () => {
    it('adds concurrent deltas, losing none', async () => {
      const id = await sharedTask({ timeSpentDelta: 10 });
      await alice.pushOne({ task: { id, baseVersion: 1, patch: { timeSpentDelta: 25 } } });
      const result = await bob.pushOne({
        task: { id, baseVersion: 1, patch: { timeSpentDelta: -5 } },
      });
      expect(result).toMatchObject({
        status: 'MERGED',
        mergedFields: ['timeSpentMinutes'],
        entity: { timeSpentMinutes: 30 },
      });
    });
  });

  describe('MANUAL', () => {
    it('keeps the server value and opens a conflict with base, local and server values', async () => {
      const id = await sharedTask({ estimateMinutes: 60 });
      await alice.pushOne({ task: { id, baseVersion: 1, patch: { estimateMinutes: 90 } } });
      const result = await bob.pushOne({
        task: { id, baseVersion: 1, patch: { estimateMinutes: 120 } },
      });
      expect(result).toMatchObject({
        status: 'CONFLICT',
        entity: { estimateMinutes: 90, version: 2 },
        conflict: {
          field: 'estimateMinutes',
          baseValue: 60,
          localValue: 120,
          serverValue: 90,
          status: 'OPEN',
        },
      });
    });

    it('applies without conflict when nobody else changed the field', async () => {
      const id = await sharedTask({ estimateMinutes: 60 });
      await alice.pushOne({ task: { id, baseVersion: 1, patch: { title: 'Renamed' } } });
      const result = await bob.pushOne({
        task: { id, baseVersion: 1, patch: { estimateMinutes: 45 } },
      });
      expect(result).toMatchObject({
        status: 'APPLIED',
        conflict: null,
        entity: { estimateMinutes: 45, title: 'Renamed' },
      });
    });

    it('still applies the fields that merge cleanly when another field of the change conflicts', async () => {
      const id = await sharedTask({ estimateMinutes: 60 });
      await alice.pushOne({ task: { id, baseVersion: 1, patch: { estimateMinutes: 90 } } });
      const result = await bob.pushOne({
        task: {
          id,
          baseVersion: 1,
          patch: { estimateMinutes: 30, priority: 4, timeSpentDelta: 3 },
        },
      });
      expect(result.status).toBe('CONFLICT');
      expect(result.entity).toMatchObject({
        estimateMinutes: 90,
        priority: 4,
        timeSpentMinutes: 3,
        version: 3,
      });
    });
  });
});
