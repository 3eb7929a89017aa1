import { describe, expect, it } from 'vitest';
import type { Strategy } from '../../model/index.ts';
import {
  applyCounterDelta,
  applySetOps,
  mergeLww,
  mergeManual,
  type SetStates,
  type Stamp,
  setStatesFromList,
  valuesEqual,
  visibleItems,
} from '../../model/merge/index.ts';
import { syncModel } from '../../server/sync/model.ts';

const stamp = (hlc: string, clientId = 'c1'): Stamp => ({ hlc, clientId });

describe('the default model against the strategy table (docs/protocol.md, Merge strategies)', () => {
  const expected: Record<string, Record<string, Strategy>> = {
    PROJECT: { name: 'LWW', color: 'LWW', archived: 'LWW' },
    TASK: {
      status: 'LWW',
      priority: 'LWW',
      assigneeId: 'LWW',
      dueAt: 'LWW',
      sortKey: 'LWW',
      projectId: 'LWW',
      title: 'TEXT',
      notes: 'TEXT',
      tags: 'SET',
      timeSpentMinutes: 'COUNTER',
      estimateMinutes: 'MANUAL',
    },
    COMMENT: { taskId: 'LWW', authorId: 'LWW', body: 'LWW' },
  };

  it('gives every field of the default model the strategy of the normative table', () => {
    const actual = Object.fromEntries(
      syncModel.entities.map((entity) => [
        entity.entityType,
        Object.fromEntries(entity.fields.map((field) => [field.name, field.strategy])),
      ]),
    );
    expect(actual).toEqual(expected);
  });

  it('keys entity fields; the patch operations name the field they change', () => {
    const task = syncModel.entities.find((entity) => entity.entityType === 'TASK');
    const operations = task?.patchFields.filter((field) => field.role !== 'VALUE');
    expect(operations?.map((field) => [field.name, field.role, field.field])).toEqual([
      ['tagsAdd', 'ADD', 'tags'],
      ['tagsRemove', 'REMOVE', 'tags'],
      ['timeSpentDelta', 'DELTA', 'timeSpentMinutes'],
    ]);
  });
});

