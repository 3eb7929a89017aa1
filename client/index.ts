import { Client, fetchExchange, subscriptionExchange } from '@urql/core';
import type { SerializedRequest } from '@urql/exchange-graphcache';
import { offlineExchange } from '@urql/exchange-graphcache';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { backoffDelay } from './backoff.ts';
import { createCacheConfig } from './cache.ts';
import { browserConnectivity, type Connectivity } from './connectivity.ts';
import { deadlineFetch, socketWatchdog } from './deadline.ts';
import { SyncEngine, type SyncEventName, type SyncEvents, type SyncStatus } from './engine.ts';
import {
  type ClientEntityDescription,
  checkedPatch,
  createPatch,
  type EntityApi,
  type EntityKind,
  type ModelAccessors,
} from './entities.ts';
import { convergeExchange } from './exchange.ts';
import { clientModel, entityDocuments } from './generated/model.ts';
import { uuidv7 } from './ids.ts';
import { authorizedFetch, isNetworkError, networkRetryExchange } from './network.ts';
import {
  type EncryptionOptions,
  earlyJournal,
  openStorage,
  type SerializedEntries,
  type StorageOption,
  type SyncStorage,
} from './storage/index.ts';
import { jwtClaims, startTokenRenewal, type TokenRenewal } from './token-renewal.ts';

export type { Connectivity } from './connectivity.ts';
export type { SyncEventName, SyncEvents, SyncStatus } from './engine.ts';
export type { EntityApi } from './entities.ts';
// Per entity type `<Name>Entity`, `<Name>Create`, `<Name>Patch`; ModelAccessors; the description.
export type * from './generated/model.ts';
export { clientModel } from './generated/model.ts';
export type { OutboxEntry } from './outbox.ts';
export { type RevokedEvent, WorkspaceRevokedError } from './revocation.ts';
export * from './storage/index.ts';

export interface SyncClientOptions {
  /** The GraphQL endpoint, e.g. https://api.example.com/graphql. */
  url: string;
  /** A fixed bearer token; or getToken, asked before every request and every connect. */
  token?: string;
  getToken?: (() => string | Promise<string>) | undefined;
  workspaceId: string;
  /** Identifies this device's changes for idempotency; persisted in storage when absent. */
  clientId?: string;
  /** Default: IndexedDB "converge" where there is IndexedDB, memory elsewhere. */
  storage?: StorageOption;
  /** Encrypts everything stored (AES-GCM, key from this string through PBKDF2). */
  encryptionKey?: string;
  fetch?: typeof fetch;
  /** A WebSocket implementation (the `ws` package in Node < 22); the global one by default. */
  WebSocket?: unknown;
  /**
   * What the device says about its network: going offline shows at once, coming back
   * reconnects at once instead of after the backoff. Default: the browser's `online` and
   * `offline` events where there are any; null turns it off.
   */
  connectivity?: Connectivity | null;
  /** Subscribe to live changes after catching up (default true). */
  live?: boolean;
  /** Edits made within this window go out in one pushChanges (default 200 ms). */
  batchWindowMs?: number;
  /** Most changes per pushChanges (default 100). */
  maxBatchSize?: number;
  /** changesSince page size (default 500). */
  pageSize?: number;
  /**
   * Deadline of every HTTP request (push, catch-up, conflict pages, queries), answer included,
   * and of a WebSocket connect or keep-alive pong: past it the request is aborted and retried
   * with backoff, and `status.online` turns false (default 10 s).
   */
  requestTimeoutMs?: number;
  /** How often the WebSocket is pinged to find a silent connection (default 10 s). */
  keepAliveMs?: number;
  /** Backoff for retries and reconnects: first delay and ceiling (default 250 ms, 30 s). */
  retry?: { baseMs?: number; maxMs?: number };
  /** Injectable time and randomness, for tests. */
  now?: () => number;
  timers?: { setTimeout: typeof setTimeout; clearTimeout: typeof clearTimeout };
  random?: () => number;
  encryption?: EncryptionOptions;
}

