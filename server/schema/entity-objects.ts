import type { EntityDescription, FieldDescription, ModelDescription } from '../../model/index.ts';
import { typeOfRow } from '../sync/model.ts';
import type { SyncEntity, SyncRecord } from '../sync/types.ts';
import type { Builder } from './builder.ts';
import type { ModelEnumRefs } from './model-enums.ts';
import { outputFieldType } from './type-references.ts';

const withDescription = (description: string | null) =>
  description === null ? {} : { description };

/** The sync metadata every synced entity exposes (docs/protocol.md, Entity metadata and versions). */
// Typed by the sync columns alone: Pothos's `expose` cannot pick names out of an index signature.
function registerSyncRecord(builder: Builder, typeNameOfRow: (row: SyncRecord) => string) {
  return builder.interfaceRef<SyncRecord>('SyncRecord').implement({
    resolveType: typeNameOfRow,
    fields: (t) => ({
      id: t.exposeID('id'),
      workspaceId: t.exposeID('workspaceId'),
      version: t.exposeInt('version'),
      updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
      updatedBy: t.exposeID('updatedBy', { nullable: true }),
      deleted: t.exposeBoolean('deleted'),
    }),
  });
}

type SyncRecordRef = ReturnType<typeof registerSyncRecord>;

// Typed `never` where used: the field's type is data, so Pothos cannot check the value.
const columnOf = (row: SyncEntity, field: FieldDescription): unknown =>
  (row as unknown as Record<string, unknown>)[field.name];

/** `<Entity> implements SyncRecord`: the sync fields, then the model's fields in its order. */
function registerEntityObject(
  builder: Builder,
  entity: EntityDescription,
  syncRecord: SyncRecordRef,
  enums: ModelEnumRefs,
) {
  return builder.objectRef<SyncEntity>(entity.name).implement({
    ...withDescription(entity.description),
    interfaces: [syncRecord],
    fields: (t) =>
      Object.fromEntries(
        entity.fields.map((field) => [
          field.name,
          t.field({
            ...outputFieldType(field, enums),
            ...withDescription(field.description),
            // The column of the same name: rows are the engine's, models name their columns.
            resolve: (row) => columnOf(row, field) as never,
          }),
        ]),
      ),
  });
}

export type EntityObjectRef = ReturnType<typeof registerEntityObject>;

/**
 * The SyncRecord interface, one object type per entity of the model and the SyncEntity union
 * of them all. A row's GraphQL type is the entity its engine tag names.
 */
export function registerEntityObjects(
  builder: Builder,
  model: ModelDescription,
  enums: ModelEnumRefs,
) {
  const nameOfType = new Map(model.entities.map((entity) => [entity.entityType, entity.name]));
  const typeNameOfRow = (row: SyncRecord) => {
    const type = typeOfRow(row);
    const name = nameOfType.get(type);
    if (!name) throw new Error(`A row of entity type ${type} is not in this schema's model`);
    return name;
  };
  const SyncRecord = registerSyncRecord(builder, typeNameOfRow);
  const objects = model.entities.map((entity) => ({
    entity,
    object: registerEntityObject(builder, entity, SyncRecord, enums),
  }));
  const SyncEntityUnion = builder.unionType('SyncEntity', {
    types: objects.map(({ object }) => object),
    resolveType: typeNameOfRow,
  });
  return { SyncRecord, objects, SyncEntityUnion };
}

export type EntityObjects = ReturnType<typeof registerEntityObjects>;
