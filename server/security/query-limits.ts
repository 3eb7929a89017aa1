import {
  type ASTVisitor,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../errors.ts';

export interface QueryLimits {
  /** Deepest field nesting, fragments expanded (a root field is depth 1). */
  maxDepth: number;
  /** Aliased fields per operation, counting each fragment spread in full. */
  maxAliases: number;
  /** Fields per operation, counting each fragment spread in full. */
  maxCost: number;
}

interface Measure {
  depth: number;
  aliases: number;
  cost: number;
}

const none: Measure = { depth: 0, aliases: 0, cost: 0 };

// GraphiQL's introspection query nests type references ten levels deep, so introspection
// does not count toward the depth limit (graphql-js's MaxIntrospectionDepthRule bounds its
// nested lists). Its fields and aliases do count: aliases repeat a subtree at will.
const introspectionRoots = new Set(['__schema', '__type']);

/**
 * A validation rule that measures every operation with its fragments expanded, so a small
 * document cannot stand for a huge one (nested fragment spreads double the work per level).
 * Each fragment is measured once, hence linear time whatever the expansion.
 */
export function queryLimitsRule(limits: QueryLimits) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, Measure>();
    const visiting = new Set<string>();

    function measureFragment(name: string): Measure {
      const known = fragments.get(name);
      if (known) return known;
      const fragment: FragmentDefinitionNode | null | undefined = context.getFragment(name);
      // Unknown fragments and cycles are other rules' errors; they add nothing here.
      if (!fragment || visiting.has(name)) return none;
      visiting.add(name);
      const measure = measureSelections(fragment.selectionSet);
      visiting.delete(name);
      fragments.set(name, measure);
      return measure;
    }

    function measureSelections(selectionSet: SelectionSetNode): Measure {
      let depth = 0;
      let aliases = 0;
      let cost = 0;
      for (const selection of selectionSet.selections) {
        let inner: Measure;
        if (selection.kind === Kind.FIELD) {
          const child = selection.selectionSet ? measureSelections(selection.selectionSet) : none;
          inner = {
            depth: introspectionRoots.has(selection.name.value) ? 0 : child.depth + 1,
            aliases: child.aliases + (selection.alias ? 1 : 0),
            cost: child.cost + 1,
          };
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          inner = measureSelections(selection.selectionSet);
        } else {
          inner = measureFragment(selection.name.value);
        }
        depth = Math.max(depth, inner.depth);
        aliases += inner.aliases;
        cost += inner.cost;
      }
      return { depth, aliases, cost };
    }

    return {
      OperationDefinition(operation: OperationDefinitionNode) {
        const measure = measureSelections(operation.selectionSet);
        const exceeded = firstExceeded(measure, limits);
        if (exceeded) context.reportError(tooComplex(operation, exceeded));
        // Already measured: nothing below needs visiting by this rule.
        return false;
      },
    };
  };
}

interface Exceeded {
  limit: 'depth' | 'aliases' | 'cost';
  max: number;
  actual: number;
}

function firstExceeded(measure: Measure, limits: QueryLimits): Exceeded | null {
  if (measure.depth > limits.maxDepth)
    return { limit: 'depth', max: limits.maxDepth, actual: measure.depth };
  if (measure.aliases > limits.maxAliases)
    return { limit: 'aliases', max: limits.maxAliases, actual: measure.aliases };
  if (measure.cost > limits.maxCost)
    return { limit: 'cost', max: limits.maxCost, actual: measure.cost };
  return null;
}

const describe: Record<Exceeded['limit'], string> = {
  depth: 'nesting depth',
  aliases: 'number of aliases',
  cost: 'number of fields (fragments expanded)',
};

function tooComplex(operation: OperationDefinitionNode, exceeded: Exceeded): GraphQLError {
  // Past a point the exact count is meaningless and may be astronomically large.
  const actual = Number.isFinite(exceeded.actual) ? exceeded.actual : Number.MAX_SAFE_INTEGER;
  return new GraphQLError(
    `Query is too complex: its ${describe[exceeded.limit]} is ${actual}, the limit is ${exceeded.max}`,
    {
      nodes: [operation],
      extensions: {
        code: ErrorCode.QUERY_TOO_COMPLEX,
        limit: exceeded.limit,
        max: exceeded.max,
        // Yoga marks validation errors `spec` (200 for application/json clients); Converge
        // answers every rejected request 400, as useRequestErrorStatus does.
        http: { status: 400, spec: false },
      },
    },
  );
}

/** Rejects operations past the depth, alias and cost limits, over HTTP and WebSocket alike. */
export function useQueryLimits(limits: QueryLimits): Plugin {
  const rule = queryLimitsRule(limits);
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(rule);
    },
  };
}
