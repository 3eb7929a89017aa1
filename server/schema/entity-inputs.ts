import type { EntityDescription, ModelDescription } from '../../model/index.ts';
import type { ChangeRequest, EntityType } from '../sync/types.ts';
import type { Builder } from './builder.ts';
import type { ModelEnumRefs } from './model-enums.ts';
import { inputFieldType } from './type-references.ts';

/**
 * `<Entity>Patch`: every patch field of the entity (docs/model.md, Names derived from a type),
 * all optional: a value field per model field, add/remove fields for sets, a delta for
 * counters, nothing for the owner.
 */
function registerPatchInput(builder: Builder, entity: EntityDescription, enums: ModelEnumRefs) {
  return builder.inputType(entity.patchInput, {
    fields: (t) =>
      Object.fromEntries(
        entity.patchFields.map((patchField) => [
          patchField.name,
          t.field(inputFieldType(patchField.graphqlType, enums)),
        ]),
      ),
  });
}

type PatchInputRef = ReturnType<typeof registerPatchInput>;

/** `<Entity>Change`: one change of a push; the change inputs differ only in their patch type. */
function registerChangeInput(builder: Builder, entity: EntityDescription, patch: PatchInputRef) {
  return builder.inputType(entity.changeInput, {
    fields: (t) => ({
      mutationId: t.id({
        required: true,
        description: 'Unique per client: a replay with the same id is answered DUPLICATE.',
      }),
      id: t.id({
        required: true,
        description: 'The entity id, chosen by the client for creates (UUIDv7 or ULID).',
      }),
      baseVersion: t.int({
        description: 'The entity version the client last saw; 0 or null for a create.',
      }),
      hlc: t.string({ description: 'Hybrid logical clock "<unixMillis>:<counter>" of the edit.' }),
      delete: t.boolean(),
      patch: t.field({ type: patch }),
    }),
  });
}

type ChangeShape = ReturnType<typeof registerChangeInput>['$inferInput'];

/** A `ChangeInput` as graphql-js hands it over: exactly one entity's key is set. */
export type ChangeInputShape = Readonly<Record<string, ChangeShape | null | undefined>>;

/**
 * The patch inputs, then the change inputs, of every entity, and `ChangeInput @oneOf` with
 * one key per entity (`workOrder: WorkOrderChange`). Returns the ChangeInput ref and the
 * function that turns one into the engine's ChangeRequest.
 */
export function registerEntityInputs(
  builder: Builder,
  model: ModelDescription,
  enums: ModelEnumRefs,
) {
  const patches = model.entities.map((entity) => registerPatchInput(builder, entity, enums));
  const changes = model.entities.map((entity, index) => {
    const patch = patches[index] as PatchInputRef;
    return { entity, input: registerChangeInput(builder, entity, patch) };
  });
  const ChangeInput = builder.inputType('ChangeInput', {
    isOneOf: true,
    fields: (t) =>
      Object.fromEntries(
        changes.map(({ entity, input }) => [entity.changeInputKey, t.field({ type: input })]),
      ),
  });
  return { ChangeInput, toChangeRequest: changeRequestReader(model) };
}

/** Finds the one key a `ChangeInput` sets and reads it as the engine's ChangeRequest. */
export function changeRequestReader(model: ModelDescription) {
  return (input: ChangeInputShape): ChangeRequest => {
    const entity = model.entities.find((candidate) => input[candidate.changeInputKey] != null);
    const change = entity && input[entity.changeInputKey];
    if (!entity || !change)
      throw new Error('ChangeInput is @oneOf: graphql-js guarantees one field');
    return {
      entityType: entity.entityType as EntityType,
      mutationId: change.mutationId,
      id: change.id,
      baseVersion: change.baseVersion ?? null,
      hlc: change.hlc ?? null,
      delete: change.delete ?? false,
      patch: (change.patch as Record<string, unknown> | null | undefined) ?? null,
    };
  };
}
