import {
  type AnyVariables,
  type Client,
  type DocumentInput,
  makeOperation,
  makeResult,
  type Operation,
  type OperationResult,
} from '@urql/core';
import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import { type BackoffOptions, backoffDelay, type RetryPorts } from './backoff.ts';
import {
  type EntityKind,
  entityKey,
  isSyncEntity,
  type Patch,
  type SyncEntity,
  typenameOf,
} from './entities.ts';
import {
  type ChangeResult,
  type Conflict,
  SyncEventBus,
  type SyncEventName,
  type SyncEvents,
  type SyncStatus,
} from './events.ts';
import type { ExchangeHooks, Transport } from './exchange.ts';
import {
  ChangesSinceDocument,
  type ChangesSinceQuery,
  type ConflictChangedSubscription,
  ConflictsDocument,
  type ConflictsQuery,
  PushChangesDocument,
  type PushChangesMutation,
} from './generated/graphql.ts';
import { HybridClock } from './hlc.ts';
import { HydrationDocument, hydrationKeys } from './hydration.ts';
import { uuidv4 } from './ids.ts';
import { LiveFollower } from './live.ts';
import { isNetworkError } from './network.ts';
import { OnlineState } from './online.ts';
import { type ConvergeContext, privateQuery, privateRequest } from './operations.ts';
import {
  journalOutboxEntry,
  type OutboxEntry,
  OutboxStore,
  takeBatch,
  toChangeInput,
} from './outbox.ts';
import { Replica } from './replica.ts';
import {
  type Access,
  accessFromCatchUp,
  forbiddenError,
  purgeWorkspace,
  WorkspaceRevokedError,
} from './revocation.ts';
import type { SyncJournal, SyncStorage } from './storage/types.ts';

export type { ChangeResult, Conflict, SyncEventName, SyncEvents, SyncStatus } from './events.ts';

export interface EngineOptions {
  workspaceId: string;
  clientId: string | undefined;
  storage: () => Promise<SyncStorage>;
  /** The storage's journal, usable before it is open: edits made before then go there. */
  earlyJournal: SyncJournal | undefined;
  userId: () => string | null;
  /** Edits made within this window go out together. */
  batchWindowMs: number;
  maxBatchSize: number;
  pageSize: number;
  live: boolean;
  now: () => number;
  setTimeout: typeof setTimeout;
  clearTimeout: typeof clearTimeout;
  retry: BackoffOptions;
  /** A fixed token: once refused, asking again gives the same, so retries wait for setToken. */
  staticToken: () => boolean;
}

// Whole-request errors worth trying again later; any other error rejects the batch.
const RETRYABLE_CODES = new Set(['UNAUTHENTICATED', 'RATE_LIMITED', 'INTERNAL_SERVER_ERROR']);
const CONFLICT_PAGE = 100;
const CONFLICT_PAGES_MAX = 20;

type Timer = ReturnType<typeof setTimeout>;

/**
 * The sync engine behind createSyncClient: owns the outbox (ordering, batching, exactly-once
 * replay), the replica and cursor (catch-up and live updates), and the status. It talks to
 * the network only through urql, via the exchange it hooks into.
 */
export class SyncEngine implements ExchangeHooks {
  client!: Client;
  private transport: Transport | undefined;
  private storage: SyncStorage | undefined;
  private outboxStore: OutboxStore | undefined;
  private replica: Replica | undefined;
  private clientIdValue: string | undefined;
  private readonly clock: HybridClock;
  private readonly entries: OutboxEntry[] = [];
  /** Entries made before storage was open: their base and persistence wait for start. */
  private readonly early: OutboxEntry[] = [];
  private readonly attached = new Map<string, Operation>();
  private readonly attachedKeys = new Map<number, string>();
  private readonly claimedKeys = new Set<number>();
  private readonly conflicts = new Map<string, Conflict>();
  private readonly events = new SyncEventBus();
  private readonly ackWaiters: {
    ids: Set<string>;
    resolve: () => void;
    reject: (e: Error) => void;
  }[] = [];
  private lane: Promise<unknown> = Promise.resolve();
  private appending: Promise<void> = Promise.resolve();
  private pendingAppend: OutboxEntry[] = [];
  private rejected = 0;
  private tokenRefused = false;
  private ready = false;
  private closed = false;
  /** Access to the workspace was revoked: stopped for good, local data purged (or purging). */
  private revoked = false;
  private purging: Promise<void> = Promise.resolve();
  private sending = false;
  private hydrationKeys: readonly string[] | undefined;
  /** See askCacheAgain(). */
  private readonly askedBeforeReady = new Map<number, Operation>();
  private pulling: Promise<void> | undefined;
  private windowTimer: Timer | undefined;
  private retryTimer: Timer | undefined;
  private retryAttempt = 0;
  private readonly onlineState: OnlineState;
  private readonly liveFollower: LiveFollower;
  readonly started: Promise<void>;

