/**
 * The graphql-js stage of reading a model: parse the SDL, validate it against the declared
 * directives and scalars (model/directives.ts) with graphql-js's own SDL rules, and build the
 * schema the rules in describe.ts walk. Error messages get a hint saying what to write.
 */

import {
  buildSchema,
  type DefinitionNode,
  type DocumentNode,
  extendSchema,
  type GraphQLError,
  type GraphQLSchema,
  Kind,
  parse,
  Source,
} from 'graphql';
import { validateSDL } from 'graphql/validation/validate.js';
import { modelDirectiveNames, modelDirectivesSdl, modelScalars } from './directives.ts';
import type { ProblemList } from './problems.ts';

/** The directives and scalars every model is checked against. Built once: it never changes. */
export const directivesSchema: GraphQLSchema = buildSchema(modelDirectivesSdl);

export interface ParsedModel {
  document: DocumentNode;
  /** Null when the SDL itself is invalid: the rules need a schema to walk. */
  schema: GraphQLSchema | null;
}

const scalarList = modelScalars.join(', ');
const directiveList = modelDirectiveNames.map((name) => `@${name}`).join(', ');

export function parseModel(text: string, path: string, problems: ProblemList): ParsedModel | null {
  let document: DocumentNode;
  try {
    document = parse(new Source(text, path));
  } catch (error) {
    problems.fromGraphQLError(error, null);
    return null;
  }
  const modelDefinitions = document.definitions.filter((definition) => {
    const refusal = refusalOf(definition);
    if (refusal) problems.at(definition, refusal);
    return refusal === null;
  });
  const modelDocument: DocumentNode = { ...document, definitions: modelDefinitions };
  const before = problems.size;
  for (const error of validateSDL(modelDocument, directivesSchema)) {
    problems.fromGraphQLError(error, null, hintFor(error));
  }
  if (problems.size > before) return { document: modelDocument, schema: null };
  const schema = extendSchema(directivesSchema, modelDocument, { assumeValidSDL: true });
  return { document: modelDocument, schema };
}

/** A model holds only entity types and enums; anything else gets a sentence saying so. */
function refusalOf(definition: DefinitionNode): string | null {
  switch (definition.kind) {
    case Kind.OBJECT_TYPE_DEFINITION:
    case Kind.ENUM_TYPE_DEFINITION:
      return null;
    case Kind.SCALAR_TYPE_DEFINITION:
      return `Custom scalar "${definition.name.value}" is not supported: use one of ${scalarList}, or an enum.`;
    case Kind.DIRECTIVE_DEFINITION:
      return `Directive "@${definition.name.value}" cannot be declared in a model: the model directives are ${directiveList}.`;
    case Kind.INTERFACE_TYPE_DEFINITION:
    case Kind.UNION_TYPE_DEFINITION:
    case Kind.INPUT_OBJECT_TYPE_DEFINITION:
      return `"${definition.name.value}": a model declares only entity types (\`type ${definition.name.value} @entity { ... }\`) and enums; the API types are derived from them.`;
    default:
      return 'A model declares only entity types (`type Thing @entity { ... }`) and enums: remove this definition (schema, extensions and operations are derived or do not belong here).';
  }
}

/** graphql-js says what is wrong; the hint says what a model may use instead. */
function hintFor(error: GraphQLError): string {
  if (error.message.startsWith('Unknown type')) {
    return `A field's type is one of ${scalarList}, or an enum declared in the model; a reference to another entity is an ID: \`projectId: ID @ref(entity: "Project")\`.`;
  }
  if (error.message.startsWith('Unknown directive')) {
    return `The model directives are ${directiveList}.`;
  }
  if (error.message.startsWith('Unknown argument')) {
    return directiveSignatureHint(error.message);
  }
  if (
    error.message.includes('cannot also be defined') ||
    error.message.includes('already exists')
  ) {
    return 'Rename the type: DateTime, JSON and ModelValue are the scalars every model has.';
  }
  return '';
}

function directiveSignatureHint(message: string): string {
  const name = /directive "@(\w+)"/.exec(message)?.[1];
  const directive = name ? directivesSchema.getDirective(name) : undefined;
  if (!directive) return '';
  const args = directive.args.map((arg) => `${arg.name}: ${String(arg.type)}`).join(', ');
  return `Write @${directive.name}(${args}).`;
}
