import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SerializedRequest } from '@urql/exchange-graphcache';
import { fileJournal, journalDirectory } from './file-journal.ts';
import { Mutex } from './mutex.ts';
import {
  applyDelta,
  type ItemUpdate,
  type KeyedRecord,
  keepsStored,
  type RecordChanges,
  type RecordStore,
  type SerializedEntries,
  StorageError,
  StorageErrorCode,
  type StoredCollection,
  type SyncStorage,
} from './types.ts';

export interface FileStorageOptions {
  /** How long to wait for another process's lock before failing with STORAGE_LOCK_TIMEOUT. */
  lockTimeoutMs?: number;
  /** A lock held this long is taken over: holders keep it for one read-modify-write only. */
  staleLockMs?: number;
  /** graphcache writes come in bursts; they are merged and written at most this often. */
  writeDelayMs?: number;
  /**
   * A record log is rewritten as one line once it holds this many more lines than records
   * (and at least this many lines): each rewrite costs O(records) for as many appends.
   */
  compactAfterLines?: number;
}

const defaults: Required<FileStorageOptions> = {
  lockTimeoutMs: 10_000,
  staleLockMs: 30_000,
  writeDelayMs: 25,
  compactAfterLines: 1000,
};

const ENTRIES_FILE = 'graphcache.json';
const METADATA_FILE = 'graphcache-metadata.json';
const LOCK_FILE = '.lock';

/**
 * Storage in a directory for Node. Every file is replaced atomically (temporary file, fsync,
 * rename, fsync of the directory), so a crash leaves either the old or the new content, never
 * half of it. Every write is a read-modify-write under a lock file shared by all processes
 * using the directory, so each merges its changes into what the others wrote (urql #2881).
 */
export function createFileStorage(
  directory: string,
  options: FileStorageOptions = {},
): SyncStorage {
  const settings = { ...defaults, ...options };
  const mutex = new Mutex();
  const ready = ensureDirectory(directory);
  const pendingEntries: SerializedEntries = {};
  let hasPendingEntries = false;
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let flushing: Promise<void> = Promise.resolve();
  let flushWaiters: (() => void)[] = [];
  const path = (name: string) => join(directory, name);

  /** Runs `section` holding both the in-process mutex and the cross-process lock file. */
  function exclusive<T>(section: () => Promise<T>): Promise<T> {
    return mutex.run(async () => {
      await ready;
      const release = await acquireLock(path(LOCK_FILE), settings);
      try {
        return await section();
      } finally {
        await release();
      }
    });
  }

  function flushEntries(): Promise<void> {
    flushTimer = undefined;
    if (!hasPendingEntries) return flushing;
    const delta = { ...pendingEntries };
    for (const key of Object.keys(pendingEntries)) delete pendingEntries[key];
    hasPendingEntries = false;
    const waiters = flushWaiters;
    flushWaiters = [];
    flushing = exclusive(async () => {
      const stored = await readJson<SerializedEntries>(path(ENTRIES_FILE), {});
      applyDelta(stored, delta);
      await writeAtomic(directory, ENTRIES_FILE, JSON.stringify(stored));
    }).finally(() => {
      for (const wake of waiters) wake();
    });
    return flushing;
  }

  return {
    async readData() {
      await ready;
      const stored = await readJson<SerializedEntries>(path(ENTRIES_FILE), {});
      applyDelta(stored, pendingEntries);
      return stored;
    },
    writeData(delta) {
      Object.assign(pendingEntries, delta);
      hasPendingEntries = true;
      flushTimer ??= setTimeout(
        () => void flushEntries().catch(() => undefined),
        settings.writeDelayMs,
      );
      return new Promise<void>((resolve) => flushWaiters.push(resolve));
    },
    async readMetadata() {
      await ready;
      return readJson<SerializedRequest[] | null>(path(METADATA_FILE), null);
    },
    writeMetadata(json) {
      void exclusive(() => writeAtomic(directory, METADATA_FILE, JSON.stringify(json))).catch(
        () => undefined,
      );
    },
    onOnline() {
      // Node has no connectivity events; the sync client reports when it is back online.
    },
    journal: fileJournal(journalDirectory(directory), fs),
    records: fileRecords(directory, settings.compactAfterLines, exclusive),
    async getItem(key) {
      await ready;
      return readText(path(itemFile(key)));
    },
    updateItem(key: string, update: ItemUpdate) {
      return exclusive(async () => {
        const file = itemFile(key);
        const next = await update(await readText(path(file)));
        if (next === undefined) await unlink(path(file)).catch(ignoreMissing);
        else await writeAtomic(directory, file, next);
        return next;
      });
    },
    async close() {
      if (flushTimer) clearTimeout(flushTimer);
      await flushEntries();
      await mutex.run(async () => undefined);
    },
  };
}

