/**
 * Checks of the sync machinery over the whole model: each strategy's concurrent behaviour,
 * conflicts listed and resolved, changesSince paging, entityChanged streams and the audit log.
 */

import type { EntityDescription, FieldDescription, JsonValue } from '../model/index.ts';
import { CLIENT_A, CLIENT_B, freshEntity } from './checks-entities.ts';
import {
  type ChangeResult,
  type Conflict,
  type Entity,
  expectThat,
  type RunContext,
  show,
  stamp,
} from './context.ts';
import { meetsStringConstraints, sameValue, setItems, validDeltas, validValues } from './values.ts';

const MINUTE = 60_000;
const setOf = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

function expectMerged(result: ChangeResult, field: FieldDescription, what: string) {
  expectThat(
    result.status === 'MERGED' && result.mergedFields.includes(field.name),
    `${what}: expected MERGED with mergedFields [${field.name}], got ${result.status} ${show(result.mergedFields)} ${show(result.error)}`,
  );
}

/** Client A writes `a`, then client B, from the same base, writes `b`. */
async function concurrent(
  ctx: RunContext,
  entity: EntityDescription,
  id: string,
  a: { patch: Record<string, JsonValue>; hlc: string },
  b: { patch: Record<string, JsonValue>; hlc: string },
): Promise<ChangeResult> {
  const { admin } = ctx.users;
  const base = ctx.version(id);
  await ctx.apply(admin, CLIENT_A, { entity, id, baseVersion: base, ...a });
  return ctx.pushOne(admin, CLIENT_B, { entity, id, baseVersion: base, ...b });
}

async function checkLww(
  ctx: RunContext,
  entity: EntityDescription,
  field: FieldDescription,
  name: string,
) {
  const values = validValues(field, ctx.world);
  if (values.length < 2) return;
  const [first, second] = values as [JsonValue, JsonValue];
  const third = values[2] ?? first;
  await ctx.check(
    `${entity.name}.${field.name}: LWW, the higher clock wins a concurrent write`,
    async () => {
      const { id } = await freshEntity(ctx, entity);
      const late = await concurrent(
        ctx,
        entity,
        id,
        { patch: { [name]: second }, hlc: stamp(MINUTE) },
        { patch: { [name]: third }, hlc: stamp(-MINUTE) },
      );
      expectMerged(late, field, 'older write arriving late');
      expectThat(
        sameValue(field, late.entity?.[field.name], second),
        `older write arriving late: ${show(late.entity?.[field.name])}, expected ${show(second)}`,
      );
      const newer = await concurrent(
        ctx,
        entity,
        id,
        { patch: { [name]: first }, hlc: stamp(-2 * MINUTE) },
        { patch: { [name]: second }, hlc: stamp(2 * MINUTE) },
      );
      expectMerged(newer, field, 'newer write arriving late');
      expectThat(
        sameValue(field, newer.entity?.[field.name], second),
        `newer write arriving late: ${show(newer.entity?.[field.name])}, expected ${show(second)}`,
      );
      return 'older loses, newer wins';
    },
  );
}

/** Three words that fit the field, and edits of the first and of the last word. */
function textEdits(field: FieldDescription) {
  const sets = [
    ['alpha', 'beta', 'gamma', 'ALPHA', 'GAMMA', 'DELTA', 'OMEGA'],
    ['a', 'b', 'c', 'A', 'C', 'D', 'E'],
  ];
  for (const [w1, w2, w3, e1, e3, x, y] of sets as string[][]) {
    const texts = {
      base: `${w1} ${w2} ${w3}`,
      first: `${e1} ${w2} ${w3}`,
      last: `${w1} ${w2} ${e3}`,
      merged: `${e1} ${w2} ${e3}`,
      overlapA: `${w1} ${x} ${w3}`,
      overlapB: `${w1} ${y} ${w3}`,
    };
    if (Object.values(texts).every((text) => meetsStringConstraints(text, field.constraints)))
      return texts;
  }
  return null;
}

