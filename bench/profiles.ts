import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerProcess } from './cluster.ts';

/** A measured phase, in microseconds of the monotonic clock V8 stamps profile samples with. */
export interface MeasuredWindow {
  name: string;
  startUs: number;
  endUs: number;
}

/** The file beside the profiles that names the measured phases (profile-top --window). */
export const windowsFile = 'windows.json';

const windows: MeasuredWindow[] = [];
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Runs `measure` and remembers when it ran. process.hrtime and V8's profiler both read
 * CLOCK_MONOTONIC on Linux, so the window selects the servers' samples of that phase only,
 * leaving out start-up, seeding and warm-up.
 */
export async function measuredWindow<T>(name: string, measure: () => Promise<T>): Promise<T> {
  const startUs = monotonicUs();
  try {
    return await measure();
  } finally {
    windows.push({ name, startUs, endUs: monotonicUs() });
  }
}

/**
 * Prints where each server's CPU profile went. Node names them
 * CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: the pid tells which server wrote which.
 */
export async function printProfiles(directory: string, servers: ServerProcess[]): Promise<void> {
  const files = await readdir(directory).catch(() => [] as string[]);
  await writeFile(join(directory, windowsFile), `${JSON.stringify(windows, null, 2)}\n`);
  const names = windows.map((window) => window.name).join('|') || 'name';
  console.log(
    `\nCPU profiles (summary: npx tsx bench/profile-top.ts <file> [--window ${names}]; see bench/README.md):`,
  );
  for (const server of servers) {
    const own = files.filter(
      (file) => file.endsWith('.cpuprofile') && file.split('.')[3] === String(server.pid),
    );
    if (own.length === 0) console.log(`  ${server.name}: none written (did it exit cleanly?)`);
    for (const file of own) console.log(`  ${server.name}: ${join(directory, file)}`);
  }
}
