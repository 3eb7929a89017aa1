import { describe, expect, it } from 'vitest';
import { cloneJson } from '../../model/index.ts';

describe('cloneJson', () => {
  it('copies nested objects and arrays, so changing the copy leaves the original alone', () => {
    const original = {
      fields: { title: { version: 2, hlc: '1:0', clientId: 'c' } },
      sets: { tags: { a: { present: true, stamp: { hlc: '1:0', clientId: 'c' } } } },
      list: [1, [2, { three: 3 }], null, 'four', false],
    };
    const copy = cloneJson(original);
    expect(copy).toEqual(original);
    copy.fields.title.version = 3;
    copy.sets.tags.a.present = false;
    (copy.list[1] as unknown[]).push(5);
    expect(original.fields.title.version).toBe(2);
    expect(original.sets.tags.a.present).toBe(true);
    expect(original.list[1]).toEqual([2, { three: 3 }]);
  });

  it('returns primitives and null as they are', () => {
    for (const value of [null, 0, 1.5, '', 'text', true, false])
      expect(cloneJson(value)).toBe(value);
  });
});
