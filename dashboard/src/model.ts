/**
 * What the dashboard knows about the model, all read from the generated client model module
 * (client/generated/model.ts): entity types, their fields and how to label them. No entity or
 * field is named here, so the page works for whatever model.graphql the project generates.
 */

import {
  type ClientEntityDescription,
  type ClientFieldDescription,
  clientModel,
} from '../../client/generated/model.ts';

export type EntityDescription = ClientEntityDescription;
export type FieldDescription = ClientFieldDescription;

export const entities: readonly EntityDescription[] = clientModel.entities;

const byEntityType = new Map(entities.map((entity) => [entity.entityType, entity]));
const byTypename = new Map(entities.map((entity) => [entity.name, entity]));

/** The entity of an `EntityType` value (`WORK_ORDER`); undefined for a type this build lacks. */
export const entityOfType = (entityType: string): EntityDescription | undefined =>
  byEntityType.get(entityType);

export const entityOfTypename = (typename: string): EntityDescription | undefined =>
  byTypename.get(typename);

export const fieldOf = (
  entity: EntityDescription | undefined,
  name: string,
): FieldDescription | undefined => entity?.fields.find((field) => field.name === name);

/**
 * The field that names an entity in a title: its first String field (a Task's title, a
 * Project's name). Null when the entity has none; it is then named by type and id.
 */
export function titleFieldOf(entity: EntityDescription): FieldDescription | null {
  return (
    entity.fields.find(
      (field) => field.kind === 'SCALAR' && field.scalar === 'String' && !field.list,
    ) ?? null
  );
}

/**
 * The words of a name, lower case: `estimateMinutes` -> "estimate minutes", `WORK_ORDER` and
 * `WorkOrder` -> "work order", `gateCode2` -> "gate code 2".
 */
export function wordsOf(name: string): string {
  return name
    .replace(/^_+/, '')
    .replace(/_+/g, ' ')
    .replace(/([a-z\d])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/([a-zA-Z])(\d)/g, '$1 $2')
    .trim()
    .toLowerCase();
}

/** A label that starts a sentence or a heading: `WORK_ORDER` -> "Work order". */
export function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** An entity type in running text: "work order". */
export const entityLabel = (entity: EntityDescription): string => wordsOf(entity.name);

/** An entity type value, known or not (a conflict of a type this build lacks still shows). */
export function entityTypeLabel(entityType: string): string {
  const entity = entityOfType(entityType);
  return entity ? entityLabel(entity) : wordsOf(entityType);
}

/** A conflict's field: the model's field, or "deleted" for an edit of a deleted entity. */
export function fieldLabel(name: string): string {
  return name === '_deleted' ? 'deleted' : wordsOf(name);
}

/** An enum value as people read it: `IN_PROGRESS` -> "In progress". */
export const enumValueLabel = (value: string): string => capitalized(wordsOf(value));

/** The patch field `tagsAdd` of an entity, with the model field and role it stands for. */
export function patchFieldOf(entity: EntityDescription | undefined, name: string) {
  for (const field of entity?.fields ?? []) {
    const patchField = field.patchFields.find((candidate) => candidate.name === name);
    if (patchField) return { field, role: patchField.role };
  }
  return undefined;
}

/** How a patch field reads: "tags: add", "time spent minutes: add to the total". */
export function patchFieldLabel(entity: EntityDescription | undefined, name: string): string {
  const found = patchFieldOf(entity, name);
  if (!found) return wordsOf(name);
  const label = wordsOf(found.field.name);
  switch (found.role) {
    case 'ADD':
      return `${label}: add`;
    case 'REMOVE':
      return `${label}: remove`;
    case 'DELTA':
      return `${label}: change by`;
    default:
      return label;
  }
}