async function checkText(
  ctx: RunContext,
  entity: EntityDescription,
  field: FieldDescription,
  name: string,
) {
  const texts = textEdits(field);
  if (!texts) return;
  await ctx.check(
    `${entity.name}.${field.name}: TEXT merges disjoint edits, overlapping edits open a conflict`,
    async () => {
      const { admin } = ctx.users;
      const { id } = await freshEntity(ctx, entity);
      await ctx.apply(admin, CLIENT_A, {
        entity,
        id,
        baseVersion: ctx.version(id),
        patch: { [name]: texts.base },
      });
      const merged = await concurrent(
        ctx,
        entity,
        id,
        { patch: { [name]: texts.first }, hlc: stamp(0) },
        { patch: { [name]: texts.last }, hlc: stamp(0) },
      );
      expectMerged(merged, field, 'disjoint edits');
      expectThat(
        merged.entity?.[field.name] === texts.merged,
        `disjoint edits gave ${show(merged.entity?.[field.name])}, expected ${show(texts.merged)}`,
      );
      await ctx.apply(admin, CLIENT_A, {
        entity,
        id,
        baseVersion: ctx.version(id),
        patch: { [name]: texts.base },
      });
      const clash = await concurrent(
        ctx,
        entity,
        id,
        { patch: { [name]: texts.overlapA }, hlc: stamp(0) },
        { patch: { [name]: texts.overlapB }, hlc: stamp(0) },
      );
      expectThat(
        clash.status === 'CONFLICT' && clash.conflict?.field === field.name,
        `overlapping edits: ${clash.status} ${show(clash.conflict)}`,
      );
      expectThat(
        clash.entity?.[field.name] === texts.overlapA,
        `overlapping edits kept ${show(clash.entity?.[field.name])}`,
      );
      ctx.openedConflicts.push({ conflict: clash.conflict as Conflict, entity });
      return `merged to "${texts.merged}"`;
    },
  );
}

async function checkSet(ctx: RunContext, entity: EntityDescription, field: FieldDescription) {
  const add = field.patchFields.find((patchField) => patchField.role === 'ADD');
  const remove = field.patchFields.find((patchField) => patchField.role === 'REMOVE');
  const [initial] = setItems(field, 1);
  const [x, y] = setItems(field, 2, 1);
  if (!add || !remove || !initial || !x || !y) return;
  await ctx.check(
    `${entity.name}.${field.name}: SET, concurrent adds and removes commute`,
    async () => {
      const fresh = await freshEntity(ctx, entity);
      expectThat(
        setOf(fresh[field.name]).includes(initial),
        `created with ${show(fresh[field.name])}`,
      );
      const result = await concurrent(
        ctx,
        entity,
        fresh.id,
        { patch: { [add.name]: [x] }, hlc: stamp(0) },
        { patch: { [add.name]: [y], [remove.name]: [initial] }, hlc: stamp(0) },
      );
      expectMerged(result, field, 'concurrent operations');
      const items = setOf(result.entity?.[field.name]);
      expectThat(
        items.includes(x) && items.includes(y) && !items.includes(initial),
        `got ${show(items)}, expected ${x} and ${y} without ${initial}`,
      );
      return show(items);
    },
  );
}

async function checkCounter(
  ctx: RunContext,
  entity: EntityDescription,
  field: FieldDescription,
  name: string,
) {
  const [d1, d2] = validDeltas(field);
  if (d1 === undefined || d2 === undefined) return;
  await ctx.check(`${entity.name}.${field.name}: COUNTER, concurrent deltas add up`, async () => {
    const fresh = await freshEntity(ctx, entity);
    const start = Number(fresh[field.name]);
    const result = await concurrent(
      ctx,
      entity,
      fresh.id,
      { patch: { [name]: d1 }, hlc: stamp(0) },
      { patch: { [name]: d2 }, hlc: stamp(0) },
    );
    expectMerged(result, field, 'concurrent deltas');
    const total = Number(result.entity?.[field.name]);
    expectThat(
      Math.abs(total - (start + d1 + d2)) < 1e-9,
      `${start} + ${d1} + ${d2} gave ${total}`,
    );
    return `${start} + ${d1} + ${d2} = ${total}`;
  });
}

