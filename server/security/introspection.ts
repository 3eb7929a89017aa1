import { GraphQLError, NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

// graphql-js appends these to validation errors; they spell out field and type names.
const suggestion = /\s*Did you mean .*$/s;

/**
 * INTROSPECTION=false (`enabled: false`): `__schema` and `__type` fail validation, and error messages stop
 * suggesting field names (which would let anyone rebuild the schema by guessing).
 * `__typename` keeps working: clients such as graphcache need it.
 */
export function useIntrospectionControl(options: { enabled: boolean }): Plugin {
  if (options.enabled) return {};
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
      return ({ valid, result, setResult }) => {
        if (valid) return;
        setResult(result.map(withoutSuggestion));
      };
    },
  };
}

/** The error without graphql-js's trailing "Did you mean ...?" (itself when it has none). */
export function withoutSuggestion<E extends Error>(error: E): E {
  if (!isGraphQLError(error) || !suggestion.test(error.message)) return error;
  return new GraphQLError(error.message.replace(suggestion, ''), {
    ...(error.nodes ? { nodes: error.nodes } : {}),
    ...(error.source ? { source: error.source } : {}),
    ...(error.positions ? { positions: error.positions } : {}),
    ...(error.path ? { path: error.path } : {}),
    extensions: error.extensions,
  }) as Error as E;
}

// `instanceof` fails when graphql's CommonJS and ESM builds are both loaded; the tag does not.
function isGraphQLError(error: Error): error is GraphQLError {
  return Object.prototype.toString.call(error) === '[object GraphQLError]';
}
