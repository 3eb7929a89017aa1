import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createSyncClient } from '../../client/index.ts';
import { clientReservedNames } from '../../model/directives.ts';
import {
  applyLocalPatch,
  createValuesAsPatch,
  fieldsNotCreatable,
  fieldsNotPatchable,
  fieldsReadByPatch,
  optimisticCreateValues,
} from '../../model/effects.ts';
import type { EntityDescription, ModelDescription } from '../../model/index.ts';
import { loadModel } from '../../model/load.ts';
import { applySetOps, type SetStates, visibleItems } from '../../model/merge/set.ts';
import { clientModelHeader, renderClientModel } from '../../scripts/generate/client-model.ts';
import { seededRandom } from '../support/random.ts';

const defaultModel = loadModel();
const exampleModel = loadModel('examples/field-service/model.graphql');

function entityNamed(model: ModelDescription, name: string): EntityDescription {
  const entity = model.entities.find((candidate) => candidate.name === name);
  if (!entity) throw new Error(`${name} is not in ${model.path}`);
  return entity;
}

/** The members of one `export type <Name> = { ... };` (or interface) of the rendered module. */
function typeMembers(source: string, name: string): string[] {
  const block = new RegExp(`export (?:type ${name} = |interface ${name} )\\{\\n([^}]*)\\n\\}`).exec(
    source,
  );
  if (!block?.[1]) throw new Error(`${name} is not declared`);
  return block[1]
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('/**'));
}

/** The description the rendered module embeds, read back as data. */
function embeddedDescription(source: string): { entities: Record<string, unknown>[] } {
  const json = /deepFreeze\((\{\n[\s\S]*?\n\})\);/.exec(source)?.[1];
  if (!json) throw new Error('no embedded description');
  return JSON.parse(json);
}

describe('client/generated/model.ts', () => {
  it('is what the model renders now (run `npm run generate` when this fails)', () => {
    const committed = readFileSync(
      new URL('../../client/generated/model.ts', import.meta.url),
      'utf8',
    );
    expect(committed.startsWith(clientModelHeader)).toBe(true);
    expect(committed).toBe(renderClientModel(defaultModel));
  });

  it('keeps the default model’s create types as apps know them', () => {
    const source = renderClientModel(defaultModel);
    expect(typeMembers(source, 'TaskCreate')).toEqual([
      'id?: string;',
      "projectId?: TaskPatch['projectId'];",
      'title: string;',
      "notes?: TaskPatch['notes'];",
      "status?: TaskPatch['status'];",
      "priority?: TaskPatch['priority'];",
      'tags?: string[];',
      "assigneeId?: TaskPatch['assigneeId'];",
      "dueAt?: TaskPatch['dueAt'];",
      "estimateMinutes?: TaskPatch['estimateMinutes'];",
      'timeSpentMinutes?: number;',
      "sortKey?: TaskPatch['sortKey'];",
    ]);
    expect(typeMembers(source, 'CommentCreate')).toEqual([
      'id?: string;',
      'taskId: string;',
      'body: string;',
    ]);
    expect(typeMembers(source, 'ModelAccessors')).toEqual([
      'projects: EntityApi<ProjectCreate, ProjectPatch, ProjectEntity>;',
      'tasks: EntityApi<TaskCreate, TaskPatch, TaskEntity>;',
      'comments: EntityApi<CommentCreate, CommentPatch, CommentEntity>;',
    ]);
  });
});

