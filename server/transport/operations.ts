import { randomUUID } from 'node:crypto';
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
  GraphQLError,
  type GraphQLFormattedError,
  getOperationAST,
  type OperationTypeNode,
} from 'graphql';
import type { OperationResult, SubscribePayload } from 'graphql-ws';
import { isAsyncIterable, type YogaServerInstance } from 'graphql-yoga';
import type { AuthUser } from '../auth/jwt.ts';
import { ErrorCode } from '../errors.ts';
import { reportMaskedErrors } from '../observability/error-reports.ts';
import type { Logger } from '../observability/logger.ts';
import type { Context } from '../schema/context.ts';

type Yoga = YogaServerInstance<Record<string, never>, Context>;
type Enveloped = ReturnType<Yoga['getEnveloped']>;

/** What the transport knows about one operation before Yoga builds its context. */
export interface OperationRequest {
  /** graphql-ws's connection context, spread into Yoga's initial context as in Yoga's recipe. */
  connectionContext: object;
  /** The HTTP upgrade request and the socket, under the names Yoga's recipe uses. */
  req: unknown;
  socket: unknown;
  payload: SubscribePayload;
  user: AuthUser;
}

/**
 * Called with the operation type once the document is valid and before any context is built;
 * an error refuses the operation (the subscription limit).
 */
export type Admission = (operation: OperationTypeNode) => GraphQLError | null;

export interface OperationRunner {
  /** ExecutionArgs for graphql-ws, or the errors that refuse the operation. */
  prepare(request: OperationRequest, admit: Admission): Promise<ExecutionArgs | GraphQLError[]>;
  execute(args: ExecutionArgs): OperationResult;
  subscribe(args: ExecutionArgs): OperationResult;
}

interface PreparedOperation {
  enveloped: Enveloped;
  requestId: string;
}

/**
 * Runs operations through Yoga's envelop (`yoga.getEnveloped`), so a socket gets the schema,
 * context factory, parser and validation caches, error masking and metrics of HTTP. Each
 * operation gets its own request id, which its masked errors get as they are sent.
 */
export function createOperationRunner(yoga: Yoga, logger: Logger): OperationRunner {
  // Keyed by the context value: graphql-ws hands the args we prepared to execute/subscribe,
  // and the context is the one object unique to the operation in them.
  const prepared = new WeakMap<object, PreparedOperation>();

  function run(args: ExecutionArgs, kind: 'execute' | 'subscribe'): OperationResult {
    const operation = prepared.get(args.contextValue as object);
    if (!operation) throw new Error('WebSocket operation was not prepared by onSubscribe');
    const { enveloped, requestId } = operation;
    return (async () => {
      let result: Awaited<ReturnType<Enveloped['execute']>>;
      try {
        result = await enveloped[kind](args);
      } catch (error) {
        // A subscribe that fails outright (its masked error) is sent as graphql-ws's `error`.
        reportMaskedErrors(Array.isArray(error) ? error : [error], requestId);
        throw error;
      }
      if (isAsyncIterable(result)) {
        return endingAtOnce(result as AsyncIterable<ExecutionResult>, requestId, logger);
      }
      reportMaskedErrors(result.errors, requestId);
      return result;
    })() as OperationResult;
  }

  return {
    async prepare(request, admit) {
      const requestId = randomUUID();
      const enveloped = yoga.getEnveloped({
        ...request.connectionContext,
        req: request.req,
        socket: request.socket,
        params: request.payload,
        connectionUser: request.user,
        requestId,
      });
      const parsed = parseAndValidate(enveloped, request.payload);
      if (!('document' in parsed)) return parsed.errors;
      const refusal = admit(parsed.operation);
      if (refusal) return [refusal];
      let contextValue: object;
      try {
        contextValue = await enveloped.contextFactory();
      } catch (error) {
        // Envelop has already passed a failing context factory's error through the masker.
        if (error instanceof GraphQLError) {
          reportMaskedErrors([error], requestId);
          return [error];
        }
        throw error;
      }
      prepared.set(contextValue, { enveloped, requestId });
      return {
        schema: enveloped.schema,
        document: parsed.document,
        operationName: request.payload.operationName,
        variableValues: request.payload.variables,
        contextValue,
      };
    },
    execute: (args) => run(args, 'execute'),
    subscribe: (args) => run(args, 'subscribe'),
  };
}

type Parsed = { document: DocumentNode; operation: OperationTypeNode } | { errors: GraphQLError[] };