/**
 * The sync API: one typed accessor per entity type of the model, named by its plural
 * (`sync.tasks`, `sync.workOrders`: ModelAccessors), beside these members, whose names the
 * model reader keeps entity plurals away from (clientReservedNames).
 */
export interface SyncClient extends ModelAccessors {
  /** The urql client: use it with the generated typed hooks (`client/generated/hooks.ts`). */
  client: Client;
  /** A snapshot: online, pending changes, cursor, open conflicts (and rejected changes). */
  readonly status: SyncStatus;
  onStatus(listener: (status: SyncStatus) => void): () => void;
  /** Conflicts, rejections, revocation and every acknowledged change; never silent. */
  on<Name extends SyncEventName>(
    name: Name,
    listener: (event: SyncEvents[Name]) => void,
  ): () => void;
  /** Resolves when every change made so far is acknowledged by the server. */
  flush(): Promise<void>;
  /** Catches up from the stored cursor now. */
  pull(): Promise<void>;
  /**
   * A new token, used from now on instead of `token` or `getToken`: after an `auth` event
   * (status.tokenRefused) a client with a static token sends nothing until this is called.
   */
  setToken(token: string): void;
  /** Resolves once storage is loaded and the outbox restored. */
  ready: Promise<void>;
  /** Persists everything and releases sockets and timers. */
  close(): Promise<void>;
}

const defaults = {
  batchWindowMs: 200,
  maxBatchSize: 100,
  pageSize: 500,
  retry: { baseMs: 250, maxMs: 30_000 },
  httpRetries: 2,
  requestTimeoutMs: 10_000,
  keepAliveMs: 10_000,
};

/**
 * An offline-first Converge client (docs/client.md): an urql client over graphcache's
 * offlineExchange plus an outbox that owns ordering and exactly-once replay, catch-up with
 * changesSince and live updates over graphql-ws.
 */
// Browsers refuse setTimeout called as a method of another object ("Illegal invocation").
const globalTimers = {
  setTimeout: ((...args: Parameters<typeof setTimeout>) =>
    globalThis.setTimeout(...args)) as typeof setTimeout,
  clearTimeout: ((handle?: Parameters<typeof clearTimeout>[0]) =>
    globalThis.clearTimeout(handle)) as typeof clearTimeout,
};

