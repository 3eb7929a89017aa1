/**
 * Checks of one entity at a time: creates and defaults, valid values, every refused value,
 * references and the owner rule. Each loops over the model; none names a type.
 */

import { randomUUID } from 'node:crypto';
import type { EntityDescription, FieldDescription, JsonValue } from '../model/index.ts';
import {
  brief,
  type ChangeResult,
  type Entity,
  expectThat,
  type RunContext,
  show,
} from './context.ts';
import {
  canonical,
  type InvalidCase,
  invalidCases,
  sameValue,
  setItems,
  validDeltas,
  validValues,
} from './values.ts';

export const CLIENT_A = 'conformance-client-a';
export const CLIENT_B = 'conformance-client-b';

const setOf = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/** What a field holds after a create that carried `patch`, by the model's rules. */
function expectedAfterCreate(
  field: FieldDescription,
  patch: Record<string, JsonValue>,
  creator: string,
): unknown {
  if (field.owner) return creator;
  let value: unknown = field.hasDefault ? field.defaultValue : null;
  for (const patchField of field.patchFields) {
    const sent = patch[patchField.name];
    if (sent === undefined) continue;
    if (patchField.role === 'VALUE') value = sent;
    if (patchField.role === 'ADD') value = [...setOf(value), ...setOf(sent)];
    if (patchField.role === 'DELTA') value = Number(value ?? 0) + Number(sent);
  }
  return value;
}

function compareFields(
  entity: EntityDescription,
  actual: Entity,
  expected: (field: FieldDescription) => unknown,
): string[] {
  const differences: string[] = [];
  for (const field of entity.fields) {
    const want = expected(field);
    const same = field.list
      ? canonical([...setOf(actual[field.name])].sort()) === canonical([...setOf(want)].sort())
      : sameValue(field, actual[field.name], want);
    if (!same)
      differences.push(`${field.name} is ${show(actual[field.name])}, expected ${show(want)}`);
  }
  return differences;
}

/** Two anchors per type, in dependency order: the targets of @ref values in later checks. */
export async function checkCreatesWithDefaults(ctx: RunContext, ordered: EntityDescription[]) {
  const { admin } = ctx.users;
  for (const entity of ordered) {
    await ctx.check(
      `${entity.name}: a create with only the required fields takes the defaults`,
      async () => {
        const anchors: Entity[] = [];
        const patch = ctx.createPatch(entity, false);
        for (let i = 0; i < 2; i++) {
          anchors.push(
            await ctx.apply(admin, CLIENT_A, { entity, id: randomUUID(), baseVersion: 0, patch }),
          );
        }
        ctx.anchors.set(entity.name, anchors);
        const created = anchors[0] as Entity;
        expectThat(created.__typename === entity.name, `__typename is ${created.__typename}`);
        expectThat(
          created.version === 1 && created.deleted === false,
          `version ${created.version}, deleted ${created.deleted}`,
        );
        const differences = compareFields(entity, created, (field) =>
          expectedAfterCreate(field, patch, admin),
        );
        expectThat(differences.length === 0, differences.join('; '));
        const read = await ctx.read(entity, created.id);
        expectThat(read !== null, `${entity.queryField}(id:) answers null for ${created.id}`);
        const readDifferences = compareFields(entity, read, (field) => created[field.name]);
        expectThat(
          readDifferences.length === 0,
          `${entity.queryField}(id:): ${readDifferences.join('; ')}`,
        );
        const defaulted = entity.fields.filter((field) => patch[field.name] === undefined);
        return `sent ${Object.keys(patch).join(', ') || 'nothing'}; ${defaulted.length} fields took their defaults`;
      },
    );
  }
}

export async function checkFullCreates(ctx: RunContext) {
  for (const entity of ctx.model.entities) {
    await ctx.check(`${entity.name}: a create with every field set keeps every value`, async () => {
      const patch = ctx.createPatch(entity, true);
      const created = await ctx.apply(ctx.users.admin, CLIENT_A, {
        entity,
        id: randomUUID(),
        baseVersion: 0,
        patch,
      });
      const differences = compareFields(entity, created, (field) =>
        expectedAfterCreate(field, patch, ctx.users.admin),
      );
      expectThat(differences.length === 0, differences.join('; '));
      return `${Object.keys(patch).length} patch fields`;
    });
  }
}

/** A fresh entity with every field set, for checks that must not disturb the anchors. */
export async function freshEntity(
  ctx: RunContext,
  entity: EntityDescription,
  userId = ctx.users.admin,
) {
  return ctx.apply(userId, CLIENT_A, {
    entity,
    id: randomUUID(),
    baseVersion: 0,
    patch: ctx.createPatch(entity, true),
  });
}

function anchorOf(ctx: RunContext, entity: EntityDescription): Entity {
  const anchor = ctx.anchors.get(entity.name)?.[0];
  expectThat(anchor !== undefined, `no ${entity.name} could be created (see its create check)`);
  return anchor;
}