/** A write of a collection, one line of its log: puts, removals, and the cursor. */
interface LogLine {
  p?: [key: string, version: number, value: unknown][];
  x?: string[];
  c?: string | null;
}

/**
 * Collections as append-only logs, one per collection: each write is one line, appended
 * (O_APPEND) and fsynced under the lock, so a crash loses at most the line being written,
 * which is then unreadable and skipped as a whole: its cursor never stands without its
 * records. Reading folds the lines, keeping the highest version of each record. A log much
 * longer than its records is rewritten atomically as one line.
 */
function fileRecords(
  directory: string,
  compactAfterLines: number,
  exclusive: <T>(section: () => Promise<T>) => Promise<T>,
): RecordStore {
  // Lines appended beyond the records known, per log: the moment to compact. An estimate
  // (other processes append too); compaction itself reads the log and counts exactly.
  const growth = new Map<string, { lines: number; records: number }>();
  const logName = (collection: string) => `records-${encodeURIComponent(collection)}.log`;
  const logPath = (collection: string) => join(directory, logName(collection));

  async function readLog(collection: string): Promise<StoredCollection | undefined> {
    const text = await readText(logPath(collection));
    if (text === undefined) return undefined;
    const folded = foldLog(text);
    growth.set(collection, { lines: folded.lines, records: folded.records.size });
    return { records: [...folded.records.values()], cursor: folded.cursor };
  }

  async function compact(collection: string): Promise<void> {
    const text = (await readText(logPath(collection))) ?? '';
    const { records, cursor } = foldLog(text);
    const line: LogLine = {
      p: [...records.values()].map((record) => [record.key, record.version, record.value]),
      c: cursor,
    };
    await writeAtomic(directory, logName(collection), logLine(line));
    growth.set(collection, { lines: 1, records: records.size });
  }

  return {
    read: readLog,
    write(collection, changes: RecordChanges) {
      const line: LogLine = {};
      if (changes.put?.length) {
        line.p = changes.put.map((record) => [record.key, record.version, record.value]);
      }
      if (changes.remove?.length) line.x = [...changes.remove];
      if (changes.cursor !== undefined) line.c = changes.cursor;
      if (!line.p && !line.x && !('c' in line)) return Promise.resolve();
      return exclusive(async () => {
        await appendDurably(logPath(collection), logLine(line));
        const known = growth.get(collection) ?? { lines: 0, records: 0 };
        known.lines += 1;
        growth.set(collection, known);
        if (known.lines > Math.max(compactAfterLines, known.records)) await compact(collection);
      });
    },
    purge(collection) {
      return exclusive(async () => {
        await unlink(logPath(collection)).catch(ignoreMissing);
        growth.delete(collection);
        await syncDirectory(directory);
      });
    },
  };
}

// Each line starts on a fresh line: after a torn write, the next line still parses.
function logLine(line: LogLine): string {
  return `\n${JSON.stringify(line)}\n`;
}

function foldLog(text: string): {
  records: Map<string, KeyedRecord>;
  cursor: string | null;
  lines: number;
} {
  const records = new Map<string, KeyedRecord>();
  let cursor: string | null = null;
  let lines = 0;
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    const line = parseLogLine(raw);
    // A line torn by a crash: it was never reported stored, and its cursor goes with it.
    if (!line) continue;
    lines += 1;
    for (const [key, version, value] of line.p ?? []) {
      const record = { key, version, value };
      if (!keepsStored(records.get(key), record)) records.set(key, record);
    }
    for (const key of line.x ?? []) records.delete(key);
    if (line.c !== undefined) cursor = line.c;
  }
  return { records, cursor, lines };
}