export function createSyncClient(options: SyncClientOptions): SyncClient {
  // setToken() replaces it; a static token is one to wait on once refused.
  let getToken = tokenSource(options);
  let staticToken = options.getToken === undefined;
  const timers = trackedTimers(options.timers ?? globalTimers);
  const random = options.random ?? Math.random;
  const retry = {
    baseMs: options.retry?.baseMs ?? defaults.retry.baseMs,
    maxMs: options.retry?.maxMs ?? defaults.retry.maxMs,
    random,
  };
  const now = options.now ?? Date.now;
  let lastToken: string | null = null;
  const trackedToken = async () => {
    lastToken = await getToken();
    return lastToken;
  };
  if (options.token) lastToken = options.token;

  const storageOption = options.storage ?? defaultStorage();
  const engine = new SyncEngine({
    workspaceId: options.workspaceId,
    clientId: options.clientId,
    storage: () => openStorage(storageOption, options.encryptionKey, options.encryption),
    earlyJournal: earlyJournal(storageOption, options.encryptionKey),
    userId: () => subjectOf(lastToken),
    batchWindowMs: options.batchWindowMs ?? defaults.batchWindowMs,
    maxBatchSize: options.maxBatchSize ?? defaults.maxBatchSize,
    pageSize: options.pageSize ?? defaults.pageSize,
    live: options.live ?? true,
    now,
    setTimeout: timers.setTimeout,
    clearTimeout: timers.clearTimeout,
    retry,
    staticToken: () => staticToken,
  });

  const url = graphqlUrl(options.url);
  const deadline = {
    timeoutMs: options.requestTimeoutMs ?? defaults.requestTimeoutMs,
    setTimeout: timers.setTimeout,
    clearTimeout: timers.clearTimeout,
  };
  const requests = deadlineFetch(
    authorizedFetch(options.fetch ?? globalThis.fetch.bind(globalThis), trackedToken),
    deadline,
  );
  let ws: WsClient | undefined;
  const watchdog = socketWatchdog({ ...deadline, terminate: () => ws?.terminate() });
  let wsDisposed = false;
  const reconnects = reconnectWaits(timers);
  // The token the current socket connected with, and the renewal keeping it fresh.
  let wsToken: string | undefined;
  let tokenRenewal: TokenRenewal | undefined;
  const wsClient = async (): Promise<WsClient> => {
    ws ??= createWsClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: quietOnAbort(
        options.WebSocket ?? globalThis.WebSocket ?? (await import('ws')).WebSocket,
      ),
      lazy: true,
      keepAlive: options.keepAliveMs ?? defaults.keepAliveMs,
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: () => !wsDisposed,
      retryWait: (retries) => reconnects.wait(backoffDelay(retries, retry)),
      // A fresh token on every connect: the server checks it in connection_init.
      connectionParams: async () => {
        wsToken = await trackedToken();
        return { authorization: `Bearer ${wsToken}` };
      },
      on: {
        connecting: () => watchdog.connecting(),
        ping: (received) => watchdog.ping(received),
        pong: (received) => watchdog.pong(received),
        connected: (socket) => {
          watchdog.connected();
          engine.onLiveConnected();
          // Renewing the token over the open socket keeps the subscriptions; letting it
          // expire means a 4403 close, a reconnect and a catch-up.
          tokenRenewal?.stop();
          tokenRenewal =
            wsToken === undefined
              ? undefined
              : startTokenRenewal({
                  socket: socket as { send(data: string): void },
                  token: wsToken,
                  getToken: trackedToken,
                  now,
                  setTimeout: timers.setTimeout,
                  clearTimeout: timers.clearTimeout,
                  onError: (error) => engine.reportError(error),
                });
        },
        closed: (event) => {
          watchdog.closed();
          tokenRenewal?.stop();
          tokenRenewal = undefined;
          // 1000 is graphql-ws's own lazy close once nothing is subscribed.
          if (!wsDisposed && (event as { code?: number } | undefined)?.code !== 1000) {
            engine.connectionLost();
          }
        },
      },
    });
    return ws;
  };

  const cacheConfig = createCacheConfig({
    userId: () => subjectOf(lastToken),
    now,
    latest: (typename, id) => engine.latest(typename, id),
    hydration: (workspaceId) => engine.hydrationOf(workspaceId),
  });
  const storageForCache = lazyCacheStorage(engine);
  const client = new Client({
    url,
    fetch: requests.fetch,
    preferGetMethod: false,
    exchanges: [
      offlineExchange({
        ...cacheConfig,
        storage: storageForCache,
        // pushChanges never reaches urql's offline queue (the outbox owns it) and catch-up
        // must see its network errors; other queries fall back to the cache when offline.
        isOfflineError: (error, result) =>
          result.operation.kind === 'query' &&
          !result.operation.context.converge &&
          isNetworkError(error),
      }),
      convergeExchange(engine),
      networkRetryExchange({
        attempts: defaults.httpRetries,
        baseMs: retry.baseMs,
        maxMs: retry.maxMs,
        random,
        setTimeout: timers.setTimeout,
        clearTimeout: timers.clearTimeout,
      }),
      subscriptionExchange({
        forwardSubscription: (request, operation) => ({
          subscribe: (sink) => {
            const live = operation.context.converge?.live === 'entities';
            const payload = {
              query: request.query ?? '',
              // Read at every (re)subscribe, so a reconnect resumes from the latest cursor.
              get variables() {
                const variables = (request.variables ?? {}) as Record<string, unknown>;
                return live ? engine.liveVariables(variables) : variables;
              },
            };
            let dispose: (() => void) | undefined;
            let cancelled = false;
            void wsClient().then((socket) => {
              if (!cancelled) dispose = socket.subscribe(payload, sink as never);
            });
            return {
              unsubscribe: () => {
                cancelled = true;
                dispose?.();
              },
            };
          },
        }),
      }),
      fetchExchange,
    ],
  });
  engine.client = client;

  // Revoked: the engine has ended its streams; the socket goes too, whatever graphql-ws's
  // lazy close makes of them (it can miscount a stream that the server and the client both
  // ended, and then keep an idle socket open). An app's own subscription later opens a new one.
  engine.on('revoked', () => {
    const socket = ws;
    ws = undefined;
    tokenRenewal?.stop();
    tokenRenewal = undefined;
    void Promise.resolve(socket?.dispose()).catch(() => undefined);
  });

  const connectivity =
    options.connectivity === undefined ? browserConnectivity() : options.connectivity;
  const stopConnectivity = connectivity?.subscribe((online) => {
    engine.connectivityChanged(online);
    // graphql-ws may be waiting out a backoff: reconnect now.
    if (online) reconnects.wakeAll({ orSkipNext: true });
  });
  if (connectivity?.online() === false) engine.connectivityChanged(false);

  return {
    ...modelAccessors(engine, client),
    client,
    get status() {
      return engine.status();
    },
    onStatus: (listener) => engine.onStatus(listener),
    on: (name, listener) => engine.on(name, listener),
    flush: () => engine.flush(),
    pull: () => engine.pull(),
    setToken(token) {
      if (typeof token !== 'string' || token === '') {
        throw new TypeError('setToken needs a non-empty token');
      }
      getToken = () => token;
      staticToken = true;
      lastToken = token;
      engine.tokenChanged();
      // A socket refused for its token waits out a backoff: connect with the new one now.
      reconnects.wakeAll({ orSkipNext: true });
    },
    ready: engine.started,
    async close() {
      wsDisposed = true;
      tokenRenewal?.stop();
      stopConnectivity?.();
      await engine.close();
      requests.abortAll();
      reconnects.wakeAll({ orSkipNext: false });
      // dispose() rethrows the close of a socket still connecting: closing is what we want.
      // It also waits for a connect in progress, which must not hold close() for long.
      await Promise.race([
        Promise.resolve(ws?.dispose()).catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, 2_000).unref?.()),
      ]);
      timers.clearAll();
    },
  };
}

