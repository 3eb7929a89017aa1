import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../client/backoff.ts';
import { applyPatch, createPatch } from '../../client/entities.ts';
import { HybridClock } from '../../client/hlc.ts';
import { uuidv7 } from '../../client/ids.ts';
import { createSyncClient } from '../../client/index.ts';
import { type OutboxEntry, takeBatch } from '../../client/outbox.ts';

describe('uuidv7', () => {
  it('is a version 7 UUID that sorts by creation, even within one millisecond', () => {
    const ids = Array.from({ length: 50 }, () => uuidv7(1_764_000_000_000));
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(uuidv7(1_764_000_000_001) > (ids.at(-1) ?? '')).toBe(true);
  });
});

describe('HybridClock', () => {
  it('never goes backwards and moves past what it observes', () => {
    let wall = 1_000;
    const clock = new HybridClock(() => wall);
    expect(clock.tick()).toBe('1000:0');
    expect(clock.tick()).toBe('1000:1');
    wall = 900; // the wall clock jumps back
    expect(clock.tick()).toBe('1000:2');
    clock.observe('5000:7');
    expect(clock.tick()).toBe('5000:8');
    clock.observe('2026-11-22T10:00:00.000Z');
    expect(clock.tick()).toBe(`${Date.parse('2026-11-22T10:00:00.000Z')}:1`);
    clock.observe('garbage');
    wall = Date.parse('2026-11-22T10:00:01.000Z');
    expect(clock.tick()).toBe(`${wall}:0`);
  });
});

describe('takeBatch', () => {
  const entry = (id: string, baseVersion: number | null, n: number): OutboxEntry => ({
    mutationId: `m${n}`,
    kind: 'task',
    id,
    op: baseVersion === 0 ? 'create' : 'update',
    patch: {},
    hlc: `${n}:0`,
    baseVersion,
    madeAt: n,
  });

  it('keeps the order made and stops at the size limit', () => {
    const entries = Array.from({ length: 7 }, (_, n) => entry(`t${n}`, 0, n));
    expect(takeBatch(entries, 5).map((e) => e.mutationId)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('ends a batch before an edit whose base is an earlier edit of the batch', () => {
    const entries = [entry('a', 0, 1), entry('b', 3, 2), entry('a', null, 3), entry('c', 0, 4)];
    expect(takeBatch(entries, 100).map((e) => e.mutationId)).toEqual(['m1', 'm2']);
    expect(takeBatch(entries.slice(2), 100).map((e) => e.mutationId)).toEqual(['m3', 'm4']);
  });
});

describe('local patches', () => {
  it('apply as the server applies them without concurrent writes', () => {
    const task = { title: 'a', tags: ['x', 'y'], timeSpentMinutes: 5 };
    expect(
      applyPatch('Task', task, {
        title: 'b',
        tagsAdd: ['z'],
        tagsRemove: ['x'],
        timeSpentDelta: -2,
      }),
    ).toEqual({
      title: 'b',
      tags: ['y', 'z'],
      timeSpentMinutes: 3,
    });
    expect(createPatch('task', { title: 't', tags: ['a'], timeSpentMinutes: 4, id: 'x' })).toEqual({
      title: 't',
      tagsAdd: ['a'],
      timeSpentDelta: 4,
    });
  });
});

describe('backoff', () => {
  it('grows exponentially with jitter, up to the ceiling', () => {
    const options = { baseMs: 100, maxMs: 1_000 };
    expect(backoffDelay(0, { ...options, random: () => 0 })).toBe(50);
    expect(backoffDelay(0, { ...options, random: () => 1 })).toBe(100);
    expect(backoffDelay(3, { ...options, random: () => 1 })).toBe(800);
    expect(backoffDelay(20, { ...options, random: () => 1 })).toBe(1_000);
  });
});

/** A scheduler the test advances by hand. */
function manualTimers() {
  const pending = new Map<number, { at: number; run: () => void }>();
  let now = 0;
  let next = 1;
  return {
    setTimeout: ((run: () => void, ms = 0) => {
      pending.set(next, { at: now + ms, run });
      return next++;
    }) as unknown as typeof setTimeout,
    clearTimeout: ((id: number) => pending.delete(id)) as unknown as typeof clearTimeout,
    /** Runs what is due within `ms`, in time order. */
    advance(ms: number) {
      const until = now + ms;
      for (;;) {
        const due = [...pending]
          .filter(([, t]) => t.at <= until)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        pending.delete(due[0]);
        now = due[1].at;
        due[1].run();
      }
      now = until;
    },
  };
}

describe('outbox window', () => {
  it('coalesces edits made within 200 ms into one pushChanges', async () => {
    const timers = manualTimers();
    const pushes: number[] = [];
    const fakeServer: typeof fetch = async (_input, init) => {
      const body = JSON.parse(String(init?.body)) as {
        query: string;
        variables: { input?: { changes: Record<string, { mutationId: string; id: string }>[] } };
      };
      if (body.query.includes('pushChanges(')) {
        const changes = body.variables.input?.changes ?? [];
        pushes.push(changes.length);
        const results = changes.map((change) => {
          const task = change.task ?? { mutationId: '', id: '' };
          return {
            __typename: 'ChangeResult',
            mutationId: task.mutationId,
            status: 'APPLIED',
            mergedFields: [],
            entity: null,
            conflict: null,
            error: null,
          };
        });
        return Response.json({
          data: { pushChanges: { __typename: 'PushChangesPayload', cursor: 'c', results } },
        });
      }
      if (body.query.includes('changesSince(')) {
        return Response.json({
          data: {
            changesSince: { __typename: 'ChangeBatch', cursor: 'c', hasMore: false, entities: [] },
          },
        });
      }
      return Response.json({ data: { conflicts: [] } });
    };
    const sync = createSyncClient({
      url: 'http://converge.test/graphql',
      token: 'token',
      workspaceId: 'w',
      storage: 'memory',
      fetch: fakeServer,
      live: false,
      timers,
    });
    await sync.ready;
    // Coming online sends at once; the window applies to edits made while online.
    await sync.pull();
    expect(sync.status.online).toBe(true);
    sync.tasks.create({ title: 'one' });
    timers.advance(150);
    sync.tasks.create({ title: 'two' });
    sync.tasks.create({ title: 'three' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pushes).toEqual([]);
    timers.advance(50);
    await sync.flush();
    expect(pushes).toEqual([3]);
    expect(sync.status.pending).toBe(0);
    await sync.close();
  });
});
