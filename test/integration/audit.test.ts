import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  addMember,
  createWorkspace,
  errorCode,
  expectNoErrors,
  newId,
  type SyncClient,
  syncClient,
} from '../support/sync.ts';

const AUDIT_LOG = `
  query Audit($w: ID!, $type: EntityType, $entity: ID, $actor: ID, $first: Int, $before: Cursor) {
    auditLog(workspaceId: $w, entityType: $type, entityId: $entity, actorId: $actor, first: $first, before: $before) {
      cursor hasMore
      entries {
        cursor workspaceId entityType entityId op changedFields changes version
        actorId clientId mutationId createdAt
      }
    }
  }`;

interface AuditEntry {
  cursor: string;
  entityType: string;
  entityId: string;
  op: string;
  changedFields: string[];
  changes: Record<string, { old: unknown; new: unknown }>;
  version: number;
  actorId: string;
  clientId: string | null;
  mutationId: string | null;
  createdAt: string;
}

interface AuditPage {
  cursor: string | null;
  hasMore: boolean;
  entries: AuditEntry[];
}

describe.each(testDatabaseKinds())('audit log on %s', (kind) => {
  let server: TestServer;
  let workspaceId: string;
  let alice: SyncClient;
  let bob: SyncClient;
  const taskId = newId();
  const projectId = newId();

  async function audit(as: string, variables: Record<string, unknown> = {}) {
    return server.graphql<{ auditLog: AuditPage }>(
      AUDIT_LOG,
      { w: workspaceId, ...variables },
      { as },
    );
  }

  beforeAll(async () => {
    server = await startTestServer(kind);
    workspaceId = await createWorkspace(server, 'alice');
    await addMember(server, 'alice', workspaceId, 'bob', 'EDITOR');
    await addMember(server, 'alice', workspaceId, 'victor', 'VIEWER');
    alice = syncClient(server, 'alice', workspaceId, 'alice-laptop');
    bob = syncClient(server, 'bob', workspaceId, 'bob-phone');
    await alice.pushOne({ project: { id: projectId, patch: { name: 'Inbound' } } });
    await bob.pushOne({ task: { id: taskId, patch: { title: 'Count pallets', projectId } } });
    await bob.pushOne({
      task: { id: taskId, baseVersion: 1, patch: { title: 'Count all pallets' } },
    });
    await alice.pushOne({ task: { id: taskId, baseVersion: 2, delete: true } });
  });
  afterAll(() => server?.stop());

  it('tells an ADMIN who changed what, from which client and when, newest first', async () => {
    const started = Date.now();
    const { auditLog } = expectNoErrors(await audit('alice'));
    expect(auditLog.hasMore).toBe(false);
    expect(auditLog.entries.map((entry) => [entry.actorId, entry.clientId, entry.op])).toEqual([
      ['alice', 'alice-laptop', 'DELETE'],
      ['bob', 'bob-phone', 'UPDATE'],
      ['bob', 'bob-phone', 'CREATE'],
      ['alice', 'alice-laptop', 'CREATE'],
    ]);
    const [deleted, renamed] = auditLog.entries;
    expect(renamed).toMatchObject({
      entityType: 'TASK',
      entityId: taskId,
      changedFields: ['title'],
      changes: { title: { old: 'Count pallets', new: 'Count all pallets' } },
      version: 2,
    });
    expect(renamed?.mutationId).toEqual(expect.any(String));
    expect(deleted?.changes).toEqual({ deleted: { old: false, new: true } });
    const createdAt = Date.parse(renamed?.createdAt ?? '');
    expect(createdAt).toBeLessThanOrEqual(started);
    expect(started - createdAt).toBeLessThan(120_000);
  });

  it('narrows to one entity or one actor', async () => {
    const entity = expectNoErrors(await audit('alice', { type: 'TASK', entity: taskId }));
    expect(entity.auditLog.entries.map((entry) => entry.version)).toEqual([3, 2, 1]);
    const byBob = expectNoErrors(await audit('alice', { actor: 'bob' }));
    expect(byBob.auditLog.entries.every((entry) => entry.actorId === 'bob')).toBe(true);
    expect(byBob.auditLog.entries).toHaveLength(2);
  });

  it('pages by cursor without skipping or repeating, while new changes arrive', async () => {
    const all = expectNoErrors(await audit('alice', { first: 500 })).auditLog.entries;
    const seen: AuditEntry[] = [];
    let before: string | null = null;
    for (let page = 0; page < 10; page++) {
      const { auditLog }: { auditLog: AuditPage } = expectNoErrors(
        await audit('alice', { first: 3, before }),
      );
      seen.push(...auditLog.entries);
      // A change committed mid-paging is newer than every page still to come.
      if (page === 0) await alice.pushOne({ project: { id: newId(), patch: { name: 'Late' } } });
      if (!auditLog.hasMore) break;
      before = auditLog.cursor;
    }
    expect(seen.map((entry) => entry.cursor)).toEqual(all.map((entry) => entry.cursor));
    const last = expectNoErrors(await audit('alice', { first: 3, before: all.at(-1)?.cursor }));
    expect(last.auditLog).toEqual({ entries: [], cursor: null, hasMore: false });
  });

  it('is ADMIN only: editors, viewers and non-members get FORBIDDEN, anonymous callers UNAUTHENTICATED', async () => {
    for (const user of ['bob', 'victor', 'mallory']) {
      const response = await audit(user);
      expect(errorCode(response), user).toBe('FORBIDDEN');
      expect(response.data?.auditLog ?? null).toBeNull();
    }
    const unknown = await server.graphql(AUDIT_LOG, { w: newId() }, { as: 'alice' });
    expect(errorCode(unknown)).toBe('FORBIDDEN');
    const anonymous = await server.graphql(AUDIT_LOG, { w: workspaceId }, { token: null });
    expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
  });

  it('rejects bad arguments as BAD_USER_INPUT', async () => {
    for (const variables of [
      { first: 0 },
      { first: 501 },
      { entity: 'not an id!' },
      { before: 'x' },
      { actor: 'lone\ud800' },
      { actor: 'nul\u0000' },
    ]) {
      expect(errorCode(await audit('alice', variables)), JSON.stringify(variables)).toBe(
        'BAD_USER_INPUT',
      );
    }
  });
});
