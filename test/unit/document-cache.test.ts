import { describe, expect, it } from 'vitest';
import { createDocumentCache } from '../../server/security/document-cache.ts';

describe('document cache', () => {
  const cache = () => createDocumentCache<number>({ maxDocumentLength: 10, maxTotalLength: 20 });

  it('never keeps a document over the size bound', () => {
    const documents = cache();
    documents.set('x'.repeat(11), 1);
    expect(documents.get('x'.repeat(11))).toBeUndefined();
    documents.set('x'.repeat(10), 2);
    expect(documents.get('x'.repeat(10))).toBe(2);
  });

  it('evicts the least recently used once the total length is exceeded', () => {
    const documents = cache();
    documents.set('a'.repeat(10), 1);
    documents.set('b'.repeat(10), 2);
    expect(documents.get('a'.repeat(10))).toBe(1);
    documents.set('c'.repeat(10), 3);
    expect(documents.get('b'.repeat(10))).toBeUndefined();
    expect(documents.get('a'.repeat(10))).toBe(1);
    expect(documents.get('c'.repeat(10))).toBe(3);
  });
});
