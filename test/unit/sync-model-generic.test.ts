/**
 * The engine's validation and in-memory merges read an entity's description, not its name:
 * driven here by the example model (examples/field-service/model.graphql), which shares no
 * name with the default model and has two @set fields (one of an enum), two @counter fields
 * (one Float), @owner, @member, @ref and @pattern fields. No database: the merge's only I/O,
 * the base value of a three-way merge, is answered by a stub.
 */

import { describe, expect, it } from 'vitest';
import type { EntityDescription } from '../../model/index.ts';
import { loadModel } from '../../model/load.ts';
import type { Stamp } from '../../model/merge/index.ts';
import { columnTypeOf } from '../../server/sync/bulk-sql.ts';
import { ownerRuleProblem } from '../../server/sync/change-rules.ts';
import { type FieldMeta, readFieldMeta } from '../../server/sync/entities.ts';
import { createdValues, FieldMerge } from '../../server/sync/field-merge.ts';
import { entityOfName } from '../../server/sync/model.ts';
import type { ChangeRequest, SyncEntity } from '../../server/sync/types.ts';
import { validatePatch } from '../../server/sync/validation.ts';
import type { WorkspaceWriter } from '../../server/sync/workspace-writer.ts';

const example = loadModel(
  new URL('../../examples/field-service/model.graphql', import.meta.url).pathname,
);