export async function checkValidValues(ctx: RunContext) {
  const { admin } = ctx.users;
  for (const entity of ctx.model.entities) {
    for (const field of entity.fields) {
      for (const patchField of field.patchFields) {
        if (patchField.role === 'VALUE') {
          const values = validValues(field, ctx.world);
          await ctx.check(`${entity.name}.${field.name}: accepts ${brief(values)}`, async () => {
            expectThat(
              values.length > 0,
              'the suite found no valid value for this field (an unsupported @pattern?)',
            );
            const { id } = anchorOf(ctx, entity);
            for (const value of values) {
              const updated = await ctx.apply(admin, CLIENT_A, {
                entity,
                id,
                baseVersion: ctx.version(id),
                patch: { [patchField.name]: value },
              });
              expectThat(
                sameValue(field, updated[field.name], value),
                `${show(value)} came back as ${show(updated[field.name])}`,
              );
            }
            return `${values.length} values`;
          });
        }
        if (patchField.role === 'DELTA') {
          const deltas = validDeltas(field);
          await ctx.check(
            `${entity.name}.${field.name}: deltas ${brief(deltas)} through ${patchField.name} add up`,
            async () => {
              const { id } = anchorOf(ctx, entity);
              let total = Number(ctx.known.get(id)?.[field.name] ?? 0);
              for (const delta of deltas) {
                const updated = await ctx.apply(admin, CLIENT_A, {
                  entity,
                  id,
                  baseVersion: ctx.version(id),
                  patch: { [patchField.name]: delta },
                });
                total += delta;
                expectThat(
                  Math.abs(Number(updated[field.name]) - total) < 1e-9,
                  `after ${delta}: ${updated[field.name]}, expected ${total}`,
                );
              }
              return `total ${total}`;
            },
          );
        }
      }
      const add = field.patchFields.find((patchField) => patchField.role === 'ADD');
      const remove = field.patchFields.find((patchField) => patchField.role === 'REMOVE');
      if (add && remove) {
        await ctx.check(
          `${entity.name}.${field.name}: ${add.name} and ${remove.name} change the set`,
          async () => {
            const { id } = anchorOf(ctx, entity);
            const items = setItems(field, 2, 1);
            expectThat(items.length === 2, 'fewer than 3 distinct items available');
            const added = await ctx.apply(admin, CLIENT_A, {
              entity,
              id,
              baseVersion: ctx.version(id),
              patch: { [add.name]: items },
            });
            expectThat(
              items.every((item) => setOf(added[field.name]).includes(item)),
              `after adding ${show(items)}: ${show(added[field.name])}`,
            );
            const removed = await ctx.apply(admin, CLIENT_A, {
              entity,
              id,
              baseVersion: ctx.version(id),
              patch: { [remove.name]: [items[0] as string] },
            });
            const now = setOf(removed[field.name]);
            expectThat(
              !now.includes(items[0] as string) && now.includes(items[1] as string),
              `after removing ${items[0]}: ${show(now)}`,
            );
            return show(now);
          },
        );
      }
    }
  }
}

function describeRefusal(result: ChangeResult | undefined): string {
  if (!result) return 'no result';
  return `${result.status} ${result.error ? `${result.error.code} field=${result.error.field} "${result.error.message}"` : ''}`;
}

async function checkInvalidCase(ctx: RunContext, entity: EntityDescription, refused: InvalidCase) {
  const { admin } = ctx.users;
  const anchor = anchorOf(ctx, entity);
  const change =
    refused.mode === 'create'
      ? (() => {
          const patch = ctx.createPatch(entity, false);
          delete patch[refused.patchField];
          return { entity, id: randomUUID(), baseVersion: 0, patch };
        })()
      : {
          entity,
          id: anchor.id,
          baseVersion: ctx.version(anchor.id),
          patch: { [refused.patchField]: refused.value },
        };
  const answer = await ctx.pushRaw(admin, CLIENT_A, [change]);
  if (answer.errors?.length) {
    const code = answer.errors[0]?.extensions?.code;
    expectThat(
      refused.refusedByInputType === true && code === 'BAD_USER_INPUT',
      `request refused with ${code}: ${answer.errors[0]?.message}`,
    );
    return `refused by the input type (BAD_USER_INPUT)`;
  }
  const result = answer.data?.pushChanges.results[0];
  const { expect } = refused;
  expectThat(
    result?.status === 'REJECTED' &&
      result.error?.code === expect.code &&
      result.error.field === expect.field,
    `expected REJECTED ${expect.code} field=${expect.field}, got ${describeRefusal(result)}`,
  );
  if (expect.messageIncludes) {
    expectThat(
      result.error?.message.includes(expect.messageIncludes) === true,
      `message "${result.error?.message}" does not say "${expect.messageIncludes}"`,
    );
  }
  return `${expect.code}: ${result.error?.message}`;
}