async function checkManual(
  ctx: RunContext,
  entity: EntityDescription,
  field: FieldDescription,
  name: string,
) {
  const values = validValues(field, ctx.world);
  if (values.length < 2) return;
  const serverValue = values[1] as JsonValue;
  const localValue = values[2] ?? (values[0] as JsonValue);
  await ctx.check(
    `${entity.name}.${field.name}: MANUAL, a concurrent write opens a conflict`,
    async () => {
      const { id } = await freshEntity(ctx, entity);
      const result = await concurrent(
        ctx,
        entity,
        id,
        { patch: { [name]: serverValue }, hlc: stamp(0) },
        { patch: { [name]: localValue }, hlc: stamp(MINUTE) },
      );
      const conflict = result.conflict;
      expectThat(
        result.status === 'CONFLICT' && conflict?.field === field.name,
        `expected CONFLICT on ${field.name}, got ${result.status} ${show(conflict)}`,
      );
      expectThat(
        sameValue(field, result.entity?.[field.name], serverValue),
        `the server value was not kept: ${show(result.entity?.[field.name])}`,
      );
      expectThat(
        sameValue(field, conflict.localValue, localValue) &&
          sameValue(field, conflict.serverValue, serverValue),
        `conflict values local ${show(conflict.localValue)}, server ${show(conflict.serverValue)}`,
      );
      expectThat(
        conflict.entityType === entity.entityType && conflict.entityId === id,
        `conflict names ${conflict.entityType} ${conflict.entityId}`,
      );
      ctx.openedConflicts.push({ conflict, entity });
      return `conflict ${conflict.id}`;
    },
  );
}

/** An edit of an entity deleted meanwhile: every entity type can open this conflict. */
async function checkEditOfDeleted(ctx: RunContext, entity: EntityDescription) {
  const field = entity.fields.find((candidate) =>
    candidate.patchFields.some((patchField) => patchField.role === 'VALUE'),
  );
  const patchField = field?.patchFields.find((candidate) => candidate.role === 'VALUE');
  const value = field ? validValues(field, ctx.world)[0] : undefined;
  if (!field || !patchField || value === undefined) return;
  await ctx.check(
    `${entity.name}: an edit of a concurrently deleted entity opens a _deleted conflict`,
    async () => {
      const { admin } = ctx.users;
      const { id } = await freshEntity(ctx, entity);
      const base = ctx.version(id);
      await ctx.apply(admin, CLIENT_A, { entity, id, baseVersion: base, delete: true });
      const result = await ctx.pushOne(admin, CLIENT_B, {
        entity,
        id,
        baseVersion: base,
        patch: { [patchField.name]: value },
      });
      expectThat(
        result.status === 'CONFLICT' && result.conflict?.field === '_deleted',
        `got ${result.status} ${show(result.conflict ?? result.error)}`,
      );
      ctx.openedConflicts.push({ conflict: result.conflict, entity });
      return `conflict ${result.conflict.id}`;
    },
  );
}

export async function checkStrategies(ctx: RunContext) {
  for (const entity of ctx.model.entities) {
    for (const field of entity.fields) {
      const value = field.patchFields.find((patchField) => patchField.role === 'VALUE');
      const delta = field.patchFields.find((patchField) => patchField.role === 'DELTA');
      if (field.strategy === 'LWW' && value) await checkLww(ctx, entity, field, value.name);
      if (field.strategy === 'TEXT' && value) await checkText(ctx, entity, field, value.name);
      if (field.strategy === 'MANUAL' && value) await checkManual(ctx, entity, field, value.name);
      if (field.strategy === 'SET') await checkSet(ctx, entity, field);
      if (field.strategy === 'COUNTER' && delta) await checkCounter(ctx, entity, field, delta.name);
    }
    await checkEditOfDeleted(ctx, entity);
  }
}