function entity(name: string): EntityDescription {
  const found = example.entities.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no entity ${name}`);
  return found;
}

const workOrder = entity('WorkOrder');
const problem = (field: string, message: string) => ({ field, message });
const stamp = (hlc: string, clientId = 'c1'): Stamp => ({ hlc, clientId });

describe('validation from the example model', () => {
  const check = (patch: Record<string, unknown>, mode: 'create' | 'update' = 'update') =>
    validatePatch(workOrder, patch, mode);

  it('requires the non-null fields without default on create, in field order', () => {
    expect(workOrder.requiredOnCreate).toEqual(['siteId', 'summary']);
    expect(check({}, 'create')).toEqual(problem('siteId', 'is required'));
    expect(check({ siteId: 's1' }, 'create')).toEqual(problem('summary', 'is required'));
    expect(check({ siteId: 's1', summary: 'Fix the boiler' }, 'create')).toBeNull();
  });

  it('refuses the @owner field and the set and counter columns as patch fields', () => {
    expect(check({ dispatcherId: 'me' })).toEqual(
      problem('dispatcherId', 'is not a field of WorkOrderPatch'),
    );
    expect(check({ labels: ['x'] })).toEqual(problem('labels', 'is not a field of WorkOrderPatch'));
    expect(check({ laborHours: 2 })).toEqual(
      problem('laborHours', 'is not a field of WorkOrderPatch'),
    );
  });

  it('checks an enum set item by item and bounds each operation by @items', () => {
    expect(check({ requiredSkillsAdd: ['HVAC', 'PLUMBING'] })).toBeNull();
    expect(check({ requiredSkillsAdd: ['WIZARDRY'] })).toEqual(
      problem(
        'requiredSkillsAdd',
        'each required skill must be one of ELECTRICAL, PLUMBING, HVAC, CARPENTRY',
      ),
    );
    expect(check({ requiredSkillsRemove: ['HVAC', 'HVAC', 'HVAC', 'HVAC', 'HVAC'] })).toEqual(
      problem('requiredSkillsRemove', 'must contain at most 4 required skills'),
    );
    expect(check({ requiredSkillsAdd: 'HVAC' })).toEqual(
      problem('requiredSkillsAdd', 'must be a list of required skills'),
    );
  });

  it('checks a text set with its own patch names, @length per item, and disjoint operations', () => {
    expect(check({ labelsAttach: ['urgent'], labelsDetach: ['later'] })).toBeNull();
    expect(check({ labelsAttach: ['l'.repeat(41)] })).toEqual(
      problem('labelsAttach', 'each label must be at most 40 characters'),
    );
    expect(check({ labelsAttach: [' padded'] })).toEqual(
      problem('labelsAttach', 'each label must not start or end with whitespace'),
    );
    expect(check({ labelsAttach: ['a', 'b'], labelsDetach: ['b'] })).toEqual(
      problem('labelsDetach', 'must not contain a label that is also in labelsAttach'),
    );
    expect(check({ requiredSkillsAdd: ['HVAC'], requiredSkillsRemove: ['HVAC'] })).toEqual(
      problem(
        'requiredSkillsRemove',
        'must not contain a required skill that is also in requiredSkillsAdd',
      ),
    );
  });

  it('checks an Int and a Float counter delta by maxDelta', () => {
    expect(check({ laborHoursDelta: 0.25 })).toBeNull();
    expect(check({ laborHoursDelta: -24 })).toBeNull();
    const hours = 'must be a non-zero finite number from -24 to 24';
    expect(check({ laborHoursDelta: 0 })).toEqual(problem('laborHoursDelta', hours));
    expect(check({ laborHoursDelta: 24.5 })).toEqual(problem('laborHoursDelta', hours));
    expect(check({ laborHoursDelta: Number.NaN })).toEqual(problem('laborHoursDelta', hours));
    expect(check({ partsFittedChange: 3 })).toBeNull();
    const parts = 'must be a non-zero integer from -500 to 500';
    expect(check({ partsFittedChange: 1.5 })).toEqual(problem('partsFittedChange', parts));
    expect(check({ partsFittedChange: 501 })).toEqual(problem('partsFittedChange', parts));
    expect(check({ partsFittedChange: null })).toEqual(
      problem('partsFittedChange', 'must not be null'),
    );
  });

  it('checks Float ranges, Int ranges, enums, dates, @member ids and JSON', () => {
    expect(check({ quotedPrice: 99.5 })).toBeNull();
    expect(check({ quotedPrice: -0.01 })).toEqual(
      problem('quotedPrice', 'must be a number from 0 to 1000000'),
    );
    expect(check({ urgency: 5 })).toEqual(problem('urgency', 'must be an integer from 1 to 4'));
    expect(check({ state: 'LOST' })).toEqual(
      problem('state', 'must be one of SCHEDULED, EN_ROUTE, ON_SITE, COMPLETED, CANCELLED'),
    );
    expect(check({ scheduledFor: new Date(Date.UTC(1969, 11, 31)) })).toEqual(
      problem('scheduledFor', 'must be between 1970-01-01 and 9999-12-31 (UTC)'),
    );
    expect(check({ technicianId: 'auth0|tech' })).toBeNull();
    expect(check({ technicianId: 'a\nb' })).toEqual(
      problem('technicianId', 'must be 1 to 128 characters without control characters'),
    );
    expect(check({ siteId: 'not an id' })).toEqual(
      problem('siteId', 'must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -'),
    );
    expect(check({ checklist: { steps: ['isolate', 'replace'], done: false } })).toBeNull();
    expect(check({ checklist: null })).toBeNull();
    expect(check({ checklist: 'x'.repeat(100_000) })).toEqual(
      problem('checklist', 'must be at most 100000 characters as JSON'),
    );
  });

  it('checks @pattern with its description, after @length and @ascii', () => {
    const partCategory = entity('PartCategory');
    expect(validatePatch(partCategory, { code: 'FUSE-10A' }, 'update')).toBeNull();
    expect(validatePatch(partCategory, { code: 'fuse' }, 'update')).toEqual(
      problem('code', 'must be capital letters, digits and dashes'),
    );
    expect(validatePatch(partCategory, { code: 'F'.repeat(17) }, 'update')).toEqual(
      problem('code', 'must be at most 16 characters'),
    );
    expect(validatePatch(partCategory, { code: 'É' }, 'update')).toEqual(
      problem('code', 'must contain only printable ASCII characters'),
    );
  });
});

describe('creates from the example model', () => {
  it('applies defaults, both sets, both counters and sets the owner to the creator', () => {
    const created = createdValues(
      workOrder,
      {
        siteId: 's1',
        summary: 'Fix the boiler',
        requiredSkillsAdd: ['PLUMBING'],
        labelsAttach: ['urgent', 'boiler'],
        laborHoursDelta: 1.5,
        partsFittedChange: 2,
      },
      'dispatcher-1',
      stamp('100:0'),
    );
    if ('problem' in created) throw new Error(created.problem.message);
    expect(created.values).toMatchObject({
      siteId: 's1',
      summary: 'Fix the boiler',
      instructions: '',
      state: 'SCHEDULED',
      urgency: 2,
      requiredSkills: ['PLUMBING'],
      labels: ['boiler', 'urgent'],
      technicianId: null,
      scheduledFor: null,
      quotedPrice: null,
      laborHours: 1.5,
      partsFitted: 2,
      dispatcherId: 'dispatcher-1',
      checklist: null,
    });
    expect(Object.keys(created.meta.sets ?? {})).toEqual(['requiredSkills', 'labels']);
    expect(Object.keys(created.meta.fields)).not.toContain('dispatcherId');
    expect(created.meta.fields.summary).toEqual({ version: 1, hlc: '100:0', clientId: 'c1' });
  });

  it('turns a DateTime default into a Date and never shares the frozen description', () => {
    const created = createdValues(entity('Batch'), { workOrderId: 'w1' }, 'u1', stamp('1:0'));
    if ('problem' in created) throw new Error(created.problem.message);
    expect(created.values.deliveredAt).toEqual(new Date('2026-01-01T00:00:00.000Z'));
    expect(created.values.units).toBe(1);
    const order = createdValues(workOrder, { siteId: 's', summary: 's' }, 'u1', stamp('1:0'));
    if ('problem' in order) throw new Error(order.problem.message);
    expect(Object.isFrozen(order.values.labels)).toBe(false);
  });
});

/** A stored work order at version 3 whose labels and laborHours were last written at version 3. */
function storedWorkOrder(overrides: Partial<SyncEntity> = {}, meta?: FieldMeta): SyncEntity {
  const created = createdValues(
    workOrder,
    {
      siteId: 's1',
      summary: 'Fix the boiler',
      requiredSkillsAdd: ['PLUMBING', 'HVAC', 'ELECTRICAL'],
      labelsAttach: ['urgent'],
      laborHoursDelta: 1.5,
      partsFittedChange: 2,
      quotedPrice: 100,
    },
    'dispatcher-1',
    stamp('100:0'),
  );
  if ('problem' in created) throw new Error(created.problem.message);
  const fieldMeta = meta ?? created.meta;
  for (const field of ['labels', 'laborHours', 'quotedPrice', 'requiredSkills'])
    fieldMeta.fields[field] = { version: 3, hlc: '300:0', clientId: 'other' };
  return {
    id: 'w1',
    workspaceId: 'ws',
    ...created.values,
    version: 3,
    seq: 3,
    createdAt: new Date(0),
    updatedAt: new Date(0),
    updatedBy: 'dispatcher-1',
    deleted: false,
    fieldMeta,
    ...overrides,
  };
}

/** Only TEXT and MANUAL merges ask the writer, for the base value. */
const writerWithBase = (base: unknown) =>
  ({ valueAtVersion: async () => base }) as unknown as WorkspaceWriter;

async function mergeOnto(
  existing: SyncEntity,
  patch: Record<string, unknown>,
  baseVersion: number,
  description = workOrder,
) {
  const change: ChangeRequest = {
    entityType: description.entityType,
    mutationId: 'm1',
    id: existing.id,
    baseVersion,
    hlc: null,
    delete: false,
    patch,
  };
  return new FieldMerge(
    writerWithBase(90),
    change,
    description,
    existing,
    baseVersion,
    stamp('400:0', 'c2'),
  ).run(patch);
}

describe('merges from the example model', () => {
  it('merges concurrent operations on two sets and adds to two counters', async () => {
    const merge = await mergeOnto(
      storedWorkOrder(),
      {
        labelsAttach: ['parts-ordered'],
        labelsDetach: ['urgent'],
        requiredSkillsRemove: ['HVAC'],
        laborHoursDelta: 0.25,
        partsFittedChange: -1,
      },
      1,
    );
    if ('problem' in merge) throw new Error(merge.problem.message);
    expect(merge.values).toEqual({
      labels: ['parts-ordered'],
      requiredSkills: ['ELECTRICAL', 'PLUMBING'],
      laborHours: 1.75,
      partsFitted: 1,
    });
    // Fields the server changed after version 1 merge; partsFitted was not changed since.
    expect(merge.mergedFields).toEqual(['requiredSkills', 'labels', 'laborHours']);
    expect(Object.keys(merge.meta.sets ?? {}).sort()).toEqual(['labels', 'requiredSkills']);
    expect(merge.meta.sets?.labels?.urgent).toEqual({
      present: false,
      stamp: stamp('400:0', 'c2'),
    });
  });

  it('bounds the whole set by @items, naming the add field', async () => {
    const merge = await mergeOnto(storedWorkOrder(), { requiredSkillsAdd: ['CARPENTRY'] }, 3);
    expect('problem' in merge).toBe(false);
    const labels = storedWorkOrder({ labels: Array.from({ length: 20 }, (_, i) => `l${i}`) });
    labels.fieldMeta = { fields: (labels.fieldMeta as FieldMeta).fields };
    expect(await mergeOnto(labels, { labelsAttach: ['one-more'] }, 3)).toEqual({
      problem: problem('labelsAttach', 'would give the work order more than 20 labels'),
    });
  });

  it('keeps an Int counter in 32 bits and a Float counter finite', async () => {
    const nearMax = storedWorkOrder({ partsFitted: 2_147_483_600 });
    expect(await mergeOnto(nearMax, { partsFittedChange: 100 }, 3)).toEqual({
      problem: problem(
        'partsFittedChange',
        'would take partsFitted outside -2147483648..2147483647',
      ),
    });
    const huge = storedWorkOrder({ laborHours: Number.MAX_VALUE });
    expect(await mergeOnto(huge, { laborHoursDelta: 24 }, 3)).not.toHaveProperty('problem');
    const infinite = storedWorkOrder({ laborHours: Number.POSITIVE_INFINITY });
    expect(await mergeOnto(infinite, { laborHoursDelta: 1 }, 3)).toEqual({
      problem: problem('laborHoursDelta', 'would take laborHours outside the finite numbers'),
    });
  });

  it('opens a conflict for a concurrent @manual field, with the base from the log', async () => {
    const merge = await mergeOnto(storedWorkOrder(), { quotedPrice: 120, urgency: 4 }, 1);
    if ('problem' in merge) throw new Error(merge.problem.message);
    expect(merge.conflictFields).toEqual([
      { field: 'quotedPrice', base: 90, local: 120, server: 100 },
    ]);
    // The other field of the change still applies.
    expect(merge.values).toEqual({ urgency: 4 });
  });
});

describe('the owner rule of any entity with an @owner field', () => {
  const row = storedWorkOrder();

  it('lets the owner and ADMINs change the entity, and refuses other editors', () => {
    expect(ownerRuleProblem('EDITOR', { userId: 'dispatcher-1' }, workOrder, row)).toBeNull();
    expect(ownerRuleProblem('ADMIN', { userId: 'someone' }, workOrder, row)).toBeNull();
    expect(ownerRuleProblem('EDITOR', { userId: 'someone' }, workOrder, row)).toEqual({
      code: 'FORBIDDEN',
      message: 'Only the dispatcher or an ADMIN may change a work order',
      field: null,
    });
    const inventory = entity('Inventory');
    expect(
      ownerRuleProblem('EDITOR', { userId: 'x' }, inventory, { ...row, countedById: 'y' })?.message,
    ).toBe('Only the user in countedById or an ADMIN may change an inventory');
  });

  it('keeps the default model message for comments and leaves entities without owner alone', () => {
    const comment = { ...row, authorId: 'author' };
    expect(
      ownerRuleProblem('EDITOR', { userId: 'x' }, entityOfName('Comment'), comment)?.message,
    ).toBe('Only the author or an ADMIN may change a comment');
    expect(ownerRuleProblem('EDITOR', { userId: 'x' }, entityOfName('Task'), row)).toBeNull();
  });
});

describe('storage from the example model', () => {
  it('derives column types from field types', () => {
    const types = Object.fromEntries(workOrder.fields.map((f) => [f.name, columnTypeOf(f)]));
    expect(types).toMatchObject({
      siteId: 'text',
      summary: 'text',
      state: '"JobState"',
      urgency: 'integer',
      requiredSkills: '"Skill"[]',
      labels: 'text[]',
      scheduledFor: 'timestamp(3)',
      quotedPrice: 'double precision',
      laborHours: 'double precision',
      partsFitted: 'integer',
      checklist: 'jsonb',
    });
    const site = Object.fromEntries(entity('Site').fields.map((f) => [f.name, columnTypeOf(f)]));
    expect(site).toMatchObject({ latitude: 'double precision', closed: 'boolean' });
  });
});

describe('rows written by the previous release', () => {
  const task = entityOfName('Task');
  const legacyRow = (): SyncEntity => ({
    id: 't1',
    workspaceId: 'ws',
    projectId: null,
    title: 'Old task',
    notes: '',
    status: 'TODO',
    priority: 0,
    // The list shows "bug"; the tag state also remembers that "wontfix" was removed at 500:0.
    tags: ['bug'],
    assigneeId: null,
    dueAt: null,
    estimateMinutes: null,
    timeSpentMinutes: 0,
    sortKey: '',
    version: 2,
    seq: 2,
    createdAt: new Date(0),
    updatedAt: new Date(0),
    updatedBy: 'u1',
    deleted: false,
    fieldMeta: {
      fields: { tags: { version: 2, hlc: '500:0', clientId: 'c9' } },
      tags: {
        bug: { present: true, stamp: stamp('100:0', 'c9') },
        wontfix: { present: false, stamp: stamp('500:0', 'c9') },
      },
    },
  });

  it('reads fieldMeta.tags as the state of the set field tags', () => {
    const meta = readFieldMeta(legacyRow());
    expect(meta.sets?.tags?.wontfix).toEqual({ present: false, stamp: stamp('500:0', 'c9') });
    expect(meta).not.toHaveProperty('tags');
  });

  it('merges on the legacy state: an older concurrent add loses to the remembered remove', async () => {
    const change: ChangeRequest = {
      entityType: 'TASK',
      mutationId: 'm',
      id: 't1',
      baseVersion: 1,
      hlc: '400:0',
      delete: false,
      patch: { tagsAdd: ['wontfix', 'ui'] },
    };
    const merge = await new FieldMerge(
      writerWithBase(null),
      change,
      task,
      legacyRow(),
      1,
      stamp('400:0', 'c2'),
    ).run(change.patch ?? {});
    if ('problem' in merge) throw new Error(merge.problem.message);
    // Rebuilt from the list alone, "wontfix" would have been added.
    expect(merge.values.tags).toEqual(['bug', 'ui']);
    expect(merge.meta.sets?.tags?.wontfix?.present).toBe(false);
    expect(merge.meta).not.toHaveProperty('tags');
  });
});
