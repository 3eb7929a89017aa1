import {
  type AnyVariables,
  type Client,
  createRequest,
  type DocumentInput,
  type GraphQLRequest,
  type OperationResult,
} from '@urql/core';
import type { SyncEntity } from './entities.ts';

/** How the engine marks its own operations (`operation.context.converge`). */
export interface ConvergeContext {
  /** An edit's own optimistic pushChanges, answered from its batch's result. */
  mutationId?: string;
  /** A batch of the outbox. */
  batch?: true;
  /** Answered by the engine from the replica (hydration) or from `echo` entities. */
  hydrate?: true;
  echo?: SyncEntity[];
  /** A catch-up or conflict page. */
  pull?: true;
  /** The engine's live subscriptions. */
  live?: 'entities' | 'conflicts';
}

// urql keys an operation by its document and variables, and shares one key's results, layers
// and teardowns between everyone using it. The engine's own operations must not share keys:
// a batch of one change has the variables of that edit's optimistic mutation, so graphcache
// would take the batch's network error for the edit's answer and drop the optimistic edit;
// a catch-up or hydration query with an app's variables would be torn down with the app's
// query (and vice versa). Keys counted up from the lowest safe integer, which no hash gives.
let privateKeys = 0;
export function privateRequest<Data, Variables extends AnyVariables>(
  document: DocumentInput<Data, Variables>,
  variables: Variables,
): GraphQLRequest<Data, Variables> {
  const request = createRequest(document, variables);
  return { ...request, key: Number.MIN_SAFE_INTEGER + privateKeys++ };
}

/** The engine's own queries: network only, under keys no app query shares. */
export function privateQuery<Data, Variables extends AnyVariables>(
  client: Client,
  document: DocumentInput<Data, Variables>,
  variables: Variables,
  converge: ConvergeContext,
): Promise<OperationResult<Data, Variables>> {
  return client
    .executeQuery(privateRequest(document, variables), {
      requestPolicy: 'network-only',
      converge,
    })
    .toPromise();
}
