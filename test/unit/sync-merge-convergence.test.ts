import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareStamps, formatHlc } from '../../model/merge/hlc.ts';
import {
  applyCounterDelta,
  applySetOps,
  mergeLww,
  type SetStates,
  type Stamp,
  setStatesFromList,
  visibleItems,
} from '../../model/merge/index.ts';

/**
 * docs/protocol.md, Merge strategies: every replica that applies the same set of changes ends in
 * the same state, whatever order they arrived in. Each property applies one generated set of
 * concurrent changes in two independent random orders (and once with replays) and compares.
 */

// Few distinct millis, counters and clients so that hlc ties and clientId tie-breaks happen.
const stampArb: fc.Arbitrary<Stamp> = fc.record({
  hlc: fc
    .tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 3 }))
    .map(([millis, counter]) => formatHlc(1_700_000_000_000 + millis * 10, counter)),
  clientId: fc.constantFrom('a', 'b', 'c', 'B'),
});

/** Every change of a set has its own stamp: a stamp identifies one write. */
function changesArb<T>(payload: fc.Arbitrary<T>, maxLength = 12) {
  return fc.uniqueArray(fc.record({ stamp: stampArb, payload }), {
    minLength: 1,
    maxLength,
    selector: (change) => `${change.stamp.hlc}|${change.stamp.clientId}`,
  });
}

/** The same list in two random orders, plus the first order with random replays mixed in. */
function schedulesArb<T>(changes: fc.Arbitrary<T[]>) {
  return changes.chain((list) =>
    fc.tuple(
      fc.constant(list),
      fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }),
      fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }),
      fc.array(fc.constantFrom(...list), { maxLength: 5 }),
    ),
  );
}

describe('LWW converges', () => {
  interface Register {
    value: string;
    stamp: Stamp | undefined;
  }

  const applyAll = (initial: Register, changes: { stamp: Stamp; payload: string }[]): Register =>
    changes.reduce<Register>((register, change) => {
      const result = mergeLww({
        serverValue: register.value,
        serverStamp: register.stamp,
        localValue: change.payload,
        localStamp: change.stamp,
        concurrent: true,
      });
      return { value: result.value, stamp: result.stamp };
    }, initial);

  it('ends with the same value and stamp in any order: the highest stamp wins', () => {
    fc.assert(
      fc.property(
        fc.option(stampArb, { nil: undefined }),
        schedulesArb(changesArb(fc.string({ maxLength: 3 }))),
        (initialStamp, [changes, order1, order2, replays]) => {
          const initial: Register = { value: 'initial', stamp: initialStamp };
          const first = applyAll(initial, order1);
          const second = applyAll(initial, order2);
          const replayed = applyAll(first, [...replays, ...order1]);
          expect(second).toEqual(first);
          expect(replayed).toEqual(first);

          const highest = [...changes].sort((a, b) => compareStamps(b.stamp, a.stamp))[0];
          if (!highest) throw new Error('changesArb yields at least one change');
          if (initialStamp && compareStamps(initialStamp, highest.stamp) >= 0) {
            expect(first).toEqual(initial);
          } else {
            expect(first).toEqual({ value: highest.payload, stamp: highest.stamp });
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('COUNTER converges', () => {
  it('ends with initial + sum of deltas in any order: no delta is lost', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        fc
          .array(fc.integer({ min: -100_000, max: 100_000 }), { minLength: 1, maxLength: 30 })
          .chain((deltas) =>
            fc.tuple(
              fc.constant(deltas),
              fc.shuffledSubarray(deltas, { minLength: deltas.length, maxLength: deltas.length }),
            ),
          ),
        (initial, [deltas, shuffled]) => {
          const add = (total: number, delta: number) => applyCounterDelta(total, delta);
          const inOrder = deltas.reduce(add, initial);
          const inOtherOrder = shuffled.reduce(add, initial);
          const sum = deltas.reduce((total, delta) => total + delta, 0);
          expect(inOrder).toBe(initial + sum);
          expect(inOtherOrder).toBe(inOrder);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('SET converges', () => {
  const tags = ['bug', 'ui', 'urgent', 'later', '__proto__', 'constructor'];
  const tagArb: fc.Arbitrary<string> = fc.constantFrom(...tags);
  const opsArb = fc.record({
    add: fc.uniqueArray(tagArb, { maxLength: 3 }),
    remove: fc.uniqueArray(tagArb, { maxLength: 3 }),
  });
  type Change = { stamp: Stamp; payload: { add: string[]; remove: string[] } };

  const applyAll = (initial: SetStates, changes: Change[]) =>
    changes.reduce(
      (states, change) => applySetOps(states, change.payload, change.stamp).states,
      initial,
    );

  const initialArb = fc.oneof(
    fc.constant<SetStates>({}),
    fc
      .tuple(fc.uniqueArray(tagArb, { maxLength: 4 }), stampArb)
      .map(([tags, stamp]) => setStatesFromList(tags, stamp)),
  );

  it('ends with the same states and visible tags in any order, with replays', () => {
    fc.assert(
      fc.property(
        initialArb,
        schedulesArb(changesArb(opsArb)),
        (initial, [, order1, order2, replays]) => {
          const first = applyAll(initial, order1);
          const second = applyAll(initial, order2);
          const replayed = applyAll(first, [...replays, ...order2]);
          expect(second).toEqual(first);
          expect(replayed).toEqual(first);
          expect(visibleItems(second)).toEqual(visibleItems(first));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('shows exactly the tags whose highest-stamped operation is an add', () => {
    fc.assert(
      fc.property(schedulesArb(changesArb(opsArb)), ([changes, order1]) => {
        const visible = new Set(visibleItems(applyAll({}, order1)));
        for (const tag of tags) {
          const ops = changes
            .flatMap((change) => [
              ...(change.payload.remove.includes(tag)
                ? [{ present: false, stamp: change.stamp }]
                : []),
              ...(change.payload.add.includes(tag) ? [{ present: true, stamp: change.stamp }] : []),
            ])
            .sort(
              (a, b) => compareStamps(b.stamp, a.stamp) || Number(b.present) - Number(a.present),
            );
          expect(visible.has(tag)).toBe(ops[0]?.present ?? false);
        }
      }),
      { numRuns: 300 },
    );
  });
});