async function listConflicts(ctx: RunContext, status: 'OPEN' | 'RESOLVED'): Promise<Conflict[]> {
  const all: Conflict[] = [];
  let after: string | undefined;
  for (let page = 0; page < 100; page++) {
    const data = await ctx.client.data<{ conflicts: Conflict[] }>(
      ctx.users.editor,
      ctx.docs.conflicts,
      {
        workspaceId: ctx.workspaceId,
        status,
        first: 50,
        ...(after ? { after } : {}),
      },
    );
    all.push(...data.conflicts);
    if (data.conflicts.length < 50) return all;
    after = data.conflicts.at(-1)?.id;
  }
  throw new Error('conflicts: more than 100 pages');
}

export async function checkConflicts(ctx: RunContext) {
  const opened = ctx.openedConflicts;
  await ctx.check(
    `conflicts: lists the ${opened.length} conflicts opened, oldest first`,
    async () => {
      expectThat(
        opened.length > 0,
        'no conflict was opened (see the MANUAL, TEXT and _deleted checks)',
      );
      const listed = await listConflicts(ctx, 'OPEN');
      const ids = listed.map((conflict) => conflict.id);
      const missing = opened.filter(({ conflict }) => !ids.includes(conflict.id));
      expectThat(
        missing.length === 0,
        `not listed: ${missing.map(({ conflict }) => conflict.id).join(', ')}`,
      );
      const positions = opened.map(({ conflict }) => ids.indexOf(conflict.id));
      expectThat(
        positions.every((position, i) => i === 0 || position > (positions[i - 1] as number)),
        'not in the order they opened',
      );
      for (const { conflict, entity } of opened) {
        const found = listed.find((candidate) => candidate.id === conflict.id);
        expectThat(
          found?.entityType === entity.entityType && found.status === 'OPEN',
          `${conflict.id}: ${show(found)}`,
        );
      }
      return `${listed.length} open`;
    },
  );
  for (const [index, { conflict, entity }] of opened.entries()) {
    const choice = index % 2 === 0 ? 'SERVER' : 'LOCAL';
    await ctx.check(`${entity.name}.${conflict.field}: resolveConflict ${choice}`, async () => {
      const before = (await ctx.read(entity, conflict.entityId)) as Entity;
      const data = await ctx.client.data<{ resolveConflict: Conflict }>(
        ctx.users.admin,
        ctx.docs.resolveConflict,
        {
          id: conflict.id,
          choice,
        },
      );
      expectThat(
        data.resolveConflict.status === 'RESOLVED',
        `status ${data.resolveConflict.status}`,
      );
      const after = await ctx.read(entity, conflict.entityId);
      expectThat(
        after?.version === before.version + 1,
        `version ${before.version} -> ${after?.version}: a resolution is an applied change`,
      );
      if (conflict.field === '_deleted') {
        expectThat(
          after.deleted === (choice === 'SERVER'),
          `deleted is ${after.deleted} after ${choice}`,
        );
      } else {
        const field = entity.fields.find(
          (candidate) => candidate.name === conflict.field,
        ) as FieldDescription;
        const want = choice === 'SERVER' ? conflict.serverValue : conflict.localValue;
        expectThat(
          sameValue(field, after[field.name], want),
          `${field.name} is ${show(after[field.name])}, expected ${show(want)}`,
        );
      }
      return `version ${after.version}`;
    });
  }
  if (opened.length > 0) {
    await ctx.check('conflicts: resolved conflicts are no longer OPEN', async () => {
      const open = (await listConflicts(ctx, 'OPEN')).map((conflict) => conflict.id);
      const resolved = (await listConflicts(ctx, 'RESOLVED')).map((conflict) => conflict.id);
      const wrong = opened.filter(
        ({ conflict }) => open.includes(conflict.id) || !resolved.includes(conflict.id),
      );
      expectThat(
        wrong.length === 0,
        `still open or not listed as RESOLVED: ${wrong.map(({ conflict }) => conflict.id).join(', ')}`,
      );
      return `${resolved.length} resolved`;
    });
  }
}