/** `sync.<plural>` for every entity type of the model. */
function modelAccessors(engine: SyncEngine, client: Client): ModelAccessors {
  return Object.fromEntries(
    clientModel.entities.map((entity) => [entity.plural, entityApi(engine, client, entity)]),
  ) as unknown as ModelAccessors;
}

function entityApi(
  engine: SyncEngine,
  client: Client,
  entity: ClientEntityDescription,
): EntityApi<{ id?: string }, object, unknown> {
  const kind = entity.changeInputKey as EntityKind;
  const query = entityDocuments[entity.name as keyof typeof entityDocuments].query;
  return {
    create(fields) {
      const patch = createPatch(kind, fields);
      const id = fields.id ?? uuidv7();
      engine.record(kind, id, 'create', patch);
      return id;
    },
    update(id, patch) {
      engine.record(kind, id, 'update', checkedPatch(kind, patch));
    },
    delete(id) {
      engine.record(kind, id, 'delete', null);
    },
    get(id) {
      const data = client.readQuery(query, { id })?.data as Record<string, unknown> | undefined;
      return data?.[entity.queryField] ?? null;
    },
  };
}

/**
 * Graphcache reads its storage as soon as the exchange is built, before the engine has opened
 * storage (which is async: encryption keys, files). This adapter waits for the engine.
 */
