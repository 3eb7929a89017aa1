import type { EntityDescription, ModelDescription } from '../../model/index.ts';
import { loadModel } from '../../model/load.ts';

/**
 * The app's model (model.graphql at the repository root), read once when the server starts.
 * Everything in server/ that needs to know an entity, a field or a strategy asks this module;
 * no file of server/ names an entity of the model.
 */
export const syncModel: ModelDescription = loadModel();

const byType = new Map(syncModel.entities.map((entity) => [entity.entityType, entity]));
const byName = new Map(syncModel.entities.map((entity) => [entity.name, entity]));

/** The model's `EntityType` values (`TASK`, `WORK_ORDER`, ...) in the order the model lists them. */
export const entityTypes: readonly string[] = syncModel.entities.map((entity) => entity.entityType);

/** The entity of an `EntityType` value; throws for a value the model does not have. */
export function entityOfType(type: string): EntityDescription {
  const entity = byType.get(type);
  if (!entity) throw new Error(`The model has no entity type ${type}`);
  return entity;
}

/** The entity of a type name (`WorkOrder`); throws for a name the model does not have. */
export function entityOfName(name: string): EntityDescription {
  const entity = byName.get(name);
  if (!entity) throw new Error(`The model has no entity named ${name}`);
  return entity;
}

export const isEntityType = (type: string): boolean => byType.has(type);

/**
 * Rows carry their entity type under a symbol: object spread copies it (rows are copied on
 * every change), while column lists, `Object.keys` and JSON never see it. A row that crossed
 * JSON (Redis) is tagged again from the event's `entityType`.
 */
const entityTypeTag = Symbol('converge.entityType');

export function tagRow<Row extends object>(type: string, row: Row): Row {
  (row as Record<symbol, unknown>)[entityTypeTag] = type;
  return row;
}

/** The `EntityType` of a row read or written by the engine; throws for an untagged object. */
export function typeOfRow(row: object): string {
  const type = (row as Record<symbol, unknown>)[entityTypeTag];
  if (typeof type !== 'string') throw new Error('An entity row lost its entity type tag');
  return type;
}
