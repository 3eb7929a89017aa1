import type { DocumentNode } from 'graphql';

export interface DocumentCacheOptions {
  /** Documents longer than this (UTF-16 units) are never cached: parsed again each time. */
  maxDocumentLength: number;
  /** The length of all cached documents together; the least recently used go first. */
  maxTotalLength: number;
}

/**
 * Past these, a cached document's memory is not worth keeping: a parsed document costs up to
 * ~250 bytes per character of its source (tokens and AST nodes), so the totals below hold
 * each cache under ~130 MB whatever clients send, while every operation of the client and
 * GraphiQL's introspection query fit many times over.
 */
export const documentCacheDefaults: DocumentCacheOptions = {
  maxDocumentLength: 16 * 1024,
  maxTotalLength: 512 * 1024,
};

/** The cache interface Yoga's parser and validation cache takes. */
export interface Cache<T> {
  get(key: string): T | undefined;
  set(key: string, value: T): void;
}

/**
 * A least-recently-used cache bounded by the total length of its keys (the document
 * sources) rather than by entry count: Yoga's default, 1,024 entries of any size, let a few
 * thousand large documents hold gigabytes.
 */
export function createDocumentCache<T>(
  options: DocumentCacheOptions = documentCacheDefaults,
): Cache<T> {
  const entries = new Map<string, T>();
  let totalLength = 0;
  return {
    get(key) {
      const value = entries.get(key);
      if (value === undefined) return undefined;
      // Map keeps insertion order: re-inserting makes it the most recently used.
      entries.delete(key);
      entries.set(key, value);
      return value;
    },
    set(key, value) {
      if (key.length > options.maxDocumentLength) return;
      if (entries.delete(key)) totalLength -= key.length;
      entries.set(key, value);
      totalLength += key.length;
      for (const oldest of entries.keys()) {
        if (totalLength <= options.maxTotalLength) break;
        entries.delete(oldest);
        totalLength -= oldest.length;
      }
    },
  };
}

/** Yoga's `parserAndValidationCache` option: parsed documents and parse errors, both bounded. */
export function boundedParserCache(options: DocumentCacheOptions = documentCacheDefaults) {
  return {
    documentCache: createDocumentCache<DocumentNode>(options),
    errorCache: createDocumentCache<unknown>(options),
  };
}
