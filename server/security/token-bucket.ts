import { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';

/** One bucket to take from: `capacity` tokens, refilled at `capacity` per `windowMs`. */
export interface BucketTake {
  key: string;
  capacity: number;
  windowMs: number;
  cost: number;
}

/** `allowed`, or how long until every bucket holds enough. */
export type TakeResult = { allowed: true } | { allowed: false; retryAfterMs: number };

/**
 * Token buckets. `take` is all-or-nothing across the buckets it is given: a request refused by
 * its workspace's bucket does not spend its user's tokens.
 */
export interface BucketStore {
  take(takes: readonly BucketTake[]): Promise<TakeResult>;
  close(): Promise<void>;
}

interface BucketState {
  tokens: number;
  at: number;
}

const allowed: TakeResult = { allowed: true };

/** A cost larger than the bucket could never pass; it takes the full bucket instead. */
const effectiveCost = (take: BucketTake) => Math.min(take.cost, take.capacity);

export interface MemoryBucketOptions {
  now?: () => number;
  /** Buckets kept before full ones are swept (they are the default state anyway). */
  sweepAbove?: number;
}

/** Buckets in this process: right for one instance, per instance behind a load balancer. */
export function createMemoryBucketStore(options: MemoryBucketOptions = {}): BucketStore {
  const { now = Date.now, sweepAbove = 10_000 } = options;
  const buckets = new Map<string, BucketState & { capacity: number; perMs: number }>();

  function level(take: BucketTake, at: number): number {
    const state = buckets.get(take.key);
    if (!state) return take.capacity;
    const perMs = take.capacity / take.windowMs;
    return Math.min(take.capacity, state.tokens + Math.max(0, at - state.at) * perMs);
  }

  function sweep(at: number): void {
    for (const [key, state] of buckets) {
      if (state.tokens + (at - state.at) * state.perMs >= state.capacity) buckets.delete(key);
    }
  }

  return {
    async take(takes) {
      const at = now();
      let waitMs = 0;
      const levels = takes.map((take) => level(take, at));
      takes.forEach((take, index) => {
        const missing = effectiveCost(take) - (levels[index] ?? 0);
        if (missing > 0)
          waitMs = Math.max(waitMs, Math.ceil(missing / (take.capacity / take.windowMs)));
      });
      if (waitMs > 0) return { allowed: false, retryAfterMs: waitMs };
      takes.forEach((take, index) => {
        buckets.set(take.key, {
          tokens: (levels[index] ?? 0) - effectiveCost(take),
          at,
          capacity: take.capacity,
          perMs: take.capacity / take.windowMs,
        });
      });
      if (buckets.size > sweepAbove) sweep(at);
      return allowed;
    },
    async close() {
      buckets.clear();
    },
  };
}

/**
 * The same buckets in Redis, so that limits hold across instances. One Lua script reads,
 * checks and updates every bucket of a request atomically, on Redis's clock (instances'
 * clocks may disagree). Idle buckets expire once they are surely full again.
 */
const takeScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local levels = {}
local wait = 0
for i = 1, #KEYS do
  local capacity = tonumber(ARGV[i * 3 - 2])
  local perMs = capacity / tonumber(ARGV[i * 3 - 1])
  local cost = tonumber(ARGV[i * 3])
  local state = redis.call('HMGET', KEYS[i], 'tokens', 'at')
  local tokens = tonumber(state[1]) or capacity
  local at = tonumber(state[2]) or now
  tokens = math.min(capacity, tokens + math.max(0, now - at) * perMs)
  levels[i] = tokens
  if tokens < cost then wait = math.max(wait, math.ceil((cost - tokens) / perMs)) end
end
if wait > 0 then return wait end
for i = 1, #KEYS do
  local windowMs = tonumber(ARGV[i * 3 - 1])
  local cost = tonumber(ARGV[i * 3])
  redis.call('HSET', KEYS[i], 'tokens', tostring(levels[i] - cost), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[i], windowMs + 1000)
end
return 0
`;

export interface RedisBucketOptions {
  redisUrl: string;
  logger: Logger;
  keyPrefix?: string;
  /** A Redis answer slower than this lets the request through (ms). */
  timeoutMs?: number;
}

type RedisWithTake = Redis & {
  takeTokens(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<number>;
};

/**
 * Fails open: while Redis is unreachable or slow, requests pass (and a warning is logged at
 * most once a minute). Limits protect the service; refusing all traffic because the limiter's
 * store is down would be the outage they are meant to prevent.
 */
export function createRedisBucketStore(options: RedisBucketOptions): BucketStore {
  const { logger, keyPrefix = 'converge:ratelimit:', timeoutMs = 500 } = options;
  const redis = new Redis(options.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeoutMs,
    keyPrefix,
  }) as RedisWithTake;
  redis.defineCommand('takeTokens', { lua: takeScript });
  let lastWarning = 0;
  redis.on('error', (error: unknown) => warn(error));
  // Without the offline queue a command sent before the first connection fails at once; the
  // first requests after start-up wait for it (briefly) instead of passing uncounted.
  let connected = false;
  const firstConnection = new Promise<void>((resolve) =>
    redis.once('ready', () => {
      connected = true;
      resolve();
    }),
  );

  function warn(error: unknown): void {
    const now = Date.now();
    if (now - lastWarning < 60_000) return;
    lastWarning = now;
    logger.warn(
      { err: error },
      'rate limiter cannot reach Redis; requests pass unlimited meanwhile',
    );
  }

  return {
    async take(takes) {
      if (takes.length === 0) return allowed;
      const args = takes.flatMap((take) => [take.capacity, take.windowMs, effectiveCost(take)]);
      try {
        if (!connected) await withTimeout(firstConnection, timeoutMs);
        const waitMs = await redis.takeTokens(
          takes.length,
          ...takes.map((take) => take.key),
          ...args,
        );
        return waitMs > 0 ? { allowed: false, retryAfterMs: waitMs } : allowed;
      } catch (error) {
        warn(error);
        return allowed;
      }
    },
    async close() {
      redis.disconnect();
    },
  };
}

function withTimeout(promise: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
