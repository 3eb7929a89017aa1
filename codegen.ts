import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * schema.graphql + client/operations -> client/generated (docs/client.md, React and typed hooks).
 * Exported as a function too so the staleness test can generate into memory and compare with the
 * files.
 */
export interface CodegenPaths {
  schema: string;
  documents: string | string[];
  output: string;
}

export const defaultPaths: CodegenPaths = {
  schema: 'schema.graphql',
  documents: 'client/operations/**/*.graphql',
  output: 'client/generated/',
};

// Scalars as they travel in JSON: cursors are opaque strings, dates ISO strings.
const scalars = {
  Cursor: 'string',
  DateTime: 'string',
  JSON: 'unknown',
};

// Shared by every output: type-only imports (verbatimModuleSyntax), string unions instead of
// enums (erasable syntax), and `.ts` import specifiers (allowImportingTsExtensions).
const common = {
  scalars,
  strictScalars: true,
  enumsAsTypes: true,
  useTypeImports: true,
  importExtension: '.ts',
  nonOptionalTypename: true,
};

export function codegenConfig(paths: CodegenPaths = defaultPaths): CodegenConfig {
  const out = paths.output.endsWith('/') ? paths.output : `${paths.output}/`;
  return {
    schema: paths.schema,
    documents: paths.documents,
    // Invalid documents must fail the run, never produce partial output.
    noSilentErrors: true,
    ignoreNoDocuments: false,
    generates: {
      [out]: {
        preset: 'client',
        presetConfig: { fragmentMasking: false },
        config: { ...common, documentMode: 'documentNode' },
      },
      [`${out}introspection.json`]: {
        plugins: ['introspection'],
        config: { minify: true, descriptions: false },
      },
      [`${out}graphcache.ts`]: {
        plugins: ['typescript', 'typescript-urql-graphcache'],
        config: common,
      },
      // Hooks reuse the client preset's typed documents instead of generating a second copy.
      [`${out}hooks.ts`]: {
        plugins: ['typescript-urql'],
        config: {
          ...common,
          withHooks: true,
          withComponent: false,
          urqlImportFrom: 'urql',
          documentMode: 'external',
          importDocumentNodeExternallyFrom: './graphql.ts',
          importOperationTypesFrom: 'Operations',
        },
      },
    },
  };
}

export default codegenConfig();
