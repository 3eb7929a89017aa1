import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerProcess } from './cluster.ts';

/**
 * Prints where each server's CPU profile went. Node names them
 * CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: the pid tells which server wrote which.
 */
export async function printProfiles(directory: string, servers: ServerProcess[]): Promise<void> {
  const files = await readdir(directory).catch(() => [] as string[]);
  console.log(
    '\nCPU profiles (summary: npx tsx bench/profile-top.ts <file>; see bench/README.md):',
  );
  for (const server of servers) {
    const own = files.filter(
      (file) => file.endsWith('.cpuprofile') && file.split('.')[3] === String(server.pid),
    );
    if (own.length === 0) console.log(`  ${server.name}: none written (did it exit cleanly?)`);
    for (const file of own) console.log(`  ${server.name}: ${join(directory, file)}`);
  }
}