  constructor(private readonly options: EngineOptions) {
    this.clock = new HybridClock(options.now);
    const retryPorts: RetryPorts = {
      pull: () => this.pull(),
      stopped: () => this.stopped,
      waitsForToken: () => this.waitsForToken(),
      retry: options.retry,
      setTimeout: options.setTimeout,
      clearTimeout: options.clearTimeout,
    };
    this.onlineState = new OnlineState({
      tryNow: () => this.tryNow(),
      publishStatus: () => this.publishStatus(),
      ready: () => this.ready,
      ...retryPorts,
    });
    this.liveFollower = new LiveFollower({
      workspaceId: options.workspaceId,
      enabled: options.live,
      client: () => this.client,
      cursor: () => this.cursor,
      setCursor: (cursor) => {
        this.replica?.setCursor(cursor);
        this.publishStatus();
      },
      ...retryPorts,
    });
    this.started = new Promise((resolve, reject) => {
      // Start once the urql client exists and has connected the exchange.
      queueMicrotask(() => void this.start().then(resolve, reject));
    });
    this.started.catch((error: unknown) => this.emit('error', { error }));
  }

  get clientId(): string | undefined {
    return this.clientIdValue;
  }

  /** The newest server copy of an entity seen so far. */
  latest(typename: string, id: string): SyncEntity | undefined {
    return this.replica?.get(typename, id);
  }

  /** The opened storage, for graphcache's own persistence. */
  storageForCache(): SyncStorage {
    if (!this.storage) throw new Error('Storage is not open yet');
    return this.storage;
  }

  get cursor(): string | null {
    return this.replica?.cursor ?? null;
  }

  // ---- public API -------------------------------------------------------------------------

  status(): SyncStatus {
    return {
      online: this.onlineState.online,
      ready: this.ready,
      pending: this.entries.length + this.early.length,
      cursor: this.cursor,
      openConflicts: this.conflicts.size,
      rejected: this.rejected,
      tokenRefused: this.tokenRefused,
      revoked: this.revoked,
    };
  }

  onStatus(listener: (status: SyncStatus) => void): () => void {
    return this.events.onStatus(listener);
  }

  on<Name extends SyncEventName>(
    name: Name,
    listener: (event: SyncEvents[Name]) => void,
  ): () => void {
    return this.events.on(name, listener);
  }

  /** Something failed beside the engine (a token renewal): reported, never silent. */
  reportError(error: unknown): void {
    this.emit('error', { error });
  }

  /** Registered by graphcache's offlineExchange: re-runs queries that failed offline. */
  addOnlineCallback(callback: () => void): void {
    this.onlineState.addOnlineCallback(callback);
  }

  /** Records a local edit: applied to the cache at once, sent in order later. */
  record(kind: EntityKind, id: string, op: OutboxEntry['op'], patch: Patch | null): void {
    if (this.closed) throw new Error('This sync client is closed');
    // Refused, not kept: the workspace's storage is being deleted and nothing will send it.
    if (this.revoked) throw new WorkspaceRevokedError(this.options.workspaceId);
    const entry: OutboxEntry = {
      mutationId: uuidv4(),
      kind,
      id,
      op,
      patch,
      hlc: this.clock.tick(),
      baseVersion: op === 'create' ? 0 : null,
      madeAt: this.options.now(),
    };
    if (this.ready) {
      entry.baseVersion = this.baseVersionAtEdit(entry);
      this.journal(entry);
      this.entries.push(entry);
      this.persistAppend(entry);
      this.attach(entry);
      this.scheduleWindow();
    } else {
      this.journal(entry);
      this.early.push(entry);
    }
    this.publishStatus();
  }

