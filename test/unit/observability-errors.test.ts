import { GraphQLError } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { forbidden, unauthenticated } from '../../server/errors.ts';
import { reportMaskedErrors, useErrorReports } from '../../server/observability/error-reports.ts';
import { yogaHealthCheckEndpoint } from '../../server/observability/health.ts';
import { createLogger, createYogaLogger, type Logger } from '../../server/observability/logger.ts';
import { createErrorMasker } from '../../server/observability/mask-errors.ts';
import { useRequestId } from '../../server/observability/request-id.ts';
import { withServiceUnavailable } from '../../server/security/unavailable.ts';

type LogLine = Record<string, unknown> & { level: number; msg?: string };

/** A logger whose JSON lines are kept in memory. */
function capturingLogger(level = 'debug'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger({
    level,
    destination: { write: (line: string) => lines.push(JSON.parse(line) as LogLine) },
  });
  return { logger, lines };
}

const errorLevel = 50;
const internalText = 'relation "Task" does not exist: SELECT * FROM "Task" WHERE secret';

describe('createErrorMasker', () => {
  it('passes a ConvergeError through unchanged and logs nothing', () => {
    const { logger, lines } = capturingLogger();
    const mask = createErrorMasker(logger);
    const error = forbidden();
    expect(mask(error, 'Unexpected error.')).toBe(error);
    expect(lines).toEqual([]);
  });

  it('passes a ConvergeError wrapped by graphql-js (located at a field) with its code', () => {
    const { logger } = capturingLogger();
    const mask = createErrorMasker(logger);
    const original = unauthenticated();
    const located = new GraphQLError(original.message, { path: ['me'], originalError: original });
    const masked = mask(located, 'Unexpected error.') as GraphQLError;
    expect(masked).toBe(located);
    expect(masked.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('gives a GraphQLError without a code (a client mistake) BAD_USER_INPUT', () => {
    const { logger, lines } = capturingLogger();
    const mask = createErrorMasker(logger);
    const syntax = new GraphQLError('Syntax Error: Expected Name, found <EOF>.', {
      extensions: { http: { status: 400 } },
    });
    const masked = mask(syntax, 'Unexpected error.') as GraphQLError;
    expect(masked.message).toBe(syntax.message);
    expect(masked.extensions).toEqual({ http: { status: 400 }, code: 'BAD_USER_INPUT' });
    expect(lines).toEqual([]);
  });

  it('passes a GraphQLError that already has a code of its own (Yoga, a library)', () => {
    const { logger } = capturingLogger();
    const parse = new GraphQLError('Syntax Error', {
      extensions: { code: 'GRAPHQL_PARSE_FAILED' },
    });
    expect(createErrorMasker(logger)(parse, 'Unexpected error.')).toBe(parse);
  });

  it.each([
    ['a plain Error', new Error(internalText)],
    [
      'a GraphQLError wrapping a plain Error',
      new GraphQLError(internalText, {
        path: ['tasks', 0, 'title'],
        originalError: new Error(internalText),
      }),
    ],
    [
      'a GraphQLError wrapping a GraphQLError wrapping a plain Error',
      new GraphQLError(internalText, {
        originalError: new GraphQLError(internalText, {
          originalError: new TypeError(internalText),
        }),
      }),
    ],
    ['a thrown string', internalText],
  ])('masks %s, logging it once with the request id when it is sent', (_case, error) => {
    const { logger, lines } = capturingLogger();
    const mask = createErrorMasker(logger);
    const masked = mask(error, 'Unexpected error.');
    // Not logged by the masker, which does not know the request.
    expect(lines).toEqual([]);
    reportMaskedErrors([masked], 'req-123');
    reportMaskedErrors([masked], 'req-123');

    expect(masked).toBeInstanceOf(GraphQLError);
    const json = JSON.stringify((masked as GraphQLError).toJSON());
    expect(json).not.toMatch(/SELECT|Task|secret|stack|at /);
    expect((masked as GraphQLError).message).toBe('Unexpected error.');
    expect((masked as GraphQLError).extensions).toMatchObject({
      code: 'INTERNAL_SERVER_ERROR',
      requestId: 'req-123',
    });
    expect(masked.stack ?? '').not.toMatch(/SELECT/);

    const errors = lines.filter((line) => line.level === errorLevel);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.requestId).toBe('req-123');
    expect(JSON.stringify(errors[0])).toMatch(/SELECT \* FROM/);
  });

  it('keeps the result path of a masked field error so the client knows which field failed', () => {
    const { logger } = capturingLogger();
    const original = new GraphQLError('x', {
      path: ['tasks', 0, 'title'],
      originalError: new Error('boom'),
    });
    const masked = createErrorMasker(logger)(original, 'Unexpected error.') as GraphQLError;
    expect(masked.path).toEqual(['tasks', 0, 'title']);
  });

  it('ignores isDev: internals never reach clients', () => {
    const { logger } = capturingLogger();
    const masked = createErrorMasker(logger)(new Error(internalText), 'Unexpected error.', true);
    expect(JSON.stringify((masked as GraphQLError).toJSON())).not.toMatch(/SELECT/);
  });
});

describe('withServiceUnavailable', () => {
  it('answers a database outage with 503 and Retry-After, logged at warn with the request id when sent', () => {
    const { logger, lines } = capturingLogger();
    const mask = withServiceUnavailable(createErrorMasker(logger), { logger });
    const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    });
    const masked = mask(outage, 'Unexpected error.') as GraphQLError;
    expect(masked.extensions).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      http: { status: 503, headers: { 'Retry-After': '1' } },
      retryAfterMs: 1000,
    });
    expect(lines).toEqual([]);
    reportMaskedErrors([masked], 'req-503');
    expect(masked.extensions.requestId).toBe('req-503');
    expect(lines.map((line) => [line.level, line.msg, line.requestId])).toEqual([
      [40, 'database unavailable', 'req-503'],
    ]);
  });
});

