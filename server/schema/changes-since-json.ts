import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  isAbstractType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  type SelectionSetNode,
  visit,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { perDocument } from '../observability/per-document.ts';
import { entityOfName } from '../sync/model.ts';
import { changesSinceJson, type JsonField, type RowShape } from '../sync/page-json.ts';
import type { EntityType } from '../sync/types.ts';
import { changesSinceRequest } from './changes.ts';
import { type Context, requireUser } from './context.ts';

/**
 * The pull hot path (issue 15): a query whose only root field is changesSince, selecting
 * leaves the database can write as JSON (server/sync/page-json.ts), is answered with the
 * page's JSON spliced into the response text, without executing the selection. The text is
 * byte for byte what execution and JSON.stringify would give (test/integration/pull-json.test.ts).
 *
 * Anything else runs through GraphQL execution as before: another root field, directives,
 * Float or JSON fields, an error of any kind (bad arguments, access, limits: execution then
 * raises and formats it), and pages holding values this path does not write.
 */
export function useChangesSinceJson(): Plugin<Context> {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      if (planOf(args) === null) return;
      setExecuteFn(
        async (executionArgs) =>
          (await executeChangesSinceJson(executionArgs)) ?? executeFn(executionArgs),
      );
    },
  };
}

/** How many entities a result answered here holds (for metrics, without parsing it). */
export function jsonPulledEntities(result: object): number | undefined {
  return pulledEntities.get(result);
}

const pulledEntities = new WeakMap<object, number>();

/** What a recognised query answers: its root key, ChangeBatch's keys and each type's row. */
interface JsonPlan {
  rootKey: string;
  field: GraphQLField<unknown, unknown>;
  node: FieldNode;
  batch: readonly BatchKey[];
  shapes: ReadonlyMap<EntityType, RowShape>;
}

type BatchKey = { key: string; field: '__typename' | 'cursor' | 'hasMore' | 'entities' };

/**
 * The response to `args` as JSON text (its `stringify`); null sends the request to execution:
 * a query this path does not answer, a throw (which execution will raise and format the same
 * way) or a page holding a value this path does not write.
 */
export async function executeChangesSinceJson(
  args: ExecutionArgs,
): Promise<(ExecutionResult & { stringify(): string }) | null> {
  const plan = planOf(args);
  if (plan === null) return null;
  const operation = getOperationAST(args.document, args.operationName);
  const variables = getVariableValues(
    args.schema,
    operation?.variableDefinitions ?? [],
    (args.variableValues ?? {}) as Record<string, unknown>,
  );
  if (variables.errors) return null;
  const context = args.contextValue as Context;
  let page: Awaited<ReturnType<typeof changesSinceJson>>;
  try {
    const request = changesSinceRequest(
      getArgumentValues(plan.field, plan.node, variables.coerced) as never,
    );
    page = await changesSinceJson(context.services.sql, requireUser(context), request, plan.shapes);
  } catch {
    return null;
  }
  if (page === null) return null;
  const members = plan.batch.map(({ key, field }) => {
    const value =
      field === '__typename'
        ? '"ChangeBatch"'
        : field === 'cursor'
          ? JSON.stringify(page.cursor)
          : field === 'hasMore'
            ? String(page.hasMore)
            : page.entitiesJson;
    return `${JSON.stringify(key)}:${value}`;
  });
  return jsonResult(
    `{"data":{${JSON.stringify(plan.rootKey)}:{${members.join(',')}}}}`,
    page.count,
  );
}

/**
 * A result Yoga's HTTP layer writes with `stringify` (the text as it is); anything else that
 * reads `data` (WebSocket transport, plugins) gets it parsed from the same text.
 */
function jsonResult(text: string, entities: number): ExecutionResult & { stringify(): string } {
  let data: ExecutionResult['data'];
  const result = { stringify: () => text };
  Object.defineProperty(result, 'data', {
    enumerable: true,
    get: () => {
      data ??= (JSON.parse(text) as ExecutionResult).data;
      return data;
    },
  });
  pulledEntities.set(result, entities);
  return result as ExecutionResult & { stringify(): string };
}

const planOf = (args: ExecutionArgs) => planFor(args.document, args.operationName)(args.schema);

// Per document, per schema: the plan depends on nothing else (no directives, no variables).
const planFor = perDocument((document, operationName) => {
  const bySchema = new WeakMap<GraphQLSchema, JsonPlan | null>();
  return (schema: GraphQLSchema) => {
    if (!bySchema.has(schema)) bySchema.set(schema, buildPlan(schema, document, operationName));
    return bySchema.get(schema) ?? null;
  };
});

