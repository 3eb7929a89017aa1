import type { EnumDescription, ModelDescription } from '../../model/index.ts';
import type { Builder } from './builder.ts';

/** The enums a model declares, by name: what a field's type names when its kind is ENUM. */
export type ModelEnumRefs = ReadonlyMap<string, ReturnType<typeof registerModelEnum>>;

function registerModelEnum(builder: Builder, description: EnumDescription) {
  return builder.enumType(description.name, {
    ...(description.description === null ? {} : { description: description.description }),
    values: description.values,
  });
}

/** One GraphQL enum per enum of the model, in the model's order. */
export function registerModelEnums(builder: Builder, model: ModelDescription): ModelEnumRefs {
  return new Map(
    model.enums.map((description) => [description.name, registerModelEnum(builder, description)]),
  );
}

/** `EntityType`: one value per entity of the model (`WORK_ORDER`), in the model's order. */
export function registerEntityTypeEnum(builder: Builder, model: ModelDescription) {
  return builder.enumType('EntityType', {
    values: model.entities.map((entity) => entity.entityType),
  });
}
