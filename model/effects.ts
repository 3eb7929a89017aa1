/**
 * A patch's local (optimistic) effect on an entity: each field changes by its strategy entry's
 * `localEffect` (model/strategies.ts), which is what the server will answer when nobody wrote
 * the field concurrently. The client applies a local edit with these at once, before the server
 * has seen it. Pure and dependency-free, so the browser client imports it as the server does.
 */

import type { FieldDescription, PatchFieldDescription } from './description.ts';
import { cloneJson } from './json.ts';
import { type FieldOperations, strategies } from './strategies.ts';

/** What the effects read of a field: the client embeds a subset of the description. */
export type EffectField = Pick<
  FieldDescription,
  'name' | 'strategy' | 'patchFields' | 'hasDefault' | 'defaultValue' | 'owner'
>;

export interface EffectEntity {
  readonly name: string;
  readonly fields: readonly EffectField[];
}

/** A patch applied to an entity's field values; patch keys the entity does not have are ignored. */
export function applyLocalPatch(
  entity: EffectEntity,
  current: Readonly<Record<string, unknown>>,
  patch: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const next: Record<string, unknown> = { ...current };
  for (const field of entity.fields) {
    const operations = operationsOn(field, patch);
    if (operations)
      next[field.name] = strategies[field.strategy].localEffect(current[field.name], operations);
  }
  return next;
}

/**
 * Fields whose current value a patch builds on (set operations, counter deltas): an update
 * applied to a partial entity must read them first. Plain values replace and read nothing.
 */
export function fieldsReadByPatch(
  entity: EffectEntity,
  patch: Readonly<Record<string, unknown>>,
): string[] {
  return entity.fields
    .filter((field) =>
      field.patchFields.some((input) => input.role !== 'VALUE' && hasValue(patch, input.name)),
    )
    .map((field) => field.name);
}

/**
 * The values a create starts from before its patch applies: every @default (sets [] and
 * counters 0 included) and the @owner field, which the server sets to the creator.
 */
export function createDefaults(entity: EffectEntity, ownerId: string): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const field of entity.fields) {
    if (field.owner) values[field.name] = ownerId;
    // Defaults are frozen description data; the entity gets its own copy to change.
    else if (field.hasDefault) values[field.name] = cloneJson(field.defaultValue);
  }
  return values;
}

/** The field values a create will produce, as far as the client can tell before the server. */
export function optimisticCreateValues(
  entity: EffectEntity,
  patch: Readonly<Record<string, unknown>>,
  ownerId: string,
): Record<string, unknown> {
  return applyLocalPatch(entity, createDefaults(entity, ownerId), patch);
}

/**
 * A create's field values (a set as its items, a counter as its total) as the patch the server
 * takes: a set's items become its add field, a counter's total its delta; empty sets and zero
 * totals are left out, as the defaults already say so.
 */
export function createValuesAsPatch(
  entity: EffectEntity,
  values: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const field of entity.fields) {
    const value = values[field.name];
    if (value === undefined) continue;
    const input = createInputOf(field);
    if (!input) continue;
    if (input.role === 'ADD' && listOf(value).length === 0) continue;
    if (input.role === 'DELTA' && value === 0) continue;
    patch[input.name] = value;
  }
  return patch;
}

/**
 * Keys a create of this entity does not take: unknown names, patch-only names (`tagsAdd`) and
 * @owner fields. `id` is the client-chosen id and always allowed.
 */
export function fieldsNotCreatable(
  entity: EffectEntity,
  values: Readonly<Record<string, unknown>>,
): string[] {
  const creatable = new Set(
    entity.fields.filter((field) => createInputOf(field)).map((f) => f.name),
  );
  return Object.keys(values).filter((key) => key !== 'id' && !creatable.has(key));
}

/** Keys an update of this entity does not take: anything that is not one of its patch fields. */
export function fieldsNotPatchable(
  entity: EffectEntity,
  patch: Readonly<Record<string, unknown>>,
): string[] {
  const patchable = new Set(entity.fields.flatMap((field) => field.patchFields.map((p) => p.name)));
  return Object.keys(patch).filter((key) => !patchable.has(key));
}

// The patch field a create's value goes into: the value itself, a set's add, a counter's delta.
// None for @owner fields, which have no patch fields.
function createInputOf(field: EffectField): PatchFieldDescription | undefined {
  return (
    field.patchFields.find((input) => input.role === 'VALUE') ??
    field.patchFields.find((input) => input.role === 'ADD') ??
    field.patchFields.find((input) => input.role === 'DELTA')
  );
}

function operationsOn(
  field: EffectField,
  patch: Readonly<Record<string, unknown>>,
): FieldOperations | null {
  let operations: FieldOperations | null = null;
  for (const input of field.patchFields) {
    if (!hasValue(patch, input.name)) continue;
    operations ??= {};
    operations[input.role] = patch[input.name];
  }
  return operations;
}

// Own keys only: a field named like an Object.prototype member must not read the prototype.
function hasValue(patch: Readonly<Record<string, unknown>>, key: string): boolean {
  return Object.hasOwn(patch, key) && patch[key] !== undefined;
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
