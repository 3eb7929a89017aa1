import { compareStamps, type Stamp } from './hlc.ts';

/**
 * SET strategy: an add/remove set whose operations commute (an LWW element set). Each item keeps
 * its last operation and that operation's stamp, removed items included (tombstones), so an add
 * that arrives late with a lower stamp still loses to the remove that followed it.
 */
export interface SetItemState {
  present: boolean;
  stamp: Stamp;
}

export type SetStates = Record<string, SetItemState>;

export interface SetOps {
  add: readonly string[];
  remove: readonly string[];
}

/**
 * Apply one change's add/remove operations with that change's stamp. Per item, the op applies
 * when its stamp is higher than the item's current stamp (or the item is unknown). The same item
 * added and removed concurrently: higher stamp wins. Returns the new states (input not mutated)
 * and the items whose op lost to a higher stamp.
 *
 * Each item's state only ever moves up the order (stamp, then add over remove), which makes
 * applying a set of changes give the same states in any order and with any repetition.
 */
export function applySetOps(
  states: SetStates,
  ops: SetOps,
  stamp: Stamp,
): { states: SetStates; lostOps: string[] } {
  const next = new Map(ownEntries(states));
  const lostOps: string[] = [];
  const apply = (item: string, present: boolean) => {
    const current = next.get(item);
    const order = current ? compareOps({ present, stamp }, current) : 1;
    if (order > 0) next.set(item, { present, stamp: { ...stamp } });
    else if (order < 0 && !lostOps.includes(item)) lostOps.push(item);
  };
  for (const item of ops.remove) apply(item, false);
  for (const item of ops.add) apply(item, true);
  return { states: Object.fromEntries(next), lostOps };
}

/**
 * The visible list, in an order every replica agrees on: by the stamp at which each present
 * item was last added, ties by item, so items keep the order in which people added them.
 */
export function visibleItems(states: SetStates): string[] {
  return ownEntries(states)
    .filter(([, state]) => state.present)
    .sort(([itemA, a], [itemB, b]) => compareStamps(a.stamp, b.stamp) || compareItems(itemA, itemB))
    .map(([item]) => item);
}

/**
 * Item states for a row that has the list but no per-item metadata yet (e.g. created before
 * metadata existed), all stamped with `stamp`.
 */
export function setStatesFromList(items: readonly string[], stamp: Stamp): SetStates {
  return Object.fromEntries(items.map((item) => [item, { present: true, stamp: { ...stamp } }]));
}

// Equal stamps can only disagree if one client reused a stamp; add wins so the outcome still
// does not depend on arrival order.
function compareOps(a: SetItemState, b: SetItemState): number {
  return compareStamps(a.stamp, b.stamp) || Number(a.present) - Number(b.present);
}

// Items are user text: "__proto__" or "constructor" must be plain keys, never prototype lookups.
function ownEntries(states: SetStates): [string, SetItemState][] {
  return Object.keys(states).map((item) => [item, states[item] as SetItemState]);
}

function compareItems(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
