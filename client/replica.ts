import { entityKey, type SyncEntity } from './entities.ts';
import {
  type KeyedRecord,
  type RecordStore,
  StorageError,
  StorageErrorCode,
  type SyncStorage,
} from './storage/types.ts';

/** The format of earlier releases, still written where the storage has no record store. */
interface StoredReplica {
  cursor: string | null;
  entities: Record<string, SyncEntity>;
}

interface LoadedReplica {
  cursor: string | null;
  entities: SyncEntity[];
}

/** Where a replica is kept: record by record, or as one record on storages without records. */
interface ReplicaFormat {
  load(): Promise<LoadedReplica | undefined>;
  /** `cursor` undefined leaves the stored cursor as it is. */
  write(changed: readonly SyncEntity[], cursor: string | null | undefined): Promise<void>;
  purge(): Promise<void>;
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
 * cursor is stored atomically with the entities, so a stored cursor never claims changes
 * whose entities were not stored. Each entity is its own record where the storage has a
 * record store, so an edit writes one entity, not the whole replica.
 */
export class Replica {
  private readonly entities = new Map<string, SyncEntity>();
  private readonly dirty = new Set<string>();
  private readonly format: ReplicaFormat;
  private cursorValue: string | null = null;
  private cursorDirty = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    storage: SyncStorage,
    private readonly options: ReplicaOptions,
  ) {
    this.format = storage.records
      ? recordFormat(storage, storage.records, options.key)
      : singleRecordFormat(storage, options.key);
  }

  async load(): Promise<void> {
    const stored = await this.format.load();
    if (!stored) return;
    for (const entity of stored.entities) {
      this.entities.set(entityKey(entity.__typename, entity.id), entity);
    }
    this.cursorValue = stored.cursor;
  }

  get cursor(): string | null {
    return this.cursorValue;
  }

  get size(): number {
    return this.entities.size;
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
    const changed: SyncEntity[] = [];
    for (const key of this.dirty) {
      const entity = this.entities.get(key);
      if (entity) changed.push(entity);
    }
    const cursor = this.cursorDirty ? this.cursorValue : undefined;
    this.dirty.clear();
    this.cursorDirty = false;
    const write = () => this.format.write(changed, cursor);
    this.writing = this.writing.then(write, write);
    return this.writing;
  }

  /**
   * Deletes the stored replica and cursor (access to the workspace was revoked) and forgets
   * them here too; a write already under way finishes first, so it cannot bring them back.
   */
  async purge(): Promise<void> {
    if (this.timer) this.options.clearTimeout(this.timer);
    this.timer = undefined;
    this.dirty.clear();
    this.cursorDirty = false;
    this.entities.clear();
    this.cursorValue = null;
    const purge = () => this.format.purge();
    this.writing = this.writing.then(purge, purge);
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

/** One record per entity; a replica of the single-record format is moved over on load. */
function recordFormat(storage: SyncStorage, records: RecordStore, key: string): ReplicaFormat {
  const toRecord = (entity: SyncEntity): KeyedRecord => ({
    key: entityKey(entity.__typename, entity.id),
    version: entity.version,
    value: entity,
  });
  return {
    async load() {
      await migrateSingleRecord(storage, records, key, toRecord);
      const stored = await records.read(key);
      if (!stored) return undefined;
      const entities = stored.records.map((record) => storedEntity(record, key));
      return { cursor: stored.cursor, entities };
    },
    write(changed, cursor) {
      return records.write(key, {
        put: changed.map(toRecord),
        ...(cursor === undefined ? {} : { cursor }),
      });
    },
    async purge() {
      await records.purge(key);
      await storage.updateItem(key, () => undefined);
    },
  };
}

/**
 * A replica written by an earlier release (one JSON record): its entities and cursor are
 * written as records, then the old record is deleted. Interrupted in between, the next load
 * does it again; puts never replace newer versions, and a cursor already stored is kept.
 */
async function migrateSingleRecord(
  storage: SyncStorage,
  records: RecordStore,
  key: string,
  toRecord: (entity: SyncEntity) => KeyedRecord,
): Promise<void> {
  const text = await storage.getItem(key);
  if (text === undefined) return;
  const legacy = parseStored<StoredReplica>(text, key);
  const current = await records.read(key);
  await records.write(key, {
    put: Object.values(legacy.entities).map(toRecord),
    ...(current?.cursor ? {} : { cursor: legacy.cursor }),
  });
  await storage.updateItem(key, () => undefined);
}

/** The format of earlier releases: the whole replica in one record, rewritten on each change. */
function singleRecordFormat(storage: SyncStorage, key: string): ReplicaFormat {
  return {
    async load() {
      const text = await storage.getItem(key);
      if (!text) return undefined;
      const stored = parseStored<StoredReplica>(text, key);
      return { cursor: stored.cursor, entities: Object.values(stored.entities) };
    },
    async write(changed, cursor) {
      await storage.updateItem(key, (current) => {
        // Merged into what is stored: another process sharing the storage may have added
        // entities or newer versions of them.
        const stored: StoredReplica = current
          ? parseStored<StoredReplica>(current, key)
          : { cursor: null, entities: {} };
        for (const entity of changed) {
          const entityId = entityKey(entity.__typename, entity.id);
          const other = stored.entities[entityId];
          if (!other || other.version <= entity.version) stored.entities[entityId] = entity;
        }
        if (cursor !== undefined) stored.cursor = cursor;
        return JSON.stringify(stored);
      });
    },
    async purge() {
      await storage.updateItem(key, () => undefined);
    },
  };
}

function storedEntity(record: KeyedRecord, key: string): SyncEntity {
  const entity = record.value as Partial<SyncEntity> | null;
  if (typeof entity !== 'object' || entity === null || typeof entity.id !== 'string') {
    throw new StorageError(StorageErrorCode.CORRUPT, `A record of ${key} is not an entity`);
  }
  return entity as SyncEntity;
}

function parseStored<T>(text: string, key: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new StorageError(StorageErrorCode.CORRUPT, `The stored ${key} is not valid JSON`, {
      cause,
    });
  }
}