describe('mergeLww', () => {
  it('applies a non-concurrent write and keeps its stamp when already later', () => {
    const result = mergeLww({
      serverValue: 'old',
      serverStamp: stamp('100:0', 'server'),
      localValue: 'new',
      localStamp: stamp('200:0', 'c1'),
      concurrent: false,
    });
    expect(result).toEqual({ value: 'new', stamp: stamp('200:0', 'c1'), outcome: 'applied' });
  });

  it('raises the stamp of a non-concurrent write whose client clock is behind', () => {
    const result = mergeLww({
      serverValue: 'old',
      serverStamp: stamp('500:7', 'zz'),
      localValue: 'new',
      localStamp: stamp('100:0', 'c1'),
      concurrent: false,
    });
    expect(result.value).toBe('new');
    expect(result.outcome).toBe('applied');
    expect(result.stamp).toEqual(stamp('500:8', 'c1'));
  });

  it('raises an equal hlc whose clientId would lose the tie', () => {
    const result = mergeLww({
      serverValue: 1,
      serverStamp: stamp('500:7', 'zz'),
      localValue: 2,
      localStamp: stamp('500:7', 'aa'),
      concurrent: false,
    });
    expect(result.stamp).toEqual(stamp('500:8', 'aa'));
  });

  it('applies a non-concurrent write to a field without metadata', () => {
    const result = mergeLww({
      serverValue: null,
      serverStamp: undefined,
      localValue: '#112233',
      localStamp: stamp('1:0'),
      concurrent: false,
    });
    expect(result).toEqual({ value: '#112233', stamp: stamp('1:0'), outcome: 'applied' });
  });

  it('lets the higher hlc win a concurrent write: local later', () => {
    const result = mergeLww({
      serverValue: 'server',
      serverStamp: stamp('100:0', 'zz'),
      localValue: 'local',
      localStamp: stamp('101:0', 'aa'),
      concurrent: true,
    });
    expect(result).toEqual({ value: 'local', stamp: stamp('101:0', 'aa'), outcome: 'merged' });
  });

  it('lets the higher hlc win a concurrent write: server later', () => {
    const result = mergeLww({
      serverValue: 'server',
      serverStamp: stamp('102:0', 'aa'),
      localValue: 'local',
      localStamp: stamp('101:5', 'zz'),
      concurrent: true,
    });
    expect(result).toEqual({ value: 'server', stamp: stamp('102:0', 'aa'), outcome: 'merged' });
  });

  it('compares hlc numerically in a concurrent write', () => {
    const result = mergeLww({
      serverValue: 'nine',
      serverStamp: stamp('9:0'),
      localValue: 'ten',
      localStamp: stamp('10:0'),
      concurrent: true,
    });
    expect(result.value).toBe('ten');
  });

  it('breaks an hlc tie by the higher clientId', () => {
    const input = { serverValue: 'S', localValue: 'L', concurrent: true };
    expect(
      mergeLww({ ...input, serverStamp: stamp('7:0', 'b'), localStamp: stamp('7:0', 'c') }).value,
    ).toBe('L');
    expect(
      mergeLww({ ...input, serverStamp: stamp('7:0', 'c'), localStamp: stamp('7:0', 'b') }).value,
    ).toBe('S');
  });

  it('keeps the server value when the same stamp is replayed', () => {
    const result = mergeLww({
      serverValue: 'S',
      serverStamp: stamp('7:0', 'c'),
      localValue: 'L',
      localStamp: stamp('7:0', 'c'),
      concurrent: true,
    });
    expect(result.value).toBe('S');
  });

  it('lets a concurrent write beat a field that has no stamp', () => {
    const result = mergeLww({
      serverValue: 1,
      serverStamp: undefined,
      localValue: 2,
      localStamp: stamp('0:0'),
      concurrent: true,
    });
    expect(result).toEqual({ value: 2, stamp: stamp('0:0'), outcome: 'merged' });
  });

  it('works for Dates and null', () => {
    const due = new Date('2030-01-01T00:00:00Z');
    const result = mergeLww<Date | null>({
      serverValue: null,
      serverStamp: stamp('1:0'),
      localValue: due,
      localStamp: stamp('2:0'),
      concurrent: true,
    });
    expect(result.value).toBe(due);
  });
});

describe('applyCounterDelta', () => {
  it('adds deltas, positive and negative', () => {
    expect(applyCounterDelta(0, 30)).toBe(30);
    expect(applyCounterDelta(30, -10)).toBe(20);
  });

  it('does not clamp: a correction below zero is kept so later deltas still add up', () => {
    expect(applyCounterDelta(5, -10)).toBe(-5);
    expect(applyCounterDelta(applyCounterDelta(5, -10), 10)).toBe(5);
  });

  it('refuses values that would make the sum order-dependent or inexact', () => {
    expect(() => applyCounterDelta(0, 1.5)).toThrow(RangeError);
    expect(() => applyCounterDelta(Number.NaN, 1)).toThrow(RangeError);
    expect(() => applyCounterDelta(Number.MAX_SAFE_INTEGER, 1)).toThrow(RangeError);
  });

  it('adds fractions for a Float counter and keeps it finite', () => {
    expect(applyCounterDelta(1.5, 0.25, 'Float')).toBe(1.75);
    expect(applyCounterDelta(2, -2.5, 'Float')).toBe(-0.5);
    expect(() => applyCounterDelta(0, Number.POSITIVE_INFINITY, 'Float')).toThrow(RangeError);
    expect(() => applyCounterDelta(Number.MAX_VALUE, Number.MAX_VALUE, 'Float')).toThrow(
      RangeError,
    );
  });
});

describe('mergeManual', () => {
  it('applies a non-concurrent change', () => {
    expect(mergeManual({ serverValue: 60, localValue: 90, concurrent: false })).toEqual({
      value: 90,
      outcome: 'applied',
    });
  });

  it('keeps the server value and reports a conflict for a concurrent change', () => {
    expect(mergeManual({ serverValue: 60, localValue: 90, concurrent: true })).toEqual({
      value: 60,
      outcome: 'conflict',
    });
  });

  it('treats clearing against a value as a conflict', () => {
    expect(
      mergeManual<number | null>({ serverValue: 60, localValue: null, concurrent: true }),
    ).toEqual({ value: 60, outcome: 'conflict' });
  });

  it('never reports a conflict for equal values', () => {
    expect(mergeManual({ serverValue: 60, localValue: 60, concurrent: true })).toEqual({
      value: 60,
      outcome: 'applied',
    });
    expect(mergeManual({ serverValue: null, localValue: null, concurrent: true }).outcome).toBe(
      'applied',
    );
    const result = mergeManual({
      serverValue: new Date('2030-01-01T00:00:00Z'),
      localValue: new Date('2030-01-01T00:00:00.000Z'),
      concurrent: true,
    });
    expect(result.outcome).toBe('applied');
  });
});

