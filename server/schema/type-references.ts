import { Kind, parseType, type TypeNode } from 'graphql';
import type { FieldDescription } from '../../model/index.ts';
import type { ModelEnumRefs } from './model-enums.ts';

/**
 * How a model's type strings become Pothos type references. Model scalars are named by their
 * GraphQL name (the builder declares them all); model enums by the ref their registration
 * returned. The result is loosely typed on purpose: which type a field has is data, known
 * only when the model is read, so Pothos cannot check it at compile time.
 */

// biome-ignore lint/suspicious/noExplicitAny: a Pothos type parameter chosen at run time
export type RuntimeTypeParam = any;

const builtInScalars = new Set(['String', 'Int', 'Float', 'Boolean', 'ID', 'DateTime', 'JSON']);

/** The Pothos reference of a named type of the model. */
export function namedTypeRef(name: string, enums: ModelEnumRefs): RuntimeTypeParam {
  const enumRef = enums.get(name);
  if (enumRef) return enumRef;
  if (builtInScalars.has(name)) return name;
  throw new Error(`The model names a type the schema does not declare: ${name}`);
}

/** An object field's type and nullability, e.g. `[Skill!]!` -> `{ type: [Skill], nullable: false }`. */
export function outputFieldType(field: FieldDescription, enums: ModelEnumRefs) {
  const named = namedTypeRef(field.typeName, enums);
  return { type: field.list ? [named] : named, nullable: field.nullable };
}

interface InputTypeShape {
  name: string;
  list: boolean;
  required: boolean;
}

function inputTypeShape(node: TypeNode): InputTypeShape {
  if (node.kind === Kind.NON_NULL_TYPE) return { ...inputTypeShape(node.type), required: true };
  if (node.kind === Kind.LIST_TYPE) {
    const item = inputTypeShape(node.type);
    // Models allow only `[T!]` lists: Pothos makes list items non-null by default.
    if (item.list || !item.required)
      throw new Error('Only lists of non-null named types are supported');
    return { name: item.name, list: true, required: false };
  }
  return { name: node.name.value, list: false, required: false };
}

/** An input field's type from its GraphQL type string, e.g. `[String!]` or `Int`. */
export function inputFieldType(graphqlType: string, enums: ModelEnumRefs) {
  const shape = inputTypeShape(parseType(graphqlType));
  const named = namedTypeRef(shape.name, enums);
  return { type: shape.list ? [named] : named, required: shape.required };
}