describe('renderClientModel for the example model', () => {
  const source = renderClientModel(exampleModel);

  it('names an accessor per entity by its plural, typed by the entity’s own types', () => {
    expect(typeMembers(source, 'ModelAccessors')).toEqual([
      'sites: EntityApi<SiteCreate, SitePatch, SiteEntity>;',
      'workOrders: EntityApi<WorkOrderCreate, WorkOrderPatch, WorkOrderEntity>;',
      'partCategories: EntityApi<PartCategoryCreate, PartCategoryPatch, PartCategoryEntity>;',
      'batches: EntityApi<BatchCreate, BatchPatch, BatchEntity>;',
      'inventory: EntityApi<InventoryCreate, InventoryPatch, InventoryEntity>;',
    ]);
    expect(source).toContain(
      "export type EntityKind = 'site' | 'workOrder' | 'partCategory' | 'batch' | 'inventory';",
    );
    expect(source).toContain(
      'WorkOrder: { fragment: WorkOrderFieldsFragmentDoc, query: WorkOrderDocument },',
    );
  });

  it('types a create by field values: sets as arrays (enum items typed), counters as numbers, no owner', () => {
    expect(typeMembers(source, 'WorkOrderCreate')).toEqual([
      'id?: string;',
      'siteId: string;',
      'summary: string;',
      "instructions?: WorkOrderPatch['instructions'];",
      "state?: WorkOrderPatch['state'];",
      "urgency?: WorkOrderPatch['urgency'];",
      'requiredSkills?: Skill[];',
      'labels?: string[];',
      "technicianId?: WorkOrderPatch['technicianId'];",
      "scheduledFor?: WorkOrderPatch['scheduledFor'];",
      "quotedPrice?: WorkOrderPatch['quotedPrice'];",
      'laborHours?: number;',
      'partsFitted?: number;',
      "checklist?: WorkOrderPatch['checklist'];",
    ]);
    expect(typeMembers(source, 'InventoryCreate')).toEqual([
      'id?: string;',
      'batchId: string;',
      "shelf?: InventoryPatch['shelf'];",
      'remaining?: number;',
    ]);
    // The enum of a set is imported for its item type; nothing from the default model is.
    expect(source).toMatch(/^ {2}type Skill,$/m);
    expect(source).not.toMatch(/Task|Project|Comment/);
  });

  it('embeds the description the client needs, without source locations or constraints', () => {
    const embedded = embeddedDescription(source);
    expect(embedded.entities.map((entity) => entity.plural)).toEqual([
      'sites',
      'workOrders',
      'partCategories',
      'batches',
      'inventory',
    ]);
    const workOrder = embedded.entities[1] as { fields: Record<string, unknown>[] };
    const owner = workOrder.fields.find((field) => field.name === 'dispatcherId');
    expect(owner).toMatchObject({ owner: true, patchFields: [] });
    expect(Object.keys(owner ?? {})).not.toContain('location');
    expect(Object.keys(owner ?? {})).not.toContain('constraints');
    expect(workOrder.fields.find((field) => field.name === 'labels')).toMatchObject({
      strategy: 'SET',
      patchFields: [
        { name: 'labelsAttach', role: 'ADD' },
        { name: 'labelsDetach', role: 'REMOVE' },
      ],
    });
  });
});

describe('local effects on the example model', () => {
  const workOrder = entityNamed(exampleModel, 'WorkOrder');

  it('turn a create into the patch the server takes and the entity it will answer', () => {
    const patch = createValuesAsPatch(workOrder, {
      id: 'w-1',
      siteId: 'site-1',
      summary: 'Replace the boiler valve',
      requiredSkills: ['PLUMBING', 'ELECTRICAL'],
      labels: [],
      laborHours: 1.5,
      partsFitted: 3,
    });
    expect(patch).toEqual({
      siteId: 'site-1',
      summary: 'Replace the boiler valve',
      requiredSkillsAdd: ['PLUMBING', 'ELECTRICAL'],
      laborHoursDelta: 1.5,
      partsFittedChange: 3,
    });
    expect(optimisticCreateValues(workOrder, patch, 'dispatcher-1')).toEqual({
      siteId: 'site-1',
      summary: 'Replace the boiler valve',
      instructions: '',
      state: 'SCHEDULED',
      urgency: 2,
      // Added in one change: ordered by value, as the server orders equal stamps.
      requiredSkills: ['ELECTRICAL', 'PLUMBING'],
      labels: [],
      technicianId: null,
      scheduledFor: null,
      quotedPrice: null,
      laborHours: 1.5,
      partsFitted: 3,
      dispatcherId: 'dispatcher-1',
      checklist: null,
    });
  });

  it('apply both sets, both counters (Float and Int) and plain values to an entity', () => {
    const current = optimisticCreateValues(
      workOrder,
      { siteId: 's', summary: 'x', labelsAttach: ['a', 'b'], partsFittedChange: 2 },
      'd',
    );
    const patch = {
      state: 'ON_SITE',
      labelsAttach: ['c'],
      labelsDetach: ['a'],
      requiredSkillsAdd: ['HVAC'],
      laborHoursDelta: 0.25,
      partsFittedChange: -1,
    };
    expect(fieldsReadByPatch(workOrder, patch)).toEqual([
      'requiredSkills',
      'labels',
      'laborHours',
      'partsFitted',
    ]);
    const next = applyLocalPatch(workOrder, current, patch);
    expect(next).toMatchObject({
      state: 'ON_SITE',
      labels: ['b', 'c'],
      requiredSkills: ['HVAC'],
      laborHours: 0.25,
      partsFitted: 1,
    });
    // An item added again moves last; one added and removed by one change stays.
    expect(applyLocalPatch(workOrder, next, { labelsAttach: ['b'] }).labels).toEqual(['c', 'b']);
    expect(
      applyLocalPatch(workOrder, next, { labelsAttach: ['z'], labelsDetach: ['z'] }).labels,
    ).toEqual(['b', 'c', 'z']);
    expect(current.labels, 'the input is not changed').toEqual(['a', 'b']);
  });

  it('start from the model’s defaults, the owner set to the local user', () => {
    const inventory = entityNamed(exampleModel, 'Inventory');
    const batch = entityNamed(exampleModel, 'Batch');
    expect(optimisticCreateValues(inventory, { batchId: 'b-1' }, 'user-7')).toEqual({
      batchId: 'b-1',
      shelf: 'A1',
      countedById: 'user-7',
      remaining: 0,
    });
    expect(optimisticCreateValues(batch, { workOrderId: 'w' }, 'user-7')).toMatchObject({
      units: 1,
      deliveredAt: '2026-01-01T00:00:00.000Z',
      partCategoryId: null,
    });
    const created = optimisticCreateValues(workOrder, { siteId: 's', summary: 'x' }, 'u');
    (created.labels as string[]).push('own copy');
    expect(optimisticCreateValues(workOrder, { siteId: 's', summary: 'x' }, 'u').labels).toEqual(
      [],
    );
  });

  it('name what a create or an update does not take', () => {
    expect(
      fieldsNotCreatable(workOrder, { id: 'w', dispatcherId: 'u', labelsAttach: ['a'], nope: 1 }),
    ).toEqual(['dispatcherId', 'labelsAttach', 'nope']);
    expect(
      fieldsNotPatchable(workOrder, { labels: ['a'], laborHoursDelta: 1, dispatcherId: 'u' }),
    ).toEqual(['labels', 'dispatcherId']);
  });
});