describe('valuesEqual', () => {
  it.each([
    [1, 1, true],
    [1, 2, false],
    [null, null, true],
    [null, undefined, false],
    [0, null, false],
    ['a', 'a', true],
    [Number.NaN, Number.NaN, true],
    [new Date(5), new Date(5), true],
    [new Date(5), new Date(6), false],
    [new Date(5), 5, false],
    [['a', 'b'], ['a', 'b'], true],
    [['a', 'b'], ['b', 'a'], false],
    [['a'], 'a', false],
  ])('valuesEqual(%j, %j) is %s', (a, b, expected) => {
    expect(valuesEqual(a, b)).toBe(expected);
    expect(valuesEqual(b, a)).toBe(expected);
  });
});

describe('SET: applySetOps and visibleItems', () => {
  const empty: SetStates = {};

  it('adds and removes tags with the change stamp', () => {
    const added = applySetOps(empty, { add: ['bug', 'ui'], remove: [] }, stamp('10:0'));
    expect(visibleItems(added.states)).toEqual(['bug', 'ui']);
    expect(added.lostOps).toEqual([]);
    const removed = applySetOps(added.states, { add: [], remove: ['bug'] }, stamp('11:0'));
    expect(visibleItems(removed.states)).toEqual(['ui']);
    expect(removed.states.bug).toEqual({ present: false, stamp: stamp('11:0') });
  });

  it('does not mutate its input', () => {
    const states = setStatesFromList(['a'], stamp('1:0'));
    const snapshot = structuredClone(states);
    applySetOps(states, { add: ['b'], remove: ['a'] }, stamp('2:0'));
    expect(states).toEqual(snapshot);
  });

  it('keeps a tombstone so a late add with a lower stamp loses', () => {
    const start = setStatesFromList(['bug'], stamp('10:0'));
    const removed = applySetOps(start, { add: [], remove: ['bug'] }, stamp('30:0'));
    const lateAdd = applySetOps(removed.states, { add: ['bug'], remove: [] }, stamp('20:0'));
    expect(visibleItems(lateAdd.states)).toEqual([]);
    expect(lateAdd.lostOps).toEqual(['bug']);
  });

  it('lets a remove of a tag never seen win over a later-arriving lower add', () => {
    const removed = applySetOps(empty, { add: [], remove: ['x'] }, stamp('30:0'));
    expect(removed.lostOps).toEqual([]);
    const lateAdd = applySetOps(removed.states, { add: ['x'], remove: [] }, stamp('20:0'));
    expect(visibleItems(lateAdd.states)).toEqual([]);
  });

  it('resolves a concurrent add and remove of one tag by the higher stamp, in either order', () => {
    const start = setStatesFromList(['bug'], stamp('1:0'));
    const add = { ops: { add: ['bug'], remove: [] }, stamp: stamp('20:0', 'a') };
    const remove = { ops: { add: [], remove: ['bug'] }, stamp: stamp('20:0', 'b') };
    const addThenRemove = applySetOps(
      applySetOps(start, add.ops, add.stamp).states,
      remove.ops,
      remove.stamp,
    );
    const removeThenAdd = applySetOps(
      applySetOps(start, remove.ops, remove.stamp).states,
      add.ops,
      add.stamp,
    );
    // Same hlc: clientId 'b' is higher, so the remove wins whichever arrives first.
    expect(visibleItems(addThenRemove.states)).toEqual([]);
    expect(visibleItems(removeThenAdd.states)).toEqual([]);
    expect(addThenRemove.states).toEqual(removeThenAdd.states);
    expect(removeThenAdd.lostOps).toEqual(['bug']);
  });

  it('lets add win when one stamp both adds and removes a tag (order-independent)', () => {
    const result = applySetOps(empty, { add: ['t'], remove: ['t'] }, stamp('5:0'));
    expect(visibleItems(result.states)).toEqual(['t']);
    const addFirst = applySetOps(empty, { add: ['t'], remove: [] }, stamp('5:0'));
    const thenRemove = applySetOps(addFirst.states, { add: [], remove: ['t'] }, stamp('5:0'));
    expect(visibleItems(thenRemove.states)).toEqual(['t']);
  });

  it('is idempotent: replaying a change changes nothing and loses nothing', () => {
    const once = applySetOps(empty, { add: ['a', 'b'], remove: ['c'] }, stamp('5:0'));
    const twice = applySetOps(once.states, { add: ['a', 'b'], remove: ['c'] }, stamp('5:0'));
    expect(twice.states).toEqual(once.states);
    expect(twice.lostOps).toEqual([]);
  });

  it('treats duplicate entries in one operation as one', () => {
    const result = applySetOps(empty, { add: ['a', 'a'], remove: [] }, stamp('5:0'));
    expect(visibleItems(result.states)).toEqual(['a']);
  });

  it('orders visible tags by the stamp they were last added at, then by tag', () => {
    let states = applySetOps(empty, { add: ['zeta', 'alpha'], remove: [] }, stamp('10:0')).states;
    states = applySetOps(states, { add: ['middle'], remove: [] }, stamp('9:0')).states;
    states = applySetOps(states, { add: ['beta'], remove: [] }, stamp('11:0')).states;
    expect(visibleItems(states)).toEqual(['middle', 'alpha', 'zeta', 'beta']);
    // Re-adding moves a tag to the end: it was last added latest.
    states = applySetOps(states, { add: ['middle'], remove: [] }, stamp('12:0')).states;
    expect(visibleItems(states)).toEqual(['alpha', 'zeta', 'beta', 'middle']);
  });

  it('orders by numeric hlc, not by string', () => {
    let states = applySetOps(empty, { add: ['ten'], remove: [] }, stamp('10:0')).states;
    states = applySetOps(states, { add: ['nine'], remove: [] }, stamp('9:0')).states;
    expect(visibleItems(states)).toEqual(['nine', 'ten']);
  });

  it('handles tags named like Object.prototype members as plain tags', () => {
    const tricky = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
    const result = applySetOps(empty, { add: tricky, remove: [] }, stamp('1:0'));
    expect(visibleItems(result.states)).toEqual([...tricky].sort());
    expect(Object.getPrototypeOf(result.states)).toBe(Object.prototype);
    // A JSON round trip (fieldMeta is a JSON column) keeps them.
    const stored = JSON.parse(JSON.stringify(result.states)) as SetStates;
    expect(visibleItems(stored)).toEqual([...tricky].sort());
    const removed = applySetOps(stored, { add: [], remove: ['__proto__'] }, stamp('2:0'));
    expect(visibleItems(removed.states)).toEqual(['constructor', 'hasOwnProperty', 'toString']);
    // A tag named like a prototype member is unknown until added: the add applies.
    const fresh = applySetOps(empty, { add: ['valueOf'], remove: [] }, stamp('0:0'));
    expect(fresh.lostOps).toEqual([]);
    expect(visibleItems(fresh.states)).toEqual(['valueOf']);
  });

  it('builds states from a legacy tag list', () => {
    const states = setStatesFromList(['b', 'a', 'b'], stamp('0:0', ''));
    expect(states).toEqual({
      a: { present: true, stamp: stamp('0:0', '') },
      b: { present: true, stamp: stamp('0:0', '') },
    });
    expect(visibleItems(states)).toEqual(['a', 'b']);
    // Any real change outranks the legacy stamp.
    const removed = applySetOps(states, { add: [], remove: ['a'] }, stamp('0:0', 'client'));
    expect(visibleItems(removed.states)).toEqual(['b']);
  });

  it('is case-sensitive and exact', () => {
    const states = applySetOps(empty, { add: ['Bug', 'bug'], remove: [] }, stamp('1:0')).states;
    expect(visibleItems(states)).toEqual(['Bug', 'bug']);
  });
});
