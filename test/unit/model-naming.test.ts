/** Section 8's naming rules: one function per rule, shared by server, client and generator. */

import { describe, expect, it } from 'vitest';
import { constantCase, defaultPlural, describeModel, lowerCamel } from '../../model/index.ts';

describe('plurals', () => {
  it.each([
    ['Project', 'projects'],
    ['WorkOrder', 'workOrders'],
    ['Category', 'categories'], // y after a consonant
    ['PartCategory', 'partCategories'],
    ['Day', 'days'], // y after a vowel
    ['Survey', 'surveys'],
    ['Status', 'statuses'], // s
    ['Box', 'boxes'], // x
    ['Quiz', 'quizes'], // z: irregular spellings are written with @entity(plural:)
    ['Batch', 'batches'], // ch
    ['Wish', 'wishes'], // sh
    ['Inventory', 'inventories'],
    ['URLLink', 'urlLinks'],
  ])('%s -> %s', (name, plural) => {
    expect(defaultPlural(name)).toBe(plural);
  });

  it('are overridden by @entity(plural:)', () => {
    const model = describeModel('type Person @entity(plural: "people") { alias: String }');
    expect(model.entities[0]?.plural).toBe('people');
  });
});

describe('query fields and EntityType values', () => {
  it.each([
    ['Task', 'task', 'TASK'],
    ['WorkOrder', 'workOrder', 'WORK_ORDER'],
    ['URLLink', 'urlLink', 'URL_LINK'],
    ['Batch2Item', 'batch2Item', 'BATCH2_ITEM'],
    ['HTTP', 'http', 'HTTP'],
  ])('%s -> %s, %s', (name, query, constant) => {
    expect(lowerCamel(name)).toBe(query);
    expect(constantCase(name)).toBe(constant);
  });
});
