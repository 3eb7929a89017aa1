import type { EntityKind, Patch } from './entities.ts';
import type { ChangeInput } from './generated/graphql.ts';
import { compareStamps } from './hlc.ts';
import type { SyncJournal, SyncStorage } from './storage/types.ts';

/** One local edit waiting for the server. Stored before it is ever sent. */
export interface OutboxEntry {
  /**
   * Idempotency key: a replay with the same id is answered DUPLICATE (docs/protocol.md,
   * Idempotency).
   */
  mutationId: string;
  kind: EntityKind;
  id: string;
  op: 'create' | 'update' | 'delete';
  patch: Patch | null;
  hlc: string;
  /**
   * The version the edit was made on. Null when an earlier edit of the same entity by this
   * client was still pending: the edit builds on that one, so its base is the version the
   * server answers for it, known only when it is acknowledged.
   */
  baseVersion: number | null;
  /** Local time the edit was made (unix millis), for diagnostics. */
  madeAt: number;
}

interface StoredOutbox {
  entries: OutboxEntry[];
  clock: string | null;
}

/**
 * The outbox as stored. Appends and removals are merged into the stored record under the
 * storage's lock, so processes or tabs sharing one storage keep each other's entries
 * (urql #2881) and a restart finds every entry not yet acknowledged, in the order made.
 *
 * That record is written asynchronously, so each entry is first journaled synchronously where
 * the storage has a journal (files, browser pages): an edit that showed survives a reload or
 * a crash in the moment before the record has it. Loading moves journaled entries into the
 * record; appending drops them from the journal once the record has them.
 */
export class OutboxStore {
  private readonly journal: SyncJournal | undefined;

  /** `key` names the record: one outbox per workspace, so workspaces can share a storage. */
  constructor(
    private readonly storage: SyncStorage,
    private readonly key: string,
  ) {
    this.journal = storage.journal;
  }

  async load(): Promise<StoredOutbox> {
    const journaled = this.readJournal();
    if (journaled.length > 0) {
      // Entries made just before a reload or crash. Some may be in the record already
      // (the crash came after the append); append() keeps one copy and clears the journal.
      await this.append(journaled);
    }
    const text = await this.storage.getItem(this.key);
    return text ? (JSON.parse(text) as StoredOutbox) : { entries: [], clock: null };
  }

  /** Stores `entry` synchronously, before it shows; append() makes it part of the record. */
  journalEntry(entry: OutboxEntry): void {
    if (this.journal) journalOutboxEntry(this.journal, this.key, entry);
  }

  /** Adds entries at the end; one the record has already is replaced where it stands. */
  async append(entries: readonly OutboxEntry[], clock?: string): Promise<void> {
    await this.update((stored) => {
      const known = new Map(stored.entries.map((entry, index) => [entry.mutationId, index]));
      for (const entry of entries) {
        const index = known.get(entry.mutationId);
        if (index === undefined) stored.entries.push(entry);
        else stored.entries[index] = entry;
      }
      if (clock !== undefined) stored.clock = clock;
    });
    this.journal?.remove(entries.map((entry) => this.journalKey(entry.mutationId)));
  }

  remove(mutationIds: readonly string[]): Promise<void> {
    const done = new Set(mutationIds);
    return this.update((stored) => {
      stored.entries = stored.entries.filter((entry) => !done.has(entry.mutationId));
    });
  }

  /**
   * Deletes this outbox, its record and its journal entries, and returns the entries they
   * held (journaled ones included), in the order made. Used when access to the workspace is
   * revoked: nothing of it may stay on disk.
   */
  async purge(): Promise<OutboxEntry[]> {
    const journaled = this.readJournal();
    let stored: StoredOutbox = { entries: [], clock: null };
    await this.storage.updateItem(this.key, (current) => {
      if (current) stored = JSON.parse(current) as StoredOutbox;
      return undefined;
    });
    this.journal?.remove(journaled.map((entry) => this.journalKey(entry.mutationId)));
    const entries = new Map<string, OutboxEntry>();
    for (const entry of [...stored.entries, ...journaled]) entries.set(entry.mutationId, entry);
    return [...entries.values()].sort((a, b) => compareStamps(a.hlc, b.hlc));
  }

  private journalKey(mutationId: string): string {
    return journalKey(this.key, mutationId);
  }

  /** Journaled entries in the order made; one that cannot be read is dropped, not fatal. */
  private readJournal(): OutboxEntry[] {
    if (!this.journal) return [];
    const entries: OutboxEntry[] = [];
    const unreadable: string[] = [];
    for (const [key, value] of this.journal.list(`${this.key}:`)) {
      try {
        entries.push(JSON.parse(value) as OutboxEntry);
      } catch {
        unreadable.push(key);
      }
    }
    // Half-written entries cannot exist (journals write whole values); this is damage.
    this.journal.remove(unreadable);
    return entries.sort((a, b) => compareStamps(a.hlc, b.hlc));
  }

  private async update(change: (stored: StoredOutbox) => void): Promise<void> {
    await this.storage.updateItem(this.key, (current) => {
      const stored: StoredOutbox = current
        ? (JSON.parse(current) as StoredOutbox)
        : { entries: [], clock: null };
      change(stored);
      return JSON.stringify(stored);
    });
  }
}

function journalKey(outboxKey: string, mutationId: string): string {
  return `${outboxKey}:${mutationId}`;
}

/**
 * Journals an entry where OutboxStore.load() of the outbox `outboxKey` finds it: usable before
 * the storage is open (the engine journals edits made in that moment this way).
 */
export function journalOutboxEntry(
  journal: SyncJournal,
  outboxKey: string,
  entry: OutboxEntry,
): void {
  journal.put(journalKey(outboxKey, entry.mutationId), JSON.stringify(entry));
}

/**
 * The next batch: entries in the order made, at most `max`, ending before an edit whose
 * base is an earlier edit in the same batch (its baseVersion is only known once that one is
 * acknowledged; guessing it would either make the server see the client's own write as
 * concurrent or claim a version the server never had).
 */
export function takeBatch(entries: readonly OutboxEntry[], max: number): OutboxEntry[] {
  const batch: OutboxEntry[] = [];
  const touched = new Set<string>();
  for (const entry of entries) {
    if (batch.length >= max) break;
    const key = `${entry.kind}:${entry.id}`;
    if (entry.baseVersion === null && touched.has(key)) break;
    touched.add(key);
    batch.push(entry);
  }
  return batch;
}

export function toChangeInput(entry: OutboxEntry, baseVersion: number | null): ChangeInput {
  const change = {
    mutationId: entry.mutationId,
    id: entry.id,
    baseVersion,
    hlc: entry.hlc,
    ...(entry.op === 'delete' ? { delete: true } : { patch: entry.patch }),
  };
  return { [entry.kind]: change } as unknown as ChangeInput;
}