interface Batch {
  cursor: string;
  hasMore: boolean;
  entities: Entity[];
}

async function pullAll(ctx: RunContext, limit: number, types?: string[]) {
  const entities: Entity[] = [];
  let cursor: string = ctx.startCursor;
  let pages = 0;
  const maxPages = Math.ceil(ctx.known.size / limit) + 10;
  for (; pages < maxPages; pages++) {
    const { changesSince } = await ctx.client.data<{ changesSince: Batch }>(
      ctx.users.editor,
      ctx.docs.changesSince,
      {
        workspaceId: ctx.workspaceId,
        cursor,
        limit,
        ...(types ? { types } : {}),
      },
    );
    expectThat(
      changesSince.entities.length <= limit,
      `a page of ${changesSince.entities.length} entities with limit ${limit}`,
    );
    entities.push(...changesSince.entities);
    cursor = changesSince.cursor;
    if (!changesSince.hasMore) return { entities, pages: pages + 1 };
  }
  throw new Error(`changesSince still had more after ${maxPages} pages`);
}

export async function checkPull(ctx: RunContext) {
  const limit = 3;
  await ctx.check(
    `changesSince: pages of ${limit} deliver every entity once, in its latest version`,
    async () => {
      const { entities, pages } = await pullAll(ctx, limit);
      const ids = entities.map((entity) => entity.id);
      expectThat(new Set(ids).size === ids.length, 'an entity came twice');
      const missing = [...ctx.known.keys()].filter((id) => !ids.includes(id));
      expectThat(missing.length === 0, `missing: ${missing.slice(0, 5).join(', ')}`);
      const stale = entities.filter(
        (entity) => entity.version !== ctx.known.get(entity.id)?.version,
      );
      expectThat(
        stale.length === 0,
        `not the latest version: ${stale
          .slice(0, 3)
          .map((entity) => `${entity.id} v${entity.version}`)
          .join(', ')}`,
      );
      return `${entities.length} entities in ${pages} pages`;
    },
  );
  for (const entity of ctx.model.entities) {
    await ctx.check(
      `changesSince: types [${entity.entityType}] delivers every ${entity.name} and nothing else`,
      async () => {
        const { entities } = await pullAll(ctx, limit, [entity.entityType]);
        const others = entities.filter((candidate) => candidate.__typename !== entity.name);
        expectThat(others.length === 0, `also got ${others[0]?.__typename}`);
        const expected = [...ctx.known.values()]
          .filter((known) => known.__typename === entity.name)
          .map((known) => known.id);
        const got = new Set(entities.map((candidate) => candidate.id));
        expectThat(
          expected.length > 0 && expected.every((id) => got.has(id)),
          `${got.size} of ${expected.length} ${entity.name} entities`,
        );
        return `${entities.length} entities`;
      },
    );
  }
}

interface EntityChange {
  cursor: string;
  op: string;
  changedFields: string[];
  actorId: string | null;
  entity: Entity;
}

