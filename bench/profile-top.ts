/**
 * `npx tsx bench/profile-top.ts <file.cpuprofile> [--top 25]`: where a server's CPU went.
 * Lists the functions with the most self time (time with the function itself on top of the
 * stack) and the same time summed by package or source folder, so a profile written by
 * `npm run bench -- --profile` can be read without opening DevTools.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type MeasuredWindow, windowsFile } from './profiles.ts';

/** The parts of V8's .cpuprofile format (Chrome DevTools protocol Profiler.Profile) read here. */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

/** Microseconds of the monotonic clock, as profile timestamps are (bench/profiles.ts). */
export interface TimeWindow {
  startUs: number;
  endUs: number;
}

export interface SelfTime {
  name: string;
  /** Where the function is: package or repository path, and line. */
  location: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  functions: SelfTime[];
  areas: { area: string; selfMs: number; share: number }[];
}

/** Self time per function (same name and place merged) and per area, largest first. */
export function summarise(
  profile: CpuProfile,
  window: TimeWindow | null = null,
  root = process.cwd(),
): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // Sample i is taken at startTime + deltas[0..i]; the time until the next sample is its own.
  let at = profile.startTime;
  for (let index = 0; index < samples.length; index++) {
    at += deltas[index] ?? 0;
    if (window && (at < window.startUs || at > window.endUs)) continue;
    const id = samples[index] as number;
    const spent = deltas[index + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, spent));
  }
  // Idle is the event loop waiting (for the database, for requests): not CPU spent.
  const idleIds = new Set(
    profile.nodes.filter((node) => node.callFrame.functionName === '(idle)').map((node) => node.id),
  );
  for (const id of idleIds) selfUs.delete(id);
  const totalUs = [...selfUs.values()].reduce((sum, us) => sum + us, 0) || 1;
  const functions = new Map<string, { name: string; location: string; us: number }>();
  const areas = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const name = frame.functionName || '(anonymous)';
    const path = displayPath(frame.url, root);
    const location = path ? `${path}:${frame.lineNumber + 1}` : '';
    const key = `${name}\u0000${location}`;
    const entry = functions.get(key) ?? { name, location, us: 0 };
    entry.us += us;
    functions.set(key, entry);
    const area = areaOf(frame.url, name, root);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const ms = (us: number) => Math.round(us / 10) / 100;
  const share = (us: number) => Math.round((us / totalUs) * 1000) / 10;
  return {
    totalMs: ms(totalUs),
    functions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .map((entry) => ({
        name: entry.name,
        location: entry.location,
        selfMs: ms(entry.us),
        share: share(entry.us),
      })),
    areas: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, selfMs: ms(us), share: share(us) })),
  };
}

function displayPath(url: string, root: string): string {
  if (!url) return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const inModules = path.lastIndexOf('/node_modules/');
  if (inModules >= 0) return path.slice(inModules + '/node_modules/'.length);
  return path.startsWith('/') ? relative(root, path) : path;
}

/**
 * A package (graphql, @prisma/client, pino), a folder of ours (server/sync), Node's own code
 * (node:internal) or V8's pseudo-frames: (garbage collector), (program), (idle).
 */
function areaOf(url: string, name: string, root: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const path = displayPath(url, root);
  if (url.includes('/node_modules/')) {
    const [scope, pkg] = path.split('/');
    return scope?.startsWith('@') ? `${scope}/${pkg}` : (scope ?? path);
  }
  const parts = path.split('/');
  return parts.length > 2 ? parts.slice(0, 2).join('/') : path;
}

function format(summary: ProfileSummary, file: string, top: number): string {
  const lines = [
    `${file}: ${summary.totalMs} ms sampled`,
    '',
    'self ms   share  function  (place)',
  ];
  for (const entry of summary.functions.slice(0, top)) {
    lines.push(
      `${entry.selfMs.toFixed(1).padStart(8)}  ${`${entry.share.toFixed(1)}%`.padStart(6)}  ${entry.name}  ${entry.location ? `(${entry.location})` : ''}`.trimEnd(),
    );
  }
  lines.push('', 'self ms   share  area (package or folder)');
  for (const entry of summary.areas.slice(0, top)) {
    lines.push(
      `${entry.selfMs.toFixed(1).padStart(8)}  ${`${entry.share.toFixed(1)}%`.padStart(6)}  ${entry.area}`,
    );
  }
  return lines.join('\n');
}

/** A phase the bench recorded in windows.json beside the profile. */
async function namedWindow(profileFile: string, name: string): Promise<TimeWindow> {
  const path = join(dirname(profileFile), windowsFile);
  const windows = JSON.parse(await readFile(path, 'utf8')) as MeasuredWindow[];
  const found = windows.find((window) => window.name === name);
  if (!found) {
    const known = windows.map((window) => window.name).join(', ') || 'none';
    throw new Error(`No window "${name}" in ${path} (recorded: ${known})`);
  }
  return found;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: { top: { type: 'string', default: '25' }, window: { type: 'string' } },
    allowPositionals: true,
  });
  const top = Number(values.top);
  if (positionals.length === 0 || !Number.isInteger(top) || top < 1) {
    console.error(
      'usage: npx tsx bench/profile-top.ts <file.cpuprofile>... [--top 25] [--window single]',
    );
    process.exitCode = 2;
    return;
  }
  for (const file of positionals) {
    const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
    const window = values.window ? await namedWindow(file, values.window) : null;
    const label = window ? `${file} (window ${values.window})` : file;
    console.log(`${format(summarise(profile, window), label, top)}\n`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