export async function checkRefusals(ctx: RunContext) {
  for (const entity of ctx.model.entities) {
    const versionBefore = ctx.anchors.get(entity.name)?.[0];
    for (const field of entity.fields) {
      for (const refused of invalidCases(entity, field, ctx.world)) {
        const target = refused.mode === 'create' ? 'a create' : refused.patchField;
        await ctx.check(
          `${entity.name}.${field.name}: ${target} refuses ${refused.description} (${refused.rule})`,
          () => checkInvalidCase(ctx, entity, refused),
        );
      }
    }
    if (!versionBefore) continue;
    await ctx.check(`${entity.name}: refused changes applied nothing`, async () => {
      const known = ctx.version(versionBefore.id);
      const read = await ctx.read(entity, versionBefore.id);
      expectThat(read?.version === known, `version ${read?.version}, expected ${known}`);
      return `still version ${known}`;
    });
  }
}

export async function checkReferences(ctx: RunContext) {
  const { admin } = ctx.users;
  for (const entity of ctx.model.entities) {
    for (const field of entity.fields) {
      if (!field.ref) continue;
      const target = ctx.entity(field.ref);
      await ctx.check(
        `${entity.name}.${field.name}: @ref names a live ${target.name}, not a deleted one`,
        async () => {
          const anchor = anchorOf(ctx, entity);
          const doomed = await freshEntity(ctx, target);
          const pointed = await ctx.apply(admin, CLIENT_A, {
            entity,
            id: anchor.id,
            baseVersion: ctx.version(anchor.id),
            patch: { [field.name]: doomed.id },
          });
          expectThat(
            pointed[field.name] === doomed.id,
            `${field.name} is ${show(pointed[field.name])}`,
          );
          // Point away first where the field allows it, then delete the target and point back.
          const other = anchorOf(ctx, target).id;
          await ctx.apply(admin, CLIENT_A, {
            entity,
            id: anchor.id,
            baseVersion: ctx.version(anchor.id),
            patch: { [field.name]: other },
          });
          await ctx.apply(admin, CLIENT_A, {
            entity: target,
            id: doomed.id,
            baseVersion: ctx.version(doomed.id),
            delete: true,
          });
          const result = await ctx.pushOne(admin, CLIENT_A, {
            entity,
            id: anchor.id,
            baseVersion: ctx.version(anchor.id),
            patch: { [field.name]: doomed.id },
          });
          expectThat(
            result.status === 'REJECTED' &&
              result.error?.code === 'INVALID_REFERENCE' &&
              result.error.field === field.name,
            `naming a deleted ${target.name}: ${describeRefusal(result)}`,
          );
          return `deleted target: ${result.error?.message}`;
        },
      );
    }
  }
}

/** A patch another editor may try on an owned entity: its first patchable field. */
function somePatch(entity: EntityDescription, ctx: RunContext): Record<string, JsonValue> | null {
  for (const field of entity.fields) {
    for (const patchField of field.patchFields) {
      const value =
        patchField.role === 'VALUE'
          ? (validValues(field, ctx.world)[1] ?? validValues(field, ctx.world)[0])
          : patchField.role === 'ADD'
            ? setItems(field, 1, 2)
            : patchField.role === 'DELTA'
              ? validDeltas(field)[0]
              : undefined;
      if (value !== undefined) return { [patchField.name]: value };
    }
  }
  return null;
}

export async function checkOwnerRule(ctx: RunContext) {
  const { admin, editor, otherEditor } = ctx.users;
  for (const entity of ctx.model.entities) {
    const ownerField = entity.ownerField;
    if (!ownerField) continue;
    await ctx.check(
      `${entity.name}.${ownerField}: @owner is the creator; another EDITOR is FORBIDDEN, an ADMIN may edit`,
      async () => {
        const owned = await freshEntity(ctx, entity, editor);
        expectThat(
          owned[ownerField] === editor,
          `${ownerField} is ${show(owned[ownerField])}, expected the creator ${editor}`,
        );
        const patch = somePatch(entity, ctx);
        if (patch) {
          const edit = await ctx.pushOne(otherEditor, CLIENT_B, {
            entity,
            id: owned.id,
            baseVersion: ctx.version(owned.id),
            patch,
          });
          expectThat(
            edit.status === 'REJECTED' && edit.error?.code === 'FORBIDDEN',
            `another EDITOR's edit: ${describeRefusal(edit)}`,
          );
        }
        const removal = await ctx.pushOne(otherEditor, CLIENT_B, {
          entity,
          id: owned.id,
          baseVersion: ctx.version(owned.id),
          delete: true,
        });
        expectThat(
          removal.status === 'REJECTED' && removal.error?.code === 'FORBIDDEN',
          `another EDITOR's delete: ${describeRefusal(removal)}`,
        );
        if (patch) {
          const byAdmin = await ctx.apply(admin, CLIENT_A, {
            entity,
            id: owned.id,
            baseVersion: ctx.version(owned.id),
            patch,
          });
          expectThat(
            byAdmin[ownerField] === editor,
            `after the ADMIN's edit ${ownerField} is ${show(byAdmin[ownerField])}`,
          );
          await ctx.apply(editor, CLIENT_A, {
            entity,
            id: owned.id,
            baseVersion: ctx.version(owned.id),
            patch,
          });
        }
        return patch
          ? `edit with ${Object.keys(patch).join(', ')}`
          : 'delete only (no patch field)';
      },
    );
  }
}