function parseAndValidate(enveloped: Enveloped, payload: SubscribePayload): Parsed {
  let document: DocumentNode;
  try {
    document = enveloped.parse(payload.query);
  } catch (error) {
    if (error instanceof GraphQLError) {
      return { errors: [requestError(error, 'GRAPHQL_PARSE_FAILED')] };
    }
    throw error;
  }
  const validationErrors = enveloped.validate(enveloped.schema, document);
  if (validationErrors.length > 0) {
    return {
      errors: validationErrors.map((error: GraphQLError) =>
        requestError(error, 'GRAPHQL_VALIDATION_FAILED'),
      ),
    };
  }
  const operation = getOperationAST(document, payload.operationName);
  if (!operation) {
    const message = payload.operationName
      ? `Unknown operation named "${payload.operationName}"`
      : 'Could not determine which operation to run: name one with operationName';
    return {
      errors: [new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT } })],
    };
  }
  return { document, operation: operation.operation };
}

const ourCodes = new Set<unknown>(Object.values(ErrorCode));

/**
 * Labels a parse or validation error as HTTP does (see observability/request-errors.ts):
 * one of our codes (QUERY_TOO_COMPLEX from a validation rule) stays, anything else becomes
 * BAD_USER_INPUT with graphql's label as `reason`.
 */
function requestError(error: GraphQLError, reason: string): GraphQLError {
  if (ourCodes.has(error.extensions?.code)) return error;
  return new GraphQLError(error.message, {
    ...(error.nodes ? { nodes: error.nodes } : {}),
    ...(error.source ? { source: error.source } : {}),
    ...(error.positions ? { positions: error.positions } : {}),
    extensions: { code: ErrorCode.BAD_USER_INPUT, reason },
  });
}

/**
 * Wraps a result stream so that:
 * - the masked errors of each result are reported with the operation's request id
 *   (error-reports.ts);
 * - return() ends the stream at once. An async generator suspended in an `await` handles
 *   return() only at its next `yield`, which for a quiet workspace may never come; waiting for
 *   it would keep completed subscriptions, and closing connections, hanging.
 */
function endingAtOnce<T extends ExecutionResult>(
  source: AsyncIterable<T>,
  requestId: string,
  logger: Logger,
): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const done: IteratorReturnResult<undefined> = { done: true, value: undefined };
  // Resolves the next() calls still waiting for the source; a per-call resolver rather than a
  // race with one long-lived promise, which would collect a reaction per event.
  const waiting = new Set<() => void>();
  let finished = false;

  const next = (): Promise<IteratorResult<T>> => {
    if (finished) return Promise.resolve(done);
    return new Promise((resolve, reject) => {
      const end = () => resolve(done);
      waiting.add(end);
      iterator
        .next()
        .then(
          (step) => {
            if (!step.done) reportMaskedErrors(step.value.errors, requestId);
            resolve(step);
          },
          // A stream that throws ends with its (masked) error: graphql-ws sends it as `error`.
          (error: unknown) => {
            reportMaskedErrors(Array.isArray(error) ? error : [error], requestId);
            reject(error);
          },
        )
        .finally(() => waiting.delete(end));
    });
  };
  const bound: AsyncIterableIterator<T> = {
    next,
    return: async () => {
      if (finished) return done;
      finished = true;
      for (const end of waiting) end();
      iterator
        .return?.()
        ?.catch((err: unknown) =>
          logger.debug({ err, requestId }, 'Ending a subscription stream failed'),
        );
      return done;
    },
    [Symbol.asyncIterator]: () => bound,
  };
  return bound;
}

/** Drops Yoga's HTTP-only extensions (`http` status, `unexpected` flag), as its HTTP layer does. */
export function formatError(error: GraphQLError): GraphQLFormattedError {
  // A result may carry errors that are already formatted (plain objects).
  const json: GraphQLFormattedError =
    typeof error.toJSON === 'function' ? error.toJSON() : (error as GraphQLFormattedError);
  const { http: _http, unexpected: _unexpected, ...extensions } = json.extensions ?? {};
  const { extensions: _extensions, ...formatted } = json;
  return Object.keys(extensions).length > 0 ? { ...formatted, extensions } : formatted;
}

/** A result with its errors formatted, or undefined to let graphql-ws send it as it is. */
export function formatResult(result: {
  errors?: readonly GraphQLError[] | undefined;
}): FormattedExecutionResult | undefined {
  if (!result.errors || result.errors.length === 0) return undefined;
  const { errors, ...rest } = result;
  return { ...(rest as Omit<FormattedExecutionResult, 'errors'>), errors: errors.map(formatError) };
}
