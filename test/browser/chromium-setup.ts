import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const script = fileURLToPath(new URL('../../scripts/ensure-chromium.sh', import.meta.url));

/** Exit status of scripts/ensure-chromium.sh when Chromium is missing and cannot be installed. */
const cannotInstall = 2;

declare module 'vitest' {
  export interface ProvidedContext {
    /** Why the browser suites are skipped (Chromium cannot be had here), or null: they run. */
    chromiumSkipReason: string | null;
  }
}

/**
 * Makes sure Chromium is there for test/browser: installs it where this machine can, or says
 * in one line why it cannot. Under CI the browser suites must run: no Chromium is a failure.
 */
export function ensureChromium(env: NodeJS.ProcessEnv = process.env): {
  skipReason: string | null;
} {
  const result = spawnSync('bash', [script], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  const message = (result.stderr ?? '').trim();
  if (result.status === 0) {
    if (message) console.log(message); // what the install did
    return { skipReason: null };
  }
  if (result.status === cannotInstall && !env.CI) {
    return { skipReason: message.split('\n').at(-1) ?? 'no Chromium' };
  }
  throw new Error(`scripts/ensure-chromium.sh failed (exit ${result.status}):\n${message}`);
}

export default function setup(project: TestProject): void {
  const { skipReason } = ensureChromium();
  if (skipReason) console.warn(skipReason);
  project.provide('chromiumSkipReason', skipReason);
}