export async function checkStream(ctx: RunContext, timeoutMs: number) {
  const stream = ctx.client.subscribe<{ entityChanged: EntityChange }>(
    ctx.users.editor,
    ctx.docs.entityChanged,
    {
      workspaceId: ctx.workspaceId,
      after: ctx.startCursor,
    },
  );
  try {
    const events = () =>
      stream.results
        .map((result) => result.data?.entityChanged)
        .filter((event) => event !== undefined);
    const replayed = await stream.until((results) => results.length > 0, timeoutMs);
    const live = new Map<string, string>();
    if (replayed) {
      for (const entity of ctx.model.entities) {
        const created = await freshEntity(ctx, entity).catch(() => null);
        if (created) live.set(entity.name, created.id);
      }
      await stream.until(
        () => [...live.values()].every((id) => events().some((event) => event.entity.id === id)),
        timeoutMs,
      );
    }
    for (const entity of ctx.model.entities) {
      await ctx.check(
        `entityChanged: delivers ${entity.name} changes, replayed and live`,
        async () => {
          const errors = stream.results.flatMap((result) => result.errors ?? []);
          expectThat(errors.length === 0, `stream errors: ${show(errors)}`);
          expectThat(
            replayed,
            `no event within ${timeoutMs} ms${stream.failure ? `: ${stream.failure}` : ''}`,
          );
          const ofType = events().filter((event) => event.entity.__typename === entity.name);
          const anchor = ctx.anchors.get(entity.name)?.[0];
          const create = ofType.find(
            (event) => event.entity.id === anchor?.id && event.op === 'CREATE',
          );
          expectThat(create !== undefined, `no replayed CREATE of ${anchor?.id}`);
          expectThat(create.actorId === ctx.users.admin, `actorId ${create.actorId}`);
          const liveId = live.get(entity.name);
          expectThat(
            liveId !== undefined && ofType.some((event) => event.entity.id === liveId),
            'the live create was not delivered',
          );
          return `${ofType.length} events`;
        },
      );
    }
    await ctx.check('entityChanged: events come in cursor order without duplicates', async () => {
      const all = events();
      const keys = all.map((event) => `${event.entity.id}@${event.entity.version}`);
      expectThat(new Set(keys).size === keys.length, 'a change was delivered twice');
      const cursors = all.map((event) => event.cursor);
      expectThat(new Set(cursors).size === cursors.length, 'two events share a cursor');
      return `${all.length} events`;
    });
  } finally {
    await stream.stop();
  }
}

interface AuditEntry {
  entityType: string;
  entityId: string;
  op: string;
  changedFields: string[];
  version: number;
  actorId: string | null;
}

export async function checkAudit(ctx: RunContext) {
  for (const entity of ctx.model.entities) {
    await ctx.check(
      `auditLog: one entry per applied change of a ${entity.name}, newest first`,
      async () => {
        const anchor = ctx.anchors.get(entity.name)?.[0];
        expectThat(anchor !== undefined, `no ${entity.name} was created`);
        const current = (await ctx.read(entity, anchor.id)) as Entity;
        const entries: AuditEntry[] = [];
        let before: string | undefined;
        for (let page = 0; page < 50; page++) {
          const { auditLog } = await ctx.client.data<{
            auditLog: { cursor: string | null; hasMore: boolean; entries: AuditEntry[] };
          }>(ctx.users.admin, ctx.docs.auditLog, {
            workspaceId: ctx.workspaceId,
            entityType: entity.entityType,
            entityId: anchor.id,
            first: 100,
            ...(before ? { before } : {}),
          });
          entries.push(...auditLog.entries);
          if (!auditLog.hasMore || !auditLog.cursor) break;
          before = auditLog.cursor;
        }
        expectThat(
          entries.length === current.version,
          `${entries.length} entries for version ${current.version}`,
        );
        expectThat(
          entries.every((entry, i) => entry.version === current.version - i),
          `versions ${show(entries.map((entry) => entry.version))}`,
        );
        expectThat(
          entries.every(
            (entry) => entry.entityId === anchor.id && entry.entityType === entity.entityType,
          ),
          'an entry of another entity',
        );
        const oldest = entries.at(-1);
        expectThat(
          oldest?.op === 'CREATE' && oldest.actorId === ctx.users.admin,
          `oldest entry ${show(oldest)}`,
        );
        return `${entries.length} entries`;
      },
    );
  }
}
