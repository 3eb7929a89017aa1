import { buildApp } from './app.ts';
import { tokenClaimsOf } from './auth/dev-secret.ts';
import { signToken, type TokenClaims } from './auth/jwt.ts';
import { ConfigError, parseConfig } from './config.ts';
import { createLogger } from './observability/logger.ts';

/** Reads the environment, starts Converge, and stops cleanly on SIGTERM / SIGINT. */
async function main(): Promise<void> {
  const config = parseConfig();
  const logger = createLogger({ level: config.logLevel });
  const app = await buildApp(config, { logger });
  const { url } = await app.start();
  logger.info({ url: `${url}/graphql`, database: app.database.kind }, 'Converge is ready');
  if (app.auth.source === 'development' && app.auth.secret)
    await printDevelopmentAccess(app.auth.secret, tokenClaimsOf(config), url);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await app.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

// A newcomer should be able to paste something into GraphiQL straight away.
async function printDevelopmentAccess(
  secret: string,
  claims: TokenClaims,
  url: string,
): Promise<void> {
  const token = await signToken(secret, 'dev-user', claims);
  process.stdout.write(
    [
      '',
      'Development mode: no AUTH_SECRET or AUTH_JWKS_URL set, tokens are signed with a secret kept in DATA_DIR.',
      `GraphiQL: ${url}/graphql`,
      'Header for user "dev-user" (more: npm run token -- <userId>):',
      `  { "Authorization": "Bearer ${token}" }`,
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error('Converge failed to start:', error);
  process.exit(1);
});