describe('masking inside Yoga', () => {
  function createTestYoga() {
    const { logger, lines } = capturingLogger();
    const yoga = createYoga({
      schema: createSchema({
        typeDefs: `type Query { ok: String, internal: String, denied: String }
          type Subscription { ticks: Int }`,
        resolvers: {
          Subscription: {
            ticks: {
              // One event, then a crash inside the stream.
              subscribe: async function* () {
                yield { ticks: 1 };
                throw new Error(internalText);
              },
            },
          },
          Query: {
            ok: () => 'fine',
            internal: () => {
              throw new Error(internalText);
            },
            denied: () => {
              throw forbidden('Not a member of this workspace');
            },
          },
        },
      }),
      healthCheckEndpoint: yogaHealthCheckEndpoint,
      logging: createYogaLogger(logger),
      maskedErrors: { maskError: createErrorMasker(logger) },
      plugins: [useRequestId(), useErrorReports()],
    });
    return { yoga, lines };
  }

  async function post(yoga: ReturnType<typeof createTestYoga>['yoga'], query: string) {
    const response = await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        'x-request-id': 'trace-7',
      },
      body: JSON.stringify({ query }),
    });
    return { response, text: await response.text() };
  }

  it('masks a resolver crash, with the request id, logged exactly once', async () => {
    const { yoga, lines } = createTestYoga();
    const { text } = await post(yoga, '{ ok internal }');
    const body = JSON.parse(text);
    expect(body.data).toEqual({ ok: 'fine', internal: null });
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]).toMatchObject({
      message: 'Unexpected error.',
      locations: [{ line: 1, column: 6 }],
      path: ['internal'],
      extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'trace-7' },
    });
    expect(text).not.toMatch(/SELECT|does not exist/);
    const errors = lines.filter((line) => line.level === errorLevel);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ requestId: 'trace-7', path: 'internal' });
  });

  it('masks a crash inside a Server-Sent Events stream, with the request id, logged once', async () => {
    const { yoga, lines } = createTestYoga();
    const response = await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        'x-request-id': 'stream-8',
      },
      body: JSON.stringify({ query: 'subscription { ticks }' }),
    });
    const text = await response.text();
    const events = text
      .split('\n')
      .filter((line) => line.startsWith('data: ') && line.length > 'data: '.length)
      .map((line) => JSON.parse(line.slice('data: '.length)));
    expect(events[0]).toEqual({ data: { ticks: 1 } });
    expect(events[1].errors[0]).toMatchObject({
      message: 'Unexpected error.',
      extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'stream-8' },
    });
    expect(text).not.toMatch(/SELECT|does not exist/);
    const errors = lines.filter((line) => line.level === errorLevel);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ requestId: 'stream-8' });
  });

  it('lets ConvergeErrors and syntax errors through with their codes, logging nothing at error level', async () => {
    const { yoga, lines } = createTestYoga();
    const denied = JSON.parse((await post(yoga, '{ denied }')).text);
    expect(denied.errors[0]).toMatchObject({
      message: 'Not a member of this workspace',
      extensions: { code: 'FORBIDDEN' },
    });
    const { response, text } = await post(yoga, '{ ok');
    expect(response.status).toBe(400);
    expect(JSON.parse(text).errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(lines.filter((line) => line.level >= errorLevel)).toEqual([]);
  });

  it('keeps the 401 status of UNAUTHENTICATED errors', async () => {
    const { logger } = capturingLogger();
    const yoga = createYoga({
      schema: createSchema({ typeDefs: 'type Query { me: String }' }),
      healthCheckEndpoint: yogaHealthCheckEndpoint,
      logging: false,
      maskedErrors: { maskError: createErrorMasker(logger) },
      context: () => {
        throw unauthenticated();
      },
    });
    const response = await yoga.fetch('http://localhost/graphql?query={me}');
    expect(response.status).toBe(401);
    const body = await response.json();
    expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });
});

describe('createLogger', () => {
  it('redacts bearer tokens wherever they are commonly logged', () => {
    const { logger, lines } = capturingLogger('info');
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
    logger.info({ req: { headers: { authorization: `Bearer ${jwt}` } } }, 'request');
    logger.info({ authorization: `Bearer ${jwt}` }, 'top level');
    logger.info({ token: jwt }, 'token');
    logger.info({ payload: { token: jwt } }, 'nested token');
    logger.info({ connectionParams: { authorization: `Bearer ${jwt}` } }, 'websocket');
    expect(lines).toHaveLength(5);
    expect(JSON.stringify(lines)).not.toContain(jwt);
    expect(lines[0]).toMatchObject({ req: { headers: { authorization: '[redacted]' } } });
  });

  it('respects the level', () => {
    const { logger, lines } = capturingLogger('warn');
    logger.info('quiet');
    logger.warn('loud');
    expect(lines.map((line) => line.msg)).toEqual(['loud']);
  });

  it('adapts to Yoga, skipping errors already handled by the masker', () => {
    const { logger, lines } = capturingLogger('debug');
    const yogaLogger = createYogaLogger(logger);
    const handled = new Error('handled');
    createErrorMasker(logger)(handled, 'Unexpected error.');
    const before = lines.length;
    yogaLogger.error(handled);
    expect(lines).toHaveLength(before);
    yogaLogger.error(new Error('other'));
    yogaLogger.debug('Processing GraphQL Parameters');
    expect(lines.slice(before).map((line) => [line.level, line.msg])).toEqual([
      [errorLevel, 'other'],
      [20, 'Processing GraphQL Parameters'],
    ]);
  });
});
