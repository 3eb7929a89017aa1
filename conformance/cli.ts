/**
 * `npm run conformance -- --url <graphql url> --model <model.graphql> --secret <HS256 secret>`:
 * runs the conformance suite against a running server, prints one line per check and a
 * summary. Exit 0 when every check passed, 1 when one failed, 2 for a usage error or an
 * invalid model.
 */

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkModelFile } from '../model/load.ts';
import { countProblems, formatProblems } from '../model/problems.ts';
import { type CheckResult, runConformance } from './run.ts';

const usage = `Usage: npm run conformance -- --url http://host:4000/graphql --model path/to/model.graphql --secret <HS256 secret>
  --url       the server's GraphQL endpoint (http or https)
  --model     the model.graphql the server was generated from
  --secret    the server's AUTH_SECRET (or its development secret, DATA_DIR/dev-secret)
  --issuer    the iss tokens must carry, when the server sets AUTH_ISSUER
  --audience  the aud tokens must carry, when the server sets AUTH_AUDIENCE
  --timeout   deadline of one request in milliseconds (default 15000)`;

class UsageError extends Error {}

interface CliOptions {
  url: string;
  modelPath: string;
  secret: string;
  issuer: string | undefined;
  audience: string | undefined;
  requestTimeoutMs: number | undefined;
}

function parseOptions(args: string[]): CliOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        url: { type: 'string' },
        model: { type: 'string' },
        secret: { type: 'string' },
        issuer: { type: 'string' },
        audience: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) throw new UsageError('');
  const required = (name: string): string => {
    const value = values[name];
    if (typeof value !== 'string' || value.trim() === '')
      throw new UsageError(`--${name} is required`);
    return value;
  };
  const url = required('url');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url ${url} is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`--url must be http or https, not ${parsed.protocol}`);
  }
  const modelPath = resolve(required('model'));
  if (!existsSync(modelPath)) throw new UsageError(`--model ${values.model}: no such file`);
  const secret = required('secret');
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0)) {
    throw new UsageError(
      `--timeout must be a positive number of milliseconds, not ${values.timeout}`,
    );
  }
  return {
    url,
    modelPath,
    secret,
    issuer: values.issuer as string | undefined,
    audience: values.audience as string | undefined,
    requestTimeoutMs: timeout,
  };
}

const line = (check: CheckResult): string =>
  `${check.ok ? 'ok  ' : 'FAIL'} ${check.name}${check.detail ? ` - ${check.detail}` : ''}`;

async function main(args: string[]): Promise<number> {
  let options: CliOptions;
  try {
    options = parseOptions(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    if (error.message) console.error(`conformance: ${error.message}`);
    console.error(usage);
    return 2;
  }
  const check = checkModelFile(options.modelPath);
  if (!check.ok) {
    console.error(formatProblems(check.problems));
    console.error(`conformance: the model has ${countProblems(check.problems)}; fix it first.`);
    return 2;
  }
  const report = await runConformance({
    url: options.url,
    secret: options.secret,
    model: check.model,
    issuer: options.issuer,
    audience: options.audience,
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    log: (result) => console.log(line(result)),
  });
  console.log(
    `conformance: ${report.passed} passed, ${report.failed} failed, ${report.checks.length} checks against ${options.url}`,
  );
  return report.failed === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
