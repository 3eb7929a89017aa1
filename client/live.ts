import type { Client, DocumentInput } from '@urql/core';
import { pipe, subscribe } from 'wonka';
import { backoffDelay, type RetryPorts } from './backoff.ts';
import { entityKey, type SyncEntity } from './entities.ts';
import {
  ChangesSinceDocument,
  ConflictChangedDocument,
  EntityChangedDocument,
  type EntityChangedSubscription,
} from './generated/graphql.ts';
import { type ConvergeContext, privateQuery, privateRequest } from './operations.ts';

/** The cursor argument of echo writes (see echo()); never sent to the server. */
const ECHO_CURSOR = 'converge:echo';

export interface LiveFollowerOptions extends RetryPorts {
  workspaceId: string;
  /** False: the client never opens live streams (createSyncClient's `live: false`). */
  enabled: boolean;
  /** The urql client, set after the engine is built. */
  client: () => Client;
  cursor: () => string | null;
  /** An entity event, its entity absorbed already: the engine's cursor moves to it. */
  setCursor: (cursor: string) => void;
}

/**
 * The live streams (entityChanged, conflictChanged) that follow the workspace once caught up:
 * opened once, restarted with backoff after an error, resumed from the cursor on reconnect;
 * and the echo of live entities into graphcache.
 */
export class LiveFollower {
  private readonly subscriptions: { unsubscribe(): void }[] = [];
  /** Live entities waiting to be written again on top (see echo()), by cache key. */
  private readonly echoes = new Map<string, SyncEntity>();
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private restartAttempt = 0;

  constructor(private readonly options: LiveFollowerOptions) {}

  /** Caught up: opens the streams, unless they are open already. */
  start(): void {
    const { options } = this;
    if (!options.enabled || options.stopped() || this.subscriptions.length > 0) return;
    const variables = { workspaceId: options.workspaceId };
    const follow = <Data>(
      document: DocumentInput<Data, typeof variables>,
      live: 'entities' | 'conflicts',
    ) =>
      pipe(
        options.client().executeSubscription(privateRequest(document, variables), {
          converge: { live } satisfies ConvergeContext,
        }),
        subscribe((result) => {
          // Events carry no data for graphcache (see the engine's inspect()): an error alone
          // ends a stream.
          if (result.error) this.restart();
        }),
      );
    this.subscriptions.push(
      follow(EntityChangedDocument, 'entities'),
      follow(ConflictChangedDocument, 'conflicts'),
    );
  }

  /**
   * A subscription ended with an error: start over later, from the cursor reached by then.
   * The catch-up that starts it again also tells a removed member (a stream ended FORBIDDEN
   * by the server's membership recheck) from a dropped one: its FORBIDDEN revokes.
   */
  private restart(): void {
    const { options } = this;
    if (options.stopped() || this.restartTimer || options.waitsForToken()) return;
    for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe();
    this.restartTimer = options.setTimeout(
      () => {
        this.restartTimer = undefined;
        void options.pull().catch(() => this.restart());
      },
      backoffDelay(this.restartAttempt++, options.retry),
    );
  }

  /** The cursor to resume `entityChanged` from on every (re)connect. */
  variables(variables: Record<string, unknown>): Record<string, unknown> {
    const cursor = this.options.cursor();
    return cursor ? { ...variables, after: cursor } : variables;
  }

  /** The live socket connected: the next restart waits no backoff. */
  connected(): void {
    this.restartAttempt = 0;
  }

  /** An entityChanged event (after the engine's inspect()): moves the cursor, queues an echo. */
  entityChanged(data: unknown): void {
    const change = (data as EntityChangedSubscription | undefined)?.entityChanged;
    if (!change) return;
    // The engine's gate() absorbed the entity already; events come in order, so the cursor
    // may move.
    this.options.setCursor(change.cursor);
    const entity = change.entity;
    if (this.echoes.size === 0) {
      // Deferred: this runs inside urql's result stream, which must not be re-entered; and a
      // replay of many events after a reconnect becomes one echo.
      queueMicrotask(() => this.echo());
    }
    this.echoes.set(entityKey(entity.__typename, entity.id), entity);
  }

  /**
   * Writes live entities into graphcache. Graphcache stacks results in the order their
   * operations were sent, and the live subscription was sent long ago: written with the event,
   * an entity would land below every catch-up page sent since, and a page's older copy would
   * keep showing. Written under an operation sent now, it is above all of them. The echo's own
   * list (cursor ECHO_CURSOR) holds the last echo's entities and is rewritten each time.
   */
  private echo(): void {
    const entities = [...this.echoes.values()];
    this.echoes.clear();
    if (this.options.stopped() || entities.length === 0) return;
    void privateQuery(
      this.options.client(),
      ChangesSinceDocument,
      { workspaceId: this.options.workspaceId, cursor: ECHO_CURSOR },
      { echo: entities },
    );
  }

  /** Trying the server now: no restart waits on the backoff built up so far. */
  forgetBackoff(): void {
    this.restartAttempt = 0;
    this.cancelRestart();
  }

  /** Closed or revoked: no restart, no streams. */
  stop(): void {
    this.cancelRestart();
    for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe();
  }

  private cancelRestart(): void {
    if (this.restartTimer) this.options.clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }
}
