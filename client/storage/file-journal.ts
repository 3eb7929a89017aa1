import type * as NodeFs from 'node:fs';
import type { SyncJournal } from './types.ts';

/** The synchronous file functions the journal uses: node:fs, passed in (see earlyJournal). */
export type SyncFileSystem = Pick<
  typeof NodeFs,
  'mkdirSync' | 'readdirSync' | 'readFileSync' | 'renameSync' | 'unlinkSync' | 'writeFileSync'
>;

/** Where a file storage in `directory` keeps its journal. */
export function journalDirectory(directory: string): string {
  return `${directory.replace(/[\\/]+$/, '')}/journal`;
}

let temporaryCount = 0;

/**
 * The journal (SyncJournal) of file storage: one file per entry, written synchronously, so an
 * edit is in the file system before record() returns and survives the process being killed
 * the next moment. No fsync here: edits come in bursts on the event loop, and the outbox
 * record, fsynced, follows a few milliseconds later for durability across a power cut.
 * Temporary file and rename, so a kill during `put` leaves no half entry. Other processes'
 * entries are listed too; moving them into the shared outbox twice is harmless (appends skip
 * known mutation ids).
 *
 * node:fs comes as a parameter so that this module can be imported where there is no node:fs
 * (a browser bundle): it is needed before the storage is open, when nothing may wait.
 */
export function fileJournal(directory: string, fs: SyncFileSystem): SyncJournal {
  let created = false;
  const file = (key: string) => `${directory}/${encodeURIComponent(key)}.json`;
  return {
    put(key, value) {
      if (!created) fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
      created = true;
      const target = file(key);
      const temporary = `${target}.${process.pid}.${temporaryCount++}.${Math.random().toString(36).slice(2)}.tmp`;
      fs.writeFileSync(temporary, value, { encoding: 'utf8', mode: 0o600 });
      fs.renameSync(temporary, target);
    },
    remove(keys) {
      for (const key of keys) {
        try {
          fs.unlinkSync(file(key));
        } catch (error) {
          ignoreMissing(error);
        }
      }
    },
    list(prefix) {
      const found: [string, string][] = [];
      for (const name of readdirIfAny(fs, directory)) {
        if (!name.endsWith('.json')) continue;
        const key = decodeURIComponent(name.slice(0, -'.json'.length));
        if (!key.startsWith(prefix)) continue;
        try {
          found.push([key, fs.readFileSync(`${directory}/${name}`, 'utf8')]);
        } catch (error) {
          // Removed by another process between the listing and the read: nothing to recover.
          ignoreMissing(error);
        }
      }
      return found;
    },
  };
}

function readdirIfAny(fs: SyncFileSystem, directory: string): string[] {
  try {
    return fs.readdirSync(directory);
  } catch (error) {
    ignoreMissing(error);
    return [];
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as { code?: unknown } | null)?.code !== 'ENOENT') throw error;
}
