/**
 * Fan-out multiplexing: a subscription's selection is executed once per event for every
 * subscriber with the same document, operation and selection variables, and (over
 * WebSocket) serialised once for all of them.
 *
 * What stays per subscriber: the source stream (the subscribe resolver's access checks, the
 * `types` filter, the `after` replay, gap filling, revocation and token expiry all happen
 * before an event reaches this mapping), and any result with errors, which is executed again
 * with the subscriber's own context so that its errors (and their request ids) are its own.
 *
 * The shared execution runs with a context that names no user, so a resolver below the
 * subscription root that would need the subscriber (`requireUser`) fails there and the
 * subscriber falls back to an execution of its own: one subscriber's identity never shapes
 * another's result. Today's payload resolvers read only the event.
 *
 * Events are shared by identity: the live path hands every stream the same event object
 * (pubsub, then stream.ts), so a WeakMap keyed by it holds the results exactly as long as
 * some stream still holds the event. Replayed events are a stream's own objects and simply
 * miss.
 */
import {
  type ASTNode,
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  GraphQLError,
  getOperationAST,
  Kind,
  type OperationDefinitionNode,
  type ValueNode,
  visit,
} from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Metrics } from '../observability/metrics.ts';
import type { Context } from '../schema/context.ts';

/** What a subscriber's result depends on besides the event; equal keys share results. */
type ShapeKey = string;

type SharedResult = ExecutionResult | Promise<ExecutionResult>;

/** Per event, the shared result of each shape. */
const resultsByEvent = new WeakMap<object, Map<ShapeKey, SharedResult>>();

/** A shared result's JSON, made once for every socket that sends it. */
const jsonOfResult = new WeakMap<object, string>();
/** Error-free results of a shared execution, the only ones worth a cached JSON. */
const sharedResults = new WeakSet<object>();

/** Small ids for documents: Yoga's parser cache hands the same object for the same text. */
const documentIds = new WeakMap<DocumentNode, number>();
let nextDocumentId = 1;

/**
 * Envelop plugin: subscriptions run through a subscribe function that shares per-event
 * results. `execute` is the per-event execution (graphql-js); tests may count it.
 */
export function useSharedEventResults(metrics: Metrics): Plugin {
  const counted = metrics.sync.subscriptionResults;
  const executed = counted.labels({ result: 'executed' });
  const shared = counted.labels({ result: 'shared' });
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(async (args: ExecutionArgs) => {
        const source = await createSourceEventStream(args);
        if (!isAsyncIterable(source)) return source;
        const shape = shapeKey(args);
        const operation = getOperationAST(args.document, args.operationName);
        return mapEvents(source, (event) => resultFor(event, shape, args), operation);
      });
    },
  };

  function resultFor(event: unknown, shape: ShapeKey | null, args: ExecutionArgs): SharedResult {
    if (shape === null || typeof event !== 'object' || event === null) {
      executed.inc();
      return execute({ ...args, rootValue: event });
    }
    let results = resultsByEvent.get(event);
    if (!results) {
      results = new Map();
      resultsByEvent.set(event, results);
    }
    const found = results.get(shape);
    if (found) {
      shared.inc();
      return then(found, (result) => {
        if (result.errors) {
          executed.inc();
          return execute({ ...args, rootValue: event });
        }
        return markShared(result);
      });
    }
    executed.inc();
    // Only the services: nothing of the first subscriber (user, request, socket) is in reach.
    const { services } = args.contextValue as Context;
    const neutral: Context = { services, user: null, requestId: 'shared' };
    const result = execute({ ...args, contextValue: neutral, rootValue: event });
    results.set(shape, result);
    return then(result, (first) =>
      first.errors ? execute({ ...args, rootValue: event }) : markShared(first),
    );
  }
}

function markShared(result: ExecutionResult): ExecutionResult {
  sharedResults.add(result);
  return result;
}

/**
 * The JSON of a result handed to several subscribers, serialised once; undefined for any
 * other result (the transport serialises it as usual).
 */
export function sharedResultJson(result: object): string | undefined {
  if (!sharedResults.has(result)) return undefined;
  let json = jsonOfResult.get(result);
  if (json === undefined) {
    json = JSON.stringify(result);
    jsonOfResult.set(result, json);
  }
  return json;
}

/**
 * The document, the operation and the values of the variables the selection below the root
 * field uses. The root field's own arguments (`workspaceId`, `types`, `after`) only shape
 * the source stream, which is per subscriber, so subscribers that differ only there share.
 * Null when the operation cannot be told apart (no operation found).
 */
function shapeKey(args: ExecutionArgs): ShapeKey | null {
  const operation = getOperationAST(args.document, args.operationName);
  if (!operation) return null;
  let documentId = documentIds.get(args.document);
  if (documentId === undefined) {
    documentId = nextDocumentId++;
    documentIds.set(args.document, documentId);
  }
  const names = [...selectionVariables(args.document, operation)].sort();
  const values = args.variableValues ?? {};
  const used = names.map((name) => [name, values[name] ?? null]);
  return `${documentId}\u0000${operation.name?.value ?? ''}\u0000${JSON.stringify(used)}`;
}

/** Variables used anywhere in the operation except in the root fields' arguments. */
function selectionVariables(document: DocumentNode, operation: OperationDefinitionNode) {
  const names = new Set<string>();
  const rootArguments = new Set<ValueNode>();
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) continue;
    for (const argument of selection.arguments ?? []) rootArguments.add(argument.value);
  }
  // Variable definitions name every variable, used or not: skipped like root arguments.
  const visitor = {
    enter(node: { kind: Kind; value?: unknown; name?: { value: string } }) {
      if (node.kind === Kind.VARIABLE_DEFINITION) return false;
      if (node.kind === Kind.ARGUMENT && rootArguments.has(node.value as ValueNode)) return false;
      if (node.kind === Kind.VARIABLE && node.name) names.add(node.name.value);
      return undefined;
    },
  };
  const collect = (node: ASTNode) => visit(node, visitor);
  collect(operation);
  // Fragments may use variables too; a fragment unused by this operation only costs sharing.
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) collect(definition);
  }
  return names;
}

function then<T, R>(value: T | Promise<T>, map: (value: T) => R | Promise<R>): R | Promise<R> {
  return value instanceof Promise ? value.then(map) : map(value);
}

/**
 * The per-event mapping: a plain iterator, one promise per event. An error the source
 * throws (FORBIDDEN on revocation) is wrapped as graphql-tools' subscribe wraps it, so the
 * masker and the transports see what they saw before.
 */
function mapEvents(
  source: AsyncIterable<unknown>,
  map: (event: unknown) => SharedResult,
  operation: OperationDefinitionNode | null | undefined,
): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  const wrap = (error: unknown): never => {
    if (!(error instanceof Error)) throw error;
    throw new GraphQLError(error.message, {
      originalError: error,
      ...(operation ? { nodes: [operation] } : {}),
    });
  };
  const mapped: AsyncIterableIterator<ExecutionResult> = {
    next: () =>
      iterator.next().then(async (step) => {
        if (step.done) return { done: true, value: undefined };
        return { done: false, value: await map(step.value) };
      }, wrap),
    return: async () => {
      await iterator.return?.();
      return { done: true, value: undefined };
    },
    throw: async (error) => {
      await iterator.return?.();
      throw error;
    },
    [Symbol.asyncIterator]: () => mapped,
  };
  return mapped;
}