function buildPlan(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): JsonPlan | null {
  const operation = getOperationAST(document, operationName);
  const queryType = schema.getQueryType();
  if (operation?.operation !== 'query' || !queryType || hasDirectives(document)) return null;
  const fragments = fragmentsOf(document);
  const root = collectFields(schema, fragments, queryType, [operation.selectionSet]);
  const [rootEntry, ...otherRootKeys] = root;
  if (!rootEntry || otherRootKeys.length > 0) return null;
  const [rootKey, rootNodes] = rootEntry;
  const field = queryType.getFields().changesSince;
  const batchType = schema.getType('ChangeBatch');
  const node = rootNodes[0];
  if (!field || !node || !isObjectType(batchType)) return null;
  if (rootNodes.some((rootNode) => rootNode.name.value !== 'changesSince')) return null;

  const batchFields = collectFields(schema, fragments, batchType, selectionSets(rootNodes));
  const batch: BatchKey[] = [];
  let entityNodes: readonly FieldNode[] | null = null;
  for (const [key, nodes] of batchFields) {
    const name = nodes[0]?.name.value;
    if (name !== '__typename' && name !== 'cursor' && name !== 'hasMore' && name !== 'entities')
      return null;
    if (name === 'entities') {
      if (entityNodes) return null; // two aliases of entities: rare, left to execution
      entityNodes = nodes;
    }
    batch.push({ key, field: name });
  }
  // Without entities, rows are still read (for the cursor) and written as nothing.
  const shapes = rowShapes(schema, fragments, entityNodes ?? []);
  if (shapes === null) return null;
  return { rootKey, field, node, batch, shapes };
}

function hasDirectives(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Directive() {
      found = true;
    },
  });
  return found;
}

type Fragments = ReadonlyMap<string, FragmentDefinitionNode>;

function fragmentsOf(document: DocumentNode): Fragments {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      fragments.set(definition.name.value, definition);
    }
  }
  return fragments;
}

const selectionSets = (nodes: readonly FieldNode[]): SelectionSetNode[] =>
  nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));

/**
 * Response keys and their field nodes, in response order, as graphql-js's collectFields
 * gathers them for an object of `type` (documents with directives never get here).
 */
function collectFields(
  schema: GraphQLSchema,
  fragments: Fragments,
  type: GraphQLObjectType,
  sets: readonly SelectionSetNode[],
): Map<string, FieldNode[]> {
  const fields = new Map<string, FieldNode[]>();
  const visited = new Set<string>();
  const applies = (condition: string | undefined) => {
    if (condition === undefined || condition === type.name) return true;
    const conditionType = schema.getType(condition);
    return isAbstractType(conditionType) && schema.isSubType(conditionType, type);
  };
  const collect = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        fields.set(key, [...(fields.get(key) ?? []), selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (applies(selection.typeCondition?.name.value)) collect(selection.selectionSet);
      } else {
        const name = selection.name.value;
        if (visited.has(name)) continue;
        visited.add(name);
        const fragment = fragments.get(name);
        if (fragment && applies(fragment.typeCondition.name.value)) collect(fragment.selectionSet);
      }
    }
  };
  for (const set of sets) collect(set);
  return fields;
}

/** Each entity type's row as `entities` selects it; null when a field is not written as JSON. */
function rowShapes(
  schema: GraphQLSchema,
  fragments: Fragments,
  entityNodes: readonly FieldNode[],
): Map<EntityType, RowShape> | null {
  const union = schema.getType('SyncEntity');
  if (!isAbstractType(union)) return null;
  const shapes = new Map<EntityType, RowShape>();
  for (const type of schema.getPossibleTypes(union)) {
    const shape: JsonField[] = [];
    for (const [key, nodes] of collectFields(schema, fragments, type, selectionSets(entityNodes))) {
      const field = jsonField(type, key, nodes[0]?.name.value ?? '');
      if (field === null) return null;
      shape.push(field);
    }
    shapes.set(entityOfName(type.name).entityType as EntityType, shape);
  }
  return shapes;
}

/** Scalars PostgreSQL's to_json writes as JSON.stringify does; enums too (labels are names). */
const jsonScalars = new Set(['String', 'ID', 'Int', 'Boolean']);

function jsonField(type: GraphQLObjectType, key: string, name: string): JsonField | null {
  if (name === '__typename') return { key, value: 'typename', typename: type.name };
  const field = type.getFields()[name];
  if (!field || field.args.length > 0) return null;
  const nullable = !isNonNullType(field.type);
  let output = isNonNullType(field.type) ? field.type.ofType : field.type;
  const list = isListType(output);
  if (isListType(output)) {
    if (!isNonNullType(output.ofType)) return null;
    output = output.ofType.ofType;
  }
  const column = { key, column: name, nullable, list };
  if (isEnumType(output)) {
    const byName = output.getValues().every((value) => value.value === value.name);
    return byName ? { ...column, value: 'json' } : null;
  }
  if (!isScalarType(output)) return null;
  if (jsonScalars.has(output.name)) return { ...column, value: 'json' };
  if (output.name === 'DateTime' && !list) return { ...column, value: 'dateTime' };
  return null;
}