  /** Resolves once every change made before the call is acknowledged by the server. */
  flush(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('This sync client is closed'));
    if (this.revoked) return Promise.reject(new WorkspaceRevokedError(this.options.workspaceId));
    const ids = new Set([...this.early, ...this.entries].map((entry) => entry.mutationId));
    if (ids.size === 0) return this.started;
    const done = new Promise<void>((resolve, reject) => {
      this.ackWaiters.push({ ids, resolve, reject });
    });
    // A client whose storage failed to open rejects here rather than waiting forever.
    return this.started.then(() => {
      this.sendNow();
      return done;
    });
  }

  /** Catches up from the stored cursor, page by page; rejects when the server is unreachable. */
  pull(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('This sync client is closed'));
    if (this.revoked) return Promise.reject(new WorkspaceRevokedError(this.options.workspaceId));
    this.pulling ??= this.started
      .then(() => this.pullPages())
      .finally(() => {
        this.pulling = undefined;
      });
    return this.pulling;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopActivity();
    for (const waiter of this.ackWaiters.splice(0)) {
      waiter.reject(new Error('The sync client was closed before the server acknowledged'));
    }
    await this.started.catch(() => undefined);
    await this.appending.catch(() => undefined);
    // A purge under way finishes before storage closes: nothing of the workspace stays.
    await this.purging;
    await this.replica?.persist().catch(() => undefined);
    await this.storage?.close();
    this.events.clearStatusListeners();
  }

  /** No more timers, retries or live streams. */
  private stopActivity(): void {
    for (const timer of [this.windowTimer, this.retryTimer]) {
      if (timer) this.options.clearTimeout(timer);
    }
    this.windowTimer = this.retryTimer = undefined;
    this.onlineState.stop();
    this.liveFollower.stop();
  }

  /** Closed by the app or revoked by the server: nothing more is sent or scheduled. */
  private get stopped(): boolean {
    return this.closed || this.revoked;
  }

  // ---- start and persistence ----------------------------------------------------------------

  private async start(): Promise<void> {
    const storage = await this.options.storage();
    this.storage = storage;
    this.clientIdValue =
      this.options.clientId ??
      (await storage.updateItem('client-id', (current) => current ?? uuidv4()));
    const replica = new Replica(storage, {
      key: `replica:${this.options.workspaceId}`,
      writeDelayMs: 50,
      setTimeout: this.options.setTimeout,
      clearTimeout: this.options.clearTimeout,
    });
    await replica.load();
    this.replica = replica;
    this.outboxStore = new OutboxStore(storage, this.outboxKey);
    const stored = await this.outboxStore.load();
    this.clock.observe(stored.clock);
    for (const entry of stored.entries) this.clock.observe(entry.hlc);
    // load() took this process's early edits out of the journal too: they are adopted below,
    // after the edits of earlier runs, in the order made.
    const early = new Set(this.early.map((entry) => entry.mutationId));
    this.entries.push(...stored.entries.filter((entry) => !early.has(entry.mutationId)));
    this.adoptEarlyEdits();
    // Closed before ready: the early edits are being stored (close() waits for that).
    if (this.closed) return;

    // Edits first, then the list that holds them: no answer shows the stored list without them.
    for (const entry of this.entries) this.attach(entry);
    await this.hydrate();
    for (const entry of this.adoptEarlyEdits()) this.attach(entry);
    this.ready = true;
    this.askCacheAgain();
    this.publishStatus();
    if (this.entries.length > 0) this.scheduleWindow();
    void this.pull().catch(() => undefined);
  }

  /**
   * App queries that missed the cache before it was hydrated went to the network, and offline
   * they get no answer: graphcache does not run them again when hydration fills the fields
   * they read. They are asked of the cache once more; what it cannot answer goes out again.
   */
  private askCacheAgain(): void {
    for (const operation of this.askedBeforeReady.values()) {
      this.client.reexecuteOperation(
        makeOperation('query', operation, { ...operation.context, requestPolicy: 'cache-first' }),
      );
    }
    this.askedBeforeReady.clear();
  }

  /** Moves edits made before storage was open into the outbox, with their base version. */
  private adoptEarlyEdits(): OutboxEntry[] {
    const adopted = this.early.splice(0);
    for (const entry of adopted) {
      entry.baseVersion = entry.op === 'create' ? 0 : this.baseVersionAtEdit(entry);
      this.entries.push(entry);
      this.persistAppend(entry);
    }
    return adopted;
  }

  private get outboxKey(): string {
    return `outbox:${this.options.workspaceId}`;
  }

  /** The version this edit builds on, or null when it builds on a pending edit of ours. */
  private baseVersionAtEdit(entry: OutboxEntry): number | null {
    if (entry.op === 'create') return 0;
    const pendingBefore = this.entries.some(
      (other) => other !== entry && other.kind === entry.kind && other.id === entry.id,
    );
    if (pendingBefore) return null;
    return this.replica?.get(typenameOf[entry.kind], entry.id)?.version ?? null;
  }

  private baseVersionAtSend(entry: OutboxEntry): number {
    if (entry.baseVersion !== null) return entry.baseVersion;
    // The earlier edit is acknowledged by now (batches end before such an edit), so the
    // replica holds the version the server gave it. Unknown: let the server say NOT_FOUND.
    return this.replica?.get(typenameOf[entry.kind], entry.id)?.version ?? 1;
  }

  /**
   * Stored synchronously before the edit shows; the append that follows is asynchronous.
   * Before storage is open, into the journal the storage will have (where there is one).
   */
  private journal(entry: OutboxEntry): void {
    try {
      if (this.outboxStore) this.outboxStore.journalEntry(entry);
      else if (this.options.earlyJournal) {
        journalOutboxEntry(this.options.earlyJournal, this.outboxKey, entry);
      }
    } catch (error) {
      // A full or broken journal: the edit is still appended to the outbox a moment later.
      this.emit('error', { error });
    }
  }

  // Appends made in one tick are stored together; sending waits for them (persist first).
  private persistAppend(entry: OutboxEntry): void {
    this.pendingAppend.push(entry);
    if (this.pendingAppend.length > 1) return;
    const store = this.outboxStore;
    if (!store) return;
    const write = async () => {
      await Promise.resolve();
      const batch = this.pendingAppend.splice(0);
      await store.append(batch, this.clock.current());
    };
    this.appending = this.appending.then(write, write).catch((error: unknown) => {
      this.emit('error', { error });
    });
  }

  /**
   * Links the stored entities and the pending edits' new ones into the workspace's full list
   * in graphcache, so a restart offline shows what was there; the stored entities themselves
   * are read from the replica until the cache holds them (lazy hydration, cache.ts).
   */
  private async hydrate(): Promise<void> {
    const replica = this.replica;
    if (!replica || (replica.size === 0 && replica.cursor === null)) return;
    this.hydrationKeys = hydrationKeys(replica, this.entries);
    try {
      await this.privateQuery(
        HydrationDocument,
        { workspaceId: this.options.workspaceId },
        { hydrate: true },
      );
    } finally {
      this.hydrationKeys = undefined;
    }
  }

  /** While hydrate() runs: the keys its list is to hold (cache.ts, linkHydration). */
  hydrationOf(workspaceId: string): readonly string[] | undefined {
    return workspaceId === this.options.workspaceId ? this.hydrationKeys : undefined;
  }

  private privateQuery<Data, Variables extends AnyVariables>(
    document: DocumentInput<Data, Variables>,
    variables: Variables,
    converge: ConvergeContext,
  ): Promise<OperationResult<Data, Variables>> {
    return privateQuery(this.client, document, variables, converge);
  }

  /** Dispatches an edit as its own optimistic pushChanges; the outbox answers it later. */
  private attach(entry: OutboxEntry): void {
    const variables = {
      input: {
        workspaceId: this.options.workspaceId,
        clientId: this.clientIdValue ?? '',
        changes: [toChangeInput(entry, entry.baseVersion)],
      },
    };
    void this.client
      .mutation(PushChangesDocument, variables, { converge: { mutationId: entry.mutationId } })
      .toPromise();
  }

  // ---- exchange hooks ---------------------------------------------------------------------

  connect(transport: Transport): void {
    this.transport = transport;
  }

  claim(operation: Operation): boolean {
    const converge = operation.context.converge as ConvergeContext | undefined;
    if (!this.ready && operation.kind === 'query' && !converge) {
      this.askedBeforeReady.set(operation.key, operation);
    }
    if (operation.kind === 'mutation' && rootField(operation.query) === 'pushChanges') {
      this.claimedKeys.add(operation.key);
      if (converge?.mutationId) {
        this.attached.set(converge.mutationId, operation);
        this.attachedKeys.set(operation.key, converge.mutationId);
      } else {
        // An app's own pushChanges waits its turn behind the outbox's batches.
        void this.inLane(() => this.forward(operation));
      }
      return true;
    }
    if (operation.kind === 'query' && (converge?.hydrate || converge?.echo)) {
      this.claimedKeys.add(operation.key);
      // Echoes take the newest copy by the time they are written; hydration has no entities.
      const entities = converge.echo?.map(
        (entity) => this.replica?.get(entity.__typename, entity.id) ?? entity,
      );
      queueMicrotask(() => this.transport?.deliver(this.localResult(operation, entities)));
      return true;
    }
    return false;
  }

  release(operation: Operation): boolean {
    this.askedBeforeReady.delete(operation.key);
    if (!this.claimedKeys.delete(operation.key)) return false;
    const mutationId = this.attachedKeys.get(operation.key);
    if (mutationId !== undefined) {
      this.attachedKeys.delete(operation.key);
      if (this.attached.get(mutationId)?.key === operation.key) this.attached.delete(mutationId);
    }
    return true;
  }

  inspect(result: OperationResult): OperationResult {
    const { operation } = result;
    if (operation.kind !== 'subscription' && operation.kind !== 'teardown') {
      if (isNetworkError(result.error)) this.onlineState.setOnline(false);
      else if (result.data || result.error?.response) this.onlineState.setOnline(true);
    }
    if (result.data && this.tokenRefused && operation.kind !== 'subscription') {
      this.tokenRefused = false;
      this.publishStatus();
    }
    if (!result.data || this.stopped) return result;
    const data = this.gate(result.data) as typeof result.data;
    if (operation.context.converge?.live === 'entities') {
      this.liveFollower.entityChanged(data);
      // Written into graphcache by the live follower's echo() only, not here under the
      // subscription's old operation (see live.ts): once is enough.
      return { ...result, data: null };
    }
    if (operation.context.converge?.live === 'conflicts') this.onConflictChange(data);
    return { ...result, data };
  }

  /** Replaces older copies of entities with the newest the client has seen, and keeps those. */
  private gate(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.gate(item));
    if (typeof value !== 'object' || value === null) return value;
    if (isSyncEntity(value)) {
      this.clock.observe(value.updatedAt);
      return this.replica ? this.replica.absorb(value) : value;
    }
    const copy: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) copy[key] = this.gate(field);
    return copy;
  }

  /**
   * A changesSince answer the engine gives from what it holds: echoed entities, or none for
   * hydration (whose document does not ask for them).
   */
  private localResult(operation: Operation, entities?: SyncEntity[]): OperationResult {
    const data: Omit<ChangesSinceQuery, 'changesSince'> & {
      changesSince: Omit<ChangesSinceQuery['changesSince'], 'entities'> & {
        entities?: SyncEntity[];
      };
    } = {
      __typename: 'Query',
      changesSince: {
        __typename: 'ChangeBatch',
        cursor: this.replica?.cursor ?? '',
        hasMore: false,
        ...(entities ? { entities } : {}),
      },
    };
    return makeResult(operation, { data });
  }

  // ---- outbox -----------------------------------------------------------------------------

  private scheduleWindow(): void {
    if (this.windowTimer || this.sending || this.retryTimer || this.stopped) return;
    this.windowTimer = this.options.setTimeout(() => {
      this.windowTimer = undefined;
      void this.sendLoop();
    }, this.options.batchWindowMs);
  }

  private sendNow(): void {
    if (this.windowTimer) this.options.clearTimeout(this.windowTimer);
    if (this.retryTimer) this.options.clearTimeout(this.retryTimer);
    this.windowTimer = undefined;
    this.retryTimer = undefined;
    void this.sendLoop();
  }

  private async sendLoop(): Promise<void> {
    if (this.sending || !this.ready || this.stopped) return;
    this.sending = true;
    try {
      while (!this.stopped) {
        const batch = takeBatch(this.entries, this.options.maxBatchSize);
        if (batch.length === 0) break;
        await this.appending;
        const outcome = await this.inLane(() => this.pushBatch(batch));
        if (outcome === 'retry') {
          this.scheduleRetry();
          break;
        }
      }
    } catch (error) {
      this.emit('error', { error });
      this.scheduleRetry();
    } finally {
      this.sending = false;
    }
  }

  private scheduleRetry(): void {
    // A device without network sends nothing; connectivityChanged(true) sends at once.
    if (this.stopped || this.retryTimer || this.onlineState.deviceOffline || this.waitsForToken()) {
      return;
    }
    const delay = backoffDelay(this.retryAttempt++, this.options.retry);
    this.retryTimer = this.options.setTimeout(() => {
      this.retryTimer = undefined;
      void this.sendLoop();
    }, delay);
  }

  private async pushBatch(batch: OutboxEntry[]): Promise<'done' | 'retry'> {
    // Queued before a revocation was noticed: the purge reports these edits instead.
    if (this.stopped) return 'done';
    const input = {
      workspaceId: this.options.workspaceId,
      clientId: this.clientIdValue ?? '',
      changes: batch.map((entry) => toChangeInput(entry, this.baseVersionAtSend(entry))),
    };
    const operation = this.client.createRequestOperation(
      'mutation',
      privateRequest(PushChangesDocument, { input }),
      {
        requestPolicy: 'network-only',
        converge: { batch: true },
      },
    );
    const result = await this.forward(operation);
    if (this.closed) return 'done';
    const payload = (result.data as PushChangesMutation | undefined)?.pushChanges;
    // Revoked while this batch was out: an answered batch is settled (those edits reached the
    // server), an unanswered one is left to the purge, which reports it as unsent.
    if (this.revoked && !payload) return 'done';
    if (isNetworkError(result.error)) return 'retry';
    if (!payload) {
      const error = result.error?.graphQLErrors[0];
      const code = String(error?.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
      if (code === 'UNAUTHENTICATED') this.refuseToken(error?.message);
      if (RETRYABLE_CODES.has(code)) return 'retry';
      if (code === 'FORBIDDEN') {
        // Removed from the workspace, or a role that may not push? Only a catch-up tells.
        const access = await this.checkAccess();
        if (access === 'revoked') {
          this.revoke(error?.message ?? 'You are not a member of this workspace');
          return 'done';
        }
        if (access === 'unknown') return 'retry';
      }
      // The server will never take this batch as it is (FORBIDDEN, BAD_USER_INPUT...):
      // rejecting it beats blocking every later change forever.
      const message = error?.message ?? 'The server refused the batch';
      await this.settle(
        batch,
        new Map(batch.map((entry) => [entry.mutationId, rejectedResult(entry, code, message)])),
      );
      return 'done';
    }
    this.retryAttempt = 0;
    const results = new Map(payload.results.map((change) => [change.mutationId, change]));
    await this.settle(batch, results, payload.cursor);
    return 'done';
  }

  /** Hands each edit its answer, then drops the batch from the outbox. */
  private async settle(
    batch: OutboxEntry[],
    results: Map<string, ChangeResult>,
    cursor = '',
  ): Promise<void> {
    for (const entry of batch) {
      const result =
        results.get(entry.mutationId) ??
        rejectedResult(entry, 'NO_RESULT', 'The server did not answer this change');
      this.deliverResult(entry, result, cursor);
      this.report(entry, result);
    }
    const done = new Set(batch.map((entry) => entry.mutationId));
    for (let index = this.entries.length - 1; index >= 0; index--) {
      const entry = this.entries[index];
      if (entry && done.has(entry.mutationId)) this.entries.splice(index, 1);
    }
    await this.outboxStore?.remove([...done]);
    this.publishStatus();
    this.wakeAckWaiters(done);
  }

  private deliverResult(entry: OutboxEntry, result: ChangeResult, cursor: string): void {
    const operation = this.attached.get(entry.mutationId);
    if (!operation) return;
    this.attached.delete(entry.mutationId);
    const data: PushChangesMutation = {
      __typename: 'Mutation',
      pushChanges: { __typename: 'PushChangesPayload', cursor, results: [result] },
    };
    this.transport?.deliver(makeResult(operation, { data }));
  }

  private report(entry: OutboxEntry, result: ChangeResult): void {
    this.emit('result', { change: entry, result });
    if (result.status === 'CONFLICT' && result.conflict) {
      if (result.conflict.status === 'OPEN')
        this.conflicts.set(result.conflict.id, result.conflict);
      this.emit('conflict', { change: entry, result, conflict: result.conflict });
    }
    if (result.status === 'REJECTED') {
      this.rejected += 1;
      const error = result.error ?? {
        __typename: 'SyncError' as const,
        code: 'REJECTED',
        message: 'The server rejected this change',
        field: null,
      };
      this.emit('rejected', { change: entry, result, error });
    }
  }

  private wakeAckWaiters(done: Set<string>): void {
    for (const waiter of [...this.ackWaiters]) {
      for (const id of done) waiter.ids.delete(id);
      if (waiter.ids.size === 0) {
        this.ackWaiters.splice(this.ackWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }

  /** One pushChanges in flight at a time, whoever sends it. */
  private inLane<T>(task: () => Promise<T>): Promise<T> {
    const run = this.lane.then(task, task);
    this.lane = run.catch(() => undefined);
    return run;
  }

  private async forward(operation: Operation): Promise<OperationResult> {
    if (!this.transport) throw new Error('The sync exchange is not installed');
    const result = await this.transport.execute(operation);
    if (this.claimedKeys.has(operation.key)) this.transport.deliver(result);
    return result;
  }

  // ---- catch-up and live ------------------------------------------------------------------

  private async pullPages(): Promise<void> {
    const replica = this.replica;
    if (!replica || this.stopped) return;
    for (;;) {
      const result = await this.privateQuery(
        ChangesSinceDocument,
        {
          workspaceId: this.options.workspaceId,
          cursor: replica.cursor,
          limit: this.options.pageSize,
        },
        { pull: true },
      );
      if (this.stopped) return;
      const page = result.data?.changesSince;
      if (!page) {
        this.noticeRefusedToken(result);
        const forbidden = forbiddenError(result.error);
        if (forbidden) {
          this.revoke(forbidden.message);
          throw new WorkspaceRevokedError(this.options.workspaceId);
        }
        throw result.error ?? new Error('changesSince returned nothing');
      }
      // inspect() absorbed the page's entities before this point: the cursor may move.
      replica.setCursor(page.cursor);
      this.publishStatus();
      if (!page.hasMore) break;
    }
    await this.loadOpenConflicts();
    this.liveFollower.start();
  }

  private async loadOpenConflicts(): Promise<void> {
    const open = new Map<string, Conflict>();
    let after: string | null = null;
    for (let page = 0; page < CONFLICT_PAGES_MAX; page++) {
      const result: OperationResult<ConflictsQuery> = await this.privateQuery(
        ConflictsDocument,
        { workspaceId: this.options.workspaceId, status: 'OPEN', first: CONFLICT_PAGE, after },
        { pull: true },
      );
      const conflicts: Conflict[] | undefined = result.data?.conflicts;
      if (!conflicts) return;
      for (const conflict of conflicts) open.set(conflict.id, conflict);
      if (conflicts.length < CONFLICT_PAGE) break;
      after = conflicts.at(-1)?.id ?? null;
    }
    this.conflicts.clear();
    for (const [id, conflict] of open) this.conflicts.set(id, conflict);
    this.publishStatus();
  }

  /** The cursor to resume `entityChanged` from on every (re)connect. */
  liveVariables(variables: Record<string, unknown>): Record<string, unknown> {
    return this.liveFollower.variables(variables);
  }

  /** The live socket connected: the server is there, and a restart waits no backoff. */
  onLiveConnected(): void {
    this.liveFollower.connected();
    this.onlineState.setOnline(true);
  }

  private onConflictChange(data: unknown): void {
    const conflict = (data as ConflictChangedSubscription | undefined)?.conflictChanged;
    if (!conflict) return;
    if (conflict.status === 'OPEN') this.conflicts.set(conflict.id, conflict);
    else this.conflicts.delete(conflict.id);
    this.publishStatus();
  }

  // ---- online state -----------------------------------------------------------------------

  /** The device went offline or came back (Connectivity): see OnlineState. */
  connectivityChanged(online: boolean): void {
    this.onlineState.connectivityChanged(online);
  }

  /** The live connection dropped (not closed by us): see OnlineState. */
  connectionLost(): void {
    this.onlineState.connectionLost();
  }

  /** Forgets every backoff and tries the server now: catch-up (then live), then the outbox. */
  private tryNow(): void {
    this.retryAttempt = 0;
    this.onlineState.forgetBackoff();
    this.liveFollower.forgetBackoff();
    void this.pull().catch(() => this.onlineState.scheduleProbe());
    if (this.entries.length > 0) this.sendNow();
  }

  // ---- revocation -------------------------------------------------------------------------

  /** One catch-up page: does the server still let this user read the workspace? */
  private async checkAccess(): Promise<Access> {
    const result = await this.privateQuery(
      ChangesSinceDocument,
      { workspaceId: this.options.workspaceId, cursor: this.replica?.cursor ?? null, limit: 1 },
      { pull: true },
    );
    return accessFromCatchUp(result.data?.changesSince != null, result.error);
  }

  /**
   * The server refused this user the workspace: stop at once (edits are refused from this
   * moment, so none can slip in after the unsent ones are collected), then, after the push in
   * flight has its answer, delete the workspace's stored data and report what was unsent.
   */
  private revoke(message: string): void {
    if (this.stopped) return;
    this.revoked = true;
    this.stopActivity();
    this.publishStatus();
    this.purging = this.inLane(() => this.purge(message)).catch((error: unknown) => {
      this.emit('error', { error });
    });
  }

  private async purge(message: string): Promise<void> {
    // Appends under way first: the purge must find (and delete) what they write.
    await this.appending;
    const inMemory = [...this.entries.splice(0), ...this.early.splice(0)];
    // Read before the replica forgets them: what the workspace left in graphcache's storage.
    const entityKeys = [
      ...(this.replica?.all() ?? []).map((entity) => entityKey(entity.__typename, entity.id)),
      ...inMemory.map((entry) => SyncEngine.key(entry.kind, entry.id)),
      ...[...this.conflicts.keys()].map((id) => entityKey('Conflict', id)),
    ];
    let unsent = inMemory;
    try {
      unsent = await purgeWorkspace({
        workspaceId: this.options.workspaceId,
        inMemory,
        outbox: this.outboxStore,
        replica: this.replica,
        cache: { storage: this.storage, entityKeys },
      });
    } catch (error) {
      // Storage failed to delete: said so, and the edits held in memory are still reported.
      this.emit('error', { error });
    }
    this.conflicts.clear();
    this.publishStatus();
    const error = new WorkspaceRevokedError(this.options.workspaceId);
    for (const waiter of this.ackWaiters.splice(0)) waiter.reject(error);
    this.emit('revoked', {
      workspaceId: this.options.workspaceId,
      error: { code: 'FORBIDDEN', message },
      unsent,
    });
  }

  // ---- token ----------------------------------------------------------------------------

  private noticeRefusedToken(result: OperationResult): void {
    const error = result.error?.graphQLErrors.find(
      (candidate) => candidate.extensions?.code === 'UNAUTHENTICATED',
    );
    if (error) this.refuseToken(error.message);
  }

  private refuseToken(message = 'The server refused the token'): void {
    if (this.tokenRefused) return;
    this.tokenRefused = true;
    this.publishStatus();
    this.emit('auth', { error: { code: 'UNAUTHENTICATED', message } });
  }

  /** A refused static token is refused again: nothing is sent until the app gives a new one. */
  private waitsForToken(): boolean {
    return this.tokenRefused && this.options.staticToken();
  }

  /** The app gave a new token (setToken): try it at once. */
  tokenChanged(): void {
    if (this.stopped) return;
    this.tokenRefused = false;
    this.publishStatus();
    if (this.ready) this.tryNow();
  }

  private emit<Name extends SyncEventName>(name: Name, event: SyncEvents[Name]): void {
    this.events.emit(name, event);
  }

  private publishStatus(): void {
    this.events.publishStatus(this.status());
  }

  /** Cache key of an entity, for callers that read the cache. */
  static key(kind: EntityKind, id: string): string {
    return entityKey(typenameOf[kind], id);
  }
}

function rejectedResult(entry: OutboxEntry, code: string, message: string): ChangeResult {
  return {
    __typename: 'ChangeResult',
    mutationId: entry.mutationId,
    status: 'REJECTED',
    mergedFields: [],
    entity: null,
    conflict: null,
    error: { __typename: 'SyncError', code, message, field: null },
  };
}

function rootField(document: DocumentNode): string | undefined {
  const operation = document.definitions.find(
    (definition): definition is OperationDefinitionNode =>
      definition.kind === 'OperationDefinition',
  );
  const first = operation?.selectionSet.selections[0];
  return first?.kind === 'Field' ? first.name.value : undefined;
}
