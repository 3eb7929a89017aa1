/**
 * The graphql-js stage of reading a model: parse the SDL, validate it against the declared
 * directives and scalars (model/directives.ts) with graphql-js's own SDL rules, and build the
 * schema the rules in describe.ts walk. Error messages get a hint saying what to write.
 */

import {
  buildSchema,
  type ConstDirectiveNode,
  type DefinitionNode,
  DirectiveLocation,
  type DocumentNode,
  extendSchema,
  type GraphQLError,
  type GraphQLSchema,
  isNonNullType,
  Kind,
  type NamedTypeNode,
  parse,
  Source,
  type TypeNode,
  visit,
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

export const declareAnEntity =
  'declare at least one entity, e.g. `type Note @entity { body: String! }`.';

const scalarList = modelScalars.join(', ');
const directiveList = modelDirectiveNames.map((name) => `@${name}`).join(', ');

export function parseModel(text: string, path: string, problems: ProblemList): ParsedModel | null {
  if (/^(\s|#[^\n]*)*$/.test(text)) {
    problems.atLocation({ line: 1, column: 1 }, `The model is empty: ${declareAnEntity}`);
    return null;
  }
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
  const errors = validateSDL(modelDocument, directivesSchema);
  for (const error of errors) problems.fromGraphQLError(error, null, hintFor(error));
  if (!errors.every(isRepairable)) return { document: modelDocument, schema: null };
  const checkedDocument = errors.length ? withoutReportedMistakes(modelDocument) : modelDocument;
  return { document: checkedDocument, schema: buildModelSchema(checkedDocument, problems) };
}

/**
 * The schema the rules walk. `implements` is left out: entities implement SyncRecord by
 * themselves, and describe.ts reports any interface written. Should graphql-js still refuse
 * the document, that is a problem of the model too, not a crash.
 */
function buildModelSchema(document: DocumentNode, problems: ProblemList): GraphQLSchema | null {
  const withoutInterfaces = visit(document, {
    [Kind.OBJECT_TYPE_DEFINITION]: (node) => ({ ...node, interfaces: [] }),
  });
  try {
    return extendSchema(directivesSchema, withoutInterfaces, { assumeValidSDL: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    problems.at(document, `The model could not be read: ${message}`);
    return null;
  }
}

/**
 * Mistakes in names and directive use are reported and then set aside, so the model's rules
 * still run and one check reports them all. Duplicate definitions are not: which one is meant?
 */
const isRepairable = (error: GraphQLError): boolean =>
  /^Unknown (type|directive|argument) |may not be used on|is required, but it was not provided|can only be used once/.test(
    error.message,
  );

/**
 * The document with each field of an unknown type turned into a plain JSON field (its
 * directives dropped, as they were written for another type) and each directive that is
 * unknown, misplaced, repeated or missing an argument removed: problems already reported are
 * not reported again in other words.
 */
function withoutReportedMistakes(document: DocumentNode): DocumentNode {
  const declared = new Set(
    document.definitions.flatMap((node) => ('name' in node && node.name ? [node.name.value] : [])),
  );
  const isKnownType = (name: string) =>
    declared.has(name) ||
    (modelScalars as readonly string[]).includes(name) ||
    directivesSchema.getType(name) !== undefined;
  return visit(document, {
    [Kind.OBJECT_TYPE_DEFINITION]: (node) => withUsableDirectives(node, DirectiveLocation.OBJECT),
    [Kind.ENUM_TYPE_DEFINITION]: (node) => withUsableDirectives(node, DirectiveLocation.ENUM),
    [Kind.ENUM_VALUE_DEFINITION]: (node) =>
      withUsableDirectives(node, DirectiveLocation.ENUM_VALUE),
    [Kind.FIELD_DEFINITION](node) {
      if (isKnownType(namedTypeOf(node.type).name.value)) {
        return withUsableDirectives(node, DirectiveLocation.FIELD_DEFINITION);
      }
      const json: NamedTypeNode = {
        kind: Kind.NAMED_TYPE,
        name: { kind: Kind.NAME, value: 'JSON' },
      };
      return { ...node, type: json, directives: [] };
    },
  });
}

function withUsableDirectives<Node extends { readonly directives?: readonly ConstDirectiveNode[] }>(
  node: Node,
  location: DirectiveLocation,
): Node {
  const seen = new Set<string>();
  const directives = (node.directives ?? []).filter((directive) => {
    const usable = !seen.has(directive.name.value) && isUsable(directive, location);
    seen.add(directive.name.value);
    return usable;
  });
  return { ...node, directives };
}

function isUsable(directive: ConstDirectiveNode, location: DirectiveLocation): boolean {
  const definition = directivesSchema.getDirective(directive.name.value);
  if (!definition?.locations.includes(location)) return false;
  const written = new Set(directive.arguments?.map((arg) => arg.name.value));
  return definition.args.every((arg) => !isNonNullType(arg.type) || written.has(arg.name));
}

function namedTypeOf(type: TypeNode): NamedTypeNode {
  return type.kind === Kind.NAMED_TYPE ? type : namedTypeOf(type.type);
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