function lazyCacheStorage(engine: SyncEngine) {
  let storage: Promise<SyncStorage> | undefined;
  const opened = () => {
    storage ??= engine.started.then(() => engine.storageForCache());
    return storage;
  };
  // Failures surface through `ready` (the engine opens the same storage); graphcache gets an
  // empty cache instead of an unhandled rejection.
  return {
    readData: () =>
      opened()
        .then((storage) => storage.readData())
        .catch(() => ({})),
    writeData: (delta: SerializedEntries) =>
      opened()
        .then((storage) => storage.writeData(delta))
        .catch(() => undefined),
    readMetadata: () =>
      opened()
        .then((storage) => storage.readMetadata?.() ?? null)
        .catch(() => null),
    writeMetadata: (json: SerializedRequest[]) => {
      void opened()
        .then((storage) => storage.writeMetadata?.(json))
        .catch(() => undefined);
    },
    onOnline: (callback: () => void) => {
      engine.addOnlineCallback(callback);
      void opened()
        .then((storage) => storage.onOnline?.(callback))
        .catch(() => undefined);
    },
  };
}

/**
 * graphql-ws's waits between reconnect attempts, which can be cut short: by close() (dispose()
 * waits for a connect in progress) and by the device coming back online. The device may say
 * so before graphql-ws has even noticed the drop; then the next wait is skipped instead.
 */
function reconnectWaits(timers: ReturnType<typeof trackedTimers>) {
  const waiting = new Set<() => void>();
  let skipNext = false;
  return {
    wait(delayMs: number): Promise<void> {
      if (skipNext) {
        skipNext = false;
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const done = () => {
          waiting.delete(done);
          timers.clearTimeout(timer);
          resolve();
        };
        const timer = timers.setTimeout(done, delayMs);
        waiting.add(done);
      });
    },
    wakeAll({ orSkipNext }: { orSkipNext: boolean }): void {
      if (orSkipNext && waiting.size === 0) skipNext = true;
      for (const done of [...waiting]) done();
    },
  };
}

/** Timers that close() can cancel all at once (HTTP retries, WebSocket reconnect waits). */
function trackedTimers(base: { setTimeout: typeof setTimeout; clearTimeout: typeof clearTimeout }) {
  const live = new Set<ReturnType<typeof setTimeout>>();
  const set = ((run: () => void, ms?: number) => {
    const timer = base.setTimeout(() => {
      live.delete(timer);
      run();
    }, ms);
    live.add(timer);
    return timer;
  }) as typeof setTimeout;
  const clear = ((timer: ReturnType<typeof setTimeout>) => {
    live.delete(timer);
    base.clearTimeout(timer);
  }) as typeof clearTimeout;
  return {
    setTimeout: set,
    clearTimeout: clear,
    clearAll() {
      for (const timer of live) base.clearTimeout(timer);
      live.clear();
    },
  };
}

/**
 * The `ws` package reports a socket closed while still connecting (graphql-ws does that to a
 * silent connect, see socketWatchdog) as an 'error' event, after graphql-ws has stopped
 * listening: without a listener of its own that would be an uncaught exception.
 */
function quietOnAbort(impl: unknown): unknown {
  const Base = impl as new (
    ...args: unknown[]
  ) => { on?: (event: string, listener: () => void) => void };
  if (typeof Base !== 'function' || typeof Base.prototype?.on !== 'function') return impl;
  return class extends Base {
    constructor(...args: unknown[]) {
      super(...args);
      this.on?.('error', () => undefined);
    }
  };
}

function tokenSource(options: SyncClientOptions): () => string | Promise<string> {
  if (options.getToken) return options.getToken;
  const { token } = options;
  if (token === undefined) throw new TypeError('createSyncClient needs token or getToken');
  return () => token;
}

function defaultStorage(): StorageOption {
  return typeof indexedDB === 'undefined' ? 'memory' : { indexedDB: 'converge' };
}

/** Accepts the server's base URL too: "/graphql" is where Converge serves GraphQL. */
function graphqlUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = '/graphql';
  return parsed.toString();
}

/** The JWT `sub`, read without verifying (only to show the author of a local comment). */
function subjectOf(token: string | null): string | null {
  const sub = jwtClaims(token)?.sub;
  return typeof sub === 'string' ? sub : null;
}
