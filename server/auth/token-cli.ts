import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, parseConfig } from '../config.ts';
import { readOrCreateDevSecret, tokenClaimsOf } from './dev-secret.ts';
import { isValidUserId, signToken } from './jwt.ts';

/**
 * `npm run token -- <userId> [--expires 7d]`: prints a token for userId, alone on stdout so
 * that `TOKEN=$(npm run -s token -- alice)` works. Signs with AUTH_SECRET, or with the
 * development secret under DATA_DIR (created if needed, exactly as the server would), and
 * carries AUTH_ISSUER / AUTH_AUDIENCE when they are set, so the server accepts it.
 */

export interface CliResult {
  exitCode: number;
  stdout?: string;
  stderr?: string;
}

const usage = 'Usage: npm run token -- <userId> [--expires <duration, e.g. 7d, 12h; default 30d>]';

export async function runTokenCli(
  args: string[],
  environment: Record<string, string | undefined> = process.env,
): Promise<CliResult> {
  const parsed = parseCliArgs(args);
  if ('help' in parsed) return { exitCode: 0, stdout: usage };
  if ('error' in parsed) return { exitCode: 2, stderr: `${parsed.error}\n${usage}` };

  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) return { exitCode: 1, stderr: error.message };
    throw error;
  }
  if (config.authJwksUrl) {
    return {
      exitCode: 1,
      stderr:
        'AUTH_JWKS_URL is set: tokens come from your identity provider, this server cannot sign them.',
    };
  }

  const secret = config.authSecret ?? (await readOrCreateDevSecret(config.dataDir));
  try {
    const options = {
      ...tokenClaimsOf(config),
      ...(parsed.expiresIn === undefined ? {} : { expiresIn: parsed.expiresIn }),
    };
    return { exitCode: 0, stdout: await signToken(secret, parsed.userId, options) };
  } catch (error) {
    // jose rejects an unreadable duration with a TypeError naming the problem.
    if (error instanceof TypeError) return { exitCode: 2, stderr: `${error.message}\n${usage}` };
    throw error;
  }
}

type ParsedArgs =
  | { userId: string; expiresIn: string | undefined }
  | { error: string }
  | { help: true };

function parseCliArgs(args: string[]): ParsedArgs {
  let values: { expires?: string | undefined; help?: boolean | undefined };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { expires: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
  if (values.help) return { help: true };
  const [userId, ...extra] = positionals;
  if (userId === undefined) return { error: 'Missing <userId>.' };
  if (extra.length > 0) return { error: `Unexpected arguments: ${extra.join(' ')}` };
  if (!isValidUserId(userId)) {
    return { error: 'Invalid <userId>: 1 to 128 characters, no control characters.' };
  }
  return { userId, expiresIn: values.expires };
}

function isMainModule(): boolean {
  const script = process.argv[1];
  return script !== undefined && import.meta.url === pathToFileURL(resolve(script)).href;
}

if (isMainModule()) {
  const result = await runTokenCli(process.argv.slice(2));
  if (result.stdout) process.stdout.write(`${result.stdout}\n`);
  if (result.stderr) process.stderr.write(`${result.stderr}\n`);
  process.exitCode = result.exitCode;
}
