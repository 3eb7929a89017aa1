import { entityKey, type SyncEntity } from './entities.ts';
import type { SyncStorage } from './storage/types.ts';

interface StoredReplica {
  cursor: string | null;
  entities: Record<string, SyncEntity>;
}

export interface ReplicaOptions {
  /** The record's name: one replica per workspace, so workspaces can share a storage. */
  key: string;
  /** Entity writes arrive in bursts (a pulled page); they are stored at most this often. */
  writeDelayMs: number;
  setTimeout: typeof setTimeout;
  clearTimeout: typeof clearTimeout;
}

/**
 * The latest server state of every entity this client has seen, and the cursor it has caught
 * up to. It is what restarts rebuild the cache from (graphcache's own persistence expires
 * entries and is deferred), what `baseVersion` is read from, and the gate that keeps an
 * older copy of an entity (a slow page) from overwriting a newer one (a live event). The
 * cursor is stored in the same record as the entities, so a stored cursor never claims
 * changes whose entities were not stored.
 */
export class Replica {
  private readonly entities = new Map<string, SyncEntity>();
  private readonly dirty = new Set<string>();
  private cursorValue: string | null = null;
  private cursorDirty = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly storage: SyncStorage,
    private readonly options: ReplicaOptions,
  ) {}

  async load(): Promise<void> {
    const text = await this.storage.getItem(this.options.key);
    if (!text) return;
    const stored = JSON.parse(text) as StoredReplica;
    for (const [key, entity] of Object.entries(stored.entities)) this.entities.set(key, entity);
    this.cursorValue = stored.cursor;
  }

  get cursor(): string | null {
    return this.cursorValue;
  }

  get(typename: string, id: string): SyncEntity | undefined {
    return this.entities.get(entityKey(typename, id));
  }

  all(): SyncEntity[] {
    return [...this.entities.values()];
  }

  /** Keeps the newer of `entity` and what is known, and returns that one. */
  absorb<T extends SyncEntity>(entity: T): T {
    const key = entityKey(entity.__typename, entity.id);
    const known = this.entities.get(key) as T | undefined;
    if (known && known.version > entity.version) return known;
    if (!known || !sameEntity(known, entity)) {
      this.entities.set(key, entity);
      this.dirty.add(key);
      this.schedule();
    }
    return entity;
  }

  /** Call only once every entity up to `cursor` has been absorbed. */
  setCursor(cursor: string): void {
    if (cursor === this.cursorValue) return;
    this.cursorValue = cursor;
    this.cursorDirty = true;
    this.schedule();
  }

  /** Stores what changed since the last write; resolves when it is stored. */
  persist(): Promise<void> {
    if (this.timer) this.options.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.dirty.size === 0 && !this.cursorDirty) return this.writing;
    const changed = [...this.dirty].map((key) => [key, this.entities.get(key)] as const);
    const cursor = this.cursorDirty ? this.cursorValue : undefined;
    this.dirty.clear();
    this.cursorDirty = false;
    const write = () =>
      this.storage.updateItem(this.options.key, (current) => {
        // Merged into what is stored: another process sharing the storage may have added
        // entities or newer versions of them.
        const stored: StoredReplica = current
          ? (JSON.parse(current) as StoredReplica)
          : { cursor: null, entities: {} };
        for (const [key, entity] of changed) {
          const other = stored.entities[key];
          if (entity && (!other || other.version <= entity.version)) stored.entities[key] = entity;
        }
        if (cursor !== undefined) stored.cursor = cursor;
        return JSON.stringify(stored);
      });
    this.writing = this.writing.then(write, write).then(() => undefined);
    return this.writing;
  }

  /**
   * Deletes the stored replica and cursor (access to the workspace was revoked) and forgets
   * them here too; a write already under way finishes first, so it cannot bring them back.
   */
  purge(): Promise<void> {
    if (this.timer) this.options.clearTimeout(this.timer);
    this.timer = undefined;
    this.entities.clear();
    this.dirty.clear();
    this.cursorValue = null;
    this.cursorDirty = false;
    const remove = () => this.storage.updateItem(this.options.key, () => undefined);
    this.writing = this.writing.then(remove, remove).then(() => undefined);
    return this.writing;
  }

  private schedule(): void {
    this.timer ??= this.options.setTimeout(() => {
      this.timer = undefined;
      void this.persist().catch(() => undefined);
    }, this.options.writeDelayMs);
  }
}

function sameEntity(a: SyncEntity, b: SyncEntity): boolean {
  return a.version === b.version && JSON.stringify(a) === JSON.stringify(b);
}
