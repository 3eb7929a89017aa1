import { compareStamps, type Stamp } from '../hlc.ts';

/**
 * Task.tags: an add/remove set whose operations commute (an LWW element set). Each tag keeps
 * its last operation and that operation's stamp, removed tags included (tombstones), so an add
 * that arrives late with a lower stamp still loses to the remove that followed it.
 */
export interface TagState {
  present: boolean;
  stamp: Stamp;
}

export type TagStates = Record<string, TagState>;

export interface TagOps {
  add: readonly string[];
  remove: readonly string[];
}

/**
 * Apply one change's tagsAdd/tagsRemove with that change's stamp. Per tag, the op applies when
 * its stamp is higher than the tag's current stamp (or the tag is unknown). The same tag added
 * and removed concurrently: higher stamp wins. Returns the new states (input not mutated) and
 * the tags whose op lost to a higher stamp.
 *
 * Each tag's state only ever moves up the order (stamp, then add over remove), which makes
 * applying a set of changes give the same states in any order and with any repetition.
 */
export function applyTagOps(
  states: TagStates,
  ops: TagOps,
  stamp: Stamp,
): { states: TagStates; lostOps: string[] } {
  const next = new Map(ownEntries(states));
  const lostOps: string[] = [];
  const apply = (tag: string, present: boolean) => {
    const current = next.get(tag);
    const order = current ? compareOps({ present, stamp }, current) : 1;
    if (order > 0) next.set(tag, { present, stamp: { ...stamp } });
    else if (order < 0 && !lostOps.includes(tag)) lostOps.push(tag);
  };
  for (const tag of ops.remove) apply(tag, false);
  for (const tag of ops.add) apply(tag, true);
  return { states: Object.fromEntries(next), lostOps };
}

/**
 * The visible tag list, in an order every replica agrees on: by the stamp at which each present
 * tag was last added, ties by tag, so tags keep the order in which people added them.
 */
export function visibleTags(states: TagStates): string[] {
  return ownEntries(states)
    .filter(([, state]) => state.present)
    .sort(([tagA, a], [tagB, b]) => compareStamps(a.stamp, b.stamp) || compareTags(tagA, tagB))
    .map(([tag]) => tag);
}

/**
 * Tag states for a row that has `tags` but no per-tag metadata yet (e.g. created before
 * metadata existed), all stamped with `stamp`.
 */
export function tagStatesFromList(tags: readonly string[], stamp: Stamp): TagStates {
  return Object.fromEntries(tags.map((tag) => [tag, { present: true, stamp: { ...stamp } }]));
}

// Equal stamps can only disagree if one client reused a stamp; add wins so the outcome still
// does not depend on arrival order.
function compareOps(a: TagState, b: TagState): number {
  return compareStamps(a.stamp, b.stamp) || Number(a.present) - Number(b.present);
}

// Tags are user text: "__proto__" or "constructor" must be plain keys, never prototype lookups.
function ownEntries(states: TagStates): [string, TagState][] {
  return Object.keys(states).map((tag) => [tag, states[tag] as TagState]);
}

function compareTags(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
