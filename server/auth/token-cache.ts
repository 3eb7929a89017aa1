/**
 * Verified tokens, remembered so that a client sending the same bearer token with every
 * request pays for the signature check once, not on every push (issue 15: it was a fixed
 * share of each one-change push). Only successes are kept, keyed by the whole token string,
 * so a hit is a token this verifier itself accepted; an entry ends at the token's `exp`
 * (without the clock tolerance: past `exp` the token is verified again, and that check
 * applies the tolerance exactly as before), and at `maxAgeMs` after it was verified.
 */
export interface TokenCacheOptions {
  /** Entries kept; the least recently used goes first. */
  maxEntries?: number;
  /** An entry is re-verified this long after it was verified, whatever its `exp`. */
  maxAgeMs?: number;
  /**
   * What the verdict was reached with (the identity provider's current key set). An entry
   * made with another one is verified again: a key the provider removed stops working at
   * the same moment as it does for an uncached verification. null means the key set is due
   * for a refresh: nothing is served or stored until a verification has refreshed it.
   */
  keyGeneration?: () => unknown;
}

interface Entry {
  userId: string;
  /** Epoch ms after which the entry is not served. */
  validUntil: number;
  generation: unknown;
}

export interface TokenCache {
  /** The user of a token verified before, if its entry still holds. */
  get(token: string): string | undefined;
  /** Remembers an accepted token until `expiresAt` (epoch ms) at the latest. */
  set(token: string, userId: string, expiresAt: number): void;
  readonly size: number;
}

const cacheDefaults = { maxEntries: 10_000, maxAgeMs: 10 * 60_000 };

export function createTokenCache(options: TokenCacheOptions = {}): TokenCache {
  const maxEntries = options.maxEntries ?? cacheDefaults.maxEntries;
  const maxAgeMs = options.maxAgeMs ?? cacheDefaults.maxAgeMs;
  const generation = options.keyGeneration ?? (() => undefined);
  // A Map iterates in insertion order: re-inserting on a hit makes the first key the LRU.
  const entries = new Map<string, Entry>();
  return {
    get(token) {
      const entry = entries.get(token);
      if (entry === undefined) return undefined;
      const current = generation();
      if (Date.now() >= entry.validUntil || current === null || entry.generation !== current) {
        entries.delete(token);
        return undefined;
      }
      entries.delete(token);
      entries.set(token, entry);
      return entry.userId;
    },
    set(token, userId, expiresAt) {
      const validUntil = Math.min(expiresAt, Date.now() + maxAgeMs);
      const current = generation();
      if (maxEntries < 1 || !(validUntil > Date.now()) || current === null) return;
      entries.delete(token);
      entries.set(token, { userId, validUntil, generation: current });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next().value as string;
        entries.delete(oldest);
      }
    },
    get size() {
      return entries.size;
    },
  };
}