function parseLogLine(text: string): LogLine | undefined {
  try {
    const line = JSON.parse(text) as LogLine | null;
    return typeof line === 'object' && line !== null ? line : undefined;
  } catch {
    return undefined;
  }
}

/** Appends with O_APPEND (whole lines, even with other processes) and fsyncs before returning. */
async function appendDurably(file: string, content: string): Promise<void> {
  const existed = await stat(file).then(
    () => true,
    () => false,
  );
  const handle = await open(file, 'a', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  // A new file's name must last too.
  if (!existed) await syncDirectory(dirname(file));
}

function itemFile(key: string): string {
  return `item-${encodeURIComponent(key)}.json`;
}

async function ensureDirectory(directory: string): Promise<void> {
  const existing = await stat(directory).catch(() => null);
  if (existing && !existing.isDirectory()) {
    throw new StorageError(
      StorageErrorCode.UNSUPPORTED,
      `File storage needs a directory, and ${directory} is a file`,
    );
  }
  await mkdir(directory, { recursive: true });
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

async function readJson<T>(file: string, fallback: T): Promise<T> {
  const text = await readText(file);
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new StorageError(StorageErrorCode.CORRUPT, `${file} is not valid JSON`, { cause });
  }
}

function temporaryPath(target: string): string {
  return `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/** Temporary file, fsync, rename over the target, fsync the directory so the rename lasts. */
async function writeAtomic(directory: string, name: string, content: string): Promise<void> {
  const target = join(directory, name);
  const temporary = temporaryPath(target);
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, target);
  } catch (error) {
    await unlink(temporary).catch(ignoreMissing);
    throw error;
  }
  await syncDirectory(directory);
}

async function syncDirectory(directory: string): Promise<void> {
  // Not every platform can open a directory for fsync (Windows); the rename is still atomic.
  const handle = await open(directory, 'r').catch(() => null);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // Same as above.
  } finally {
    await handle.close();
  }
}

async function acquireLock(
  lockPath: string,
  settings: Required<FileStorageOptions>,
): Promise<() => Promise<void>> {
  const deadline = Date.now() + settings.lockTimeoutMs;
  for (let attempt = 0; ; attempt++) {
    const token = `${process.pid} ${Date.now()} ${randomBytes(4).toString('hex')}`;
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      try {
        await handle.writeFile(token, 'utf8');
      } finally {
        await handle.close();
      }
      return () => releaseLock(lockPath, token);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await isStaleLock(lockPath, settings.staleLockMs)) {
      await unlink(lockPath).catch(ignoreMissing);
      continue;
    }
    if (Date.now() > deadline) {
      throw new StorageError(
        StorageErrorCode.LOCK_TIMEOUT,
        `Another process held ${lockPath} for more than ${settings.lockTimeoutMs} ms`,
      );
    }
    await sleep(Math.min(2 ** attempt, 50) + Math.random() * 5);
  }
}

// Only the holder removes its lock: after a takeover the file may belong to someone else.
async function releaseLock(lockPath: string, token: string): Promise<void> {
  if ((await readText(lockPath)) === token) await unlink(lockPath).catch(ignoreMissing);
}

/** A lock is stale when its holder is gone (same machine) or it is older than staleLockMs. */
async function isStaleLock(lockPath: string, staleLockMs: number): Promise<boolean> {
  const [content, info] = await Promise.all([
    readText(lockPath).catch(() => undefined),
    stat(lockPath).catch(() => null),
  ]);
  if (!info) return false;
  if (Date.now() - info.mtimeMs > staleLockMs) return true;
  const pid = Number(content?.split(' ')[0]);
  return Number.isInteger(pid) && pid > 0 && !isProcessAlive(pid);
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

function ignoreMissing(error: unknown): void {
  if (!isMissing(error)) throw error;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
