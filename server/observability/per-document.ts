import type { DocumentNode } from 'graphql';

/**
 * Memoises what a plugin reads from an operation's document. Documents come from the parser
 * cache (server/security/document-cache.ts), so the same object returns with every request
 * of the same query: each is walked once, not on every request. Weakly held, so a document
 * the parser cache drops is dropped here too.
 */
export function perDocument<T>(
  read: (document: DocumentNode, operationName: string | null | undefined) => T,
): (document: DocumentNode, operationName: string | null | undefined) => T {
  const byDocument = new WeakMap<DocumentNode, Map<string | null, T>>();
  return (document, operationName) => {
    let byOperation = byDocument.get(document);
    if (byOperation === undefined) {
      byOperation = new Map();
      byDocument.set(document, byOperation);
    }
    const key = operationName ?? null;
    if (byOperation.has(key)) return byOperation.get(key) as T;
    const value = read(document, operationName);
    byOperation.set(key, value);
    return value;
  };
}