describe('the local set effect', () => {
  const task = entityNamed(defaultModel, 'Task');

  it('orders items as the server does after the same change with a newer stamp', () => {
    const random = seededRandom(14);
    const pool = ['a', 'b', 'c', 'd', 'e', 'B', 'é'];
    const some = () => pool.filter(() => random() < 0.3);
    for (let round = 0; round < 200; round += 1) {
      // A server state built by earlier changes, then one more change stamped after them all.
      let states: SetStates = {};
      for (let change = 0; change < 4; change += 1) {
        const stamp = { hlc: `${1000 + change}:0`, clientId: 'c' };
        states = applySetOps(states, { add: some(), remove: some() }, stamp).states;
      }
      const ops = { add: some(), remove: some() };
      const server = visibleItems(
        applySetOps(states, ops, { hlc: '2000:0', clientId: 'c' }).states,
      );
      const local = applyLocalPatch(
        task,
        { tags: visibleItems(states) },
        {
          tagsAdd: ops.add,
          tagsRemove: ops.remove,
        },
      );
      expect(local.tags, JSON.stringify({ states, ops })).toEqual(server);
    }
  });
});

describe('the sync client', () => {
  it('has an accessor per entity type and otherwise only reserved names', async () => {
    const sync = createSyncClient({
      url: 'http://127.0.0.1:9/graphql',
      token: 't',
      workspaceId: 'w',
      storage: 'memory',
      live: false,
      connectivity: null,
    });
    try {
      const plurals = defaultModel.entities.map((entity) => entity.plural);
      const members = Object.keys(sync).filter((key) => !plurals.includes(key));
      expect(
        plurals.every((plural) => typeof Reflect.get(sync, plural)?.create === 'function'),
      ).toBe(true);
      expect(
        members.filter((key) => !(clientReservedNames as readonly string[]).includes(key)),
      ).toEqual([]);
      expect(() =>
        sync.comments.create({ taskId: 't', body: 'b', authorId: 'u' } as never),
      ).toThrow(/comments\.create: Comment has no field 'authorId'/);
      expect(() => sync.tasks.update('t', { tags: ['a'] } as never)).toThrow(
        /tasks\.update: TaskPatch has no field 'tags'/,
      );
      expect(sync.status.pending).toBe(0);
    } finally {
      await sync.close();
    }
  });
});
