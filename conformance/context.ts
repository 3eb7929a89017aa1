/**
 * What every check shares: the server client, the documents, the workspace and its users,
 * the entities created so far, and the record of checks.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import type {
  EntityDescription,
  FieldDescription,
  JsonValue,
  ModelDescription,
} from '../model/index.ts';
import { type ConformanceClient, describeError, type GraphQLResult } from './client.ts';
import { buildDocuments, type Documents } from './documents.ts';
import { setItems, type ValueWorld, validDeltas, validValues } from './values.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export type Entity = Record<string, unknown> & {
  __typename: string;
  id: string;
  version: number;
  deleted: boolean;
};

export interface Conflict {
  id: string;
  entityType: string;
  entityId: string;
  field: string;
  baseValue: unknown;
  localValue: unknown;
  serverValue: unknown;
  status: string;
  resolution: unknown;
}

export interface ChangeResult {
  mutationId: string;
  status: 'APPLIED' | 'MERGED' | 'CONFLICT' | 'REJECTED' | 'DUPLICATE';
  mergedFields: string[];
  entity: Entity | null;
  conflict: Conflict | null;
  error: { code: string; message: string; field: string | null } | null;
}

export interface Change {
  entity: EntityDescription;
  id: string;
  baseVersion?: number | null;
  hlc?: string;
  delete?: boolean;
  patch?: Record<string, JsonValue>;
}

/** A failed expectation: its message is the check's detail. */
export class CheckFailure extends Error {}

export function expectThat(condition: boolean, detail: string): asserts condition {
  if (!condition) throw new CheckFailure(detail);
}

export const show = (value: unknown): string => {
  const text = JSON.stringify(value);
  return text && text.length > 120 ? `${text.slice(0, 117)}...` : String(text);
};

/** Values for a check's name: long strings by their length, so a line stays readable. */
export const brief = (values: readonly unknown[]): string =>
  values
    .map((value) =>
      typeof value === 'string' && [...value].length > 40
        ? `${JSON.stringify(`${[...value].slice(0, 3).join('')}...`)} (${[...value].length} characters)`
        : JSON.stringify(value),
    )
    .join(', ');

/** A hybrid logical clock stamp `offsetMs` from now (negative: in the past). */
export const stamp = (offsetMs: number): string => `${Date.now() + offsetMs}:0`;

export interface Users {
  admin: string;
  editor: string;
  otherEditor: string;
  outsider: string;
}

export class RunContext {
  readonly docs: Documents;
  readonly checks: CheckResult[] = [];
  readonly users: Users;
  workspaceId = '';
  /** The workspace cursor before the suite wrote anything. */
  startCursor = '';
  /** Two live entities of each type, created in dependency order: what @ref values name. */
  readonly anchors = new Map<string, Entity[]>();
  /** Every entity the suite created, latest state seen. */
  readonly known = new Map<string, Entity>();
  /** Conflicts opened by the strategy checks, to be listed and resolved. */
  readonly openedConflicts: { conflict: Conflict; entity: EntityDescription }[] = [];
  readonly world: ValueWorld;

  constructor(
    readonly client: ConformanceClient,
    readonly model: ModelDescription,
    private readonly log: (result: CheckResult) => void,
  ) {
    this.docs = buildDocuments(model);
    const run = randomBytes(4).toString('hex');
    this.users = {
      admin: `conformance-${run}-admin`,
      editor: `conformance-${run}-editor`,
      otherEditor: `conformance-${run}-editor2`,
      outsider: `conformance-${run}-outsider`,
    };
    this.world = {
      liveIds: (name) => (this.anchors.get(name) ?? []).map((entity) => entity.id),
      memberIds: [this.users.editor, this.users.otherEditor],
      nonMemberId: this.users.outsider,
      missingId: `missing-${run}-${randomBytes(6).toString('hex')}`,
    };
  }

  /** Runs one check; a thrown error fails it with the error as detail. Returns whether it passed. */
  async check(name: string, body: () => Promise<string | undefined>): Promise<boolean> {
    let result: CheckResult;
    try {
      result = { name, ok: true, detail: (await body()) ?? '' };
    } catch (error) {
      result = { name, ok: false, detail: describeError(error) };
    }
    this.checks.push(result);
    this.log(result);
    return result.ok;
  }

  entity(name: string): EntityDescription {
    const entity = this.model.entities.find((candidate) => candidate.name === name);
    if (!entity) throw new Error(`no entity ${name} in the model`);
    return entity;
  }

  /** Pushes changes as `userId` from `clientId`; the raw answer (request errors included). */
  async pushRaw(
    userId: string,
    clientId: string,
    changes: Change[],
  ): Promise<GraphQLResult<{ pushChanges: { cursor: string; results: ChangeResult[] } }>> {
    const input = {
      workspaceId: this.workspaceId,
      clientId,
      changes: changes.map((change) => ({
        [change.entity.changeInputKey]: {
          mutationId: randomUUID(),
          id: change.id,
          ...(change.baseVersion !== undefined ? { baseVersion: change.baseVersion } : {}),
          ...(change.hlc !== undefined ? { hlc: change.hlc } : {}),
          ...(change.delete ? { delete: true } : {}),
          ...(change.patch ? { patch: change.patch } : {}),
        },
      })),
    };
    const result = await this.client.request<{
      pushChanges: { cursor: string; results: ChangeResult[] };
    }>(userId, this.docs.push, { input });
    for (const change of result.data?.pushChanges.results ?? []) this.remember(change.entity);
    return result;
  }

  async push(userId: string, clientId: string, changes: Change[]): Promise<ChangeResult[]> {
    const result = await this.pushRaw(userId, clientId, changes);
    if (result.errors?.length || !result.data) {
      throw new CheckFailure(`pushChanges failed: ${show(result.errors)}`);
    }
    return result.data.pushChanges.results;
  }

  async pushOne(userId: string, clientId: string, change: Change): Promise<ChangeResult> {
    const [result] = await this.push(userId, clientId, [change]);
    if (!result) throw new CheckFailure('pushChanges answered no result');
    return result;
  }

  /** Pushes one change that must apply; returns the entity as the server now has it. */
  async apply(userId: string, clientId: string, change: Change): Promise<Entity> {
    const result = await this.pushOne(userId, clientId, change);
    expectThat(
      (result.status === 'APPLIED' || result.status === 'MERGED') && result.entity !== null,
      `${change.entity.name} ${change.id}: expected APPLIED, got ${result.status} ${show(result.error)}`,
    );
    return result.entity as Entity;
  }

  remember(entity: Entity | null | undefined): void {
    if (!entity) return;
    const previous = this.known.get(entity.id);
    if (!previous || previous.version <= entity.version) this.known.set(entity.id, entity);
  }

  /** The entity as the server has it now, by its query field. */
  async read(entity: EntityDescription, id: string): Promise<Entity | null> {
    const data = await this.client.data<Record<string, Entity | null>>(
      this.users.admin,
      this.docs.byId(entity),
      { id },
    );
    const found = data[entity.queryField] ?? null;
    this.remember(found);
    return found;
  }

  /** The latest known version of an entity (what an update's baseVersion is). */
  version(id: string): number {
    const entity = this.known.get(id);
    if (!entity) throw new Error(`entity ${id} was never seen`);
    return entity.version;
  }

  /**
   * A create patch: the required fields, or (`full`) every field, with valid values. @ref
   * fields name anchors, so the referenced entities must exist first.
   */
  createPatch(entity: EntityDescription, full: boolean): Record<string, JsonValue> {
    const patch: Record<string, JsonValue> = {};
    for (const field of entity.fields) {
      const required = entity.requiredOnCreate.includes(field.name);
      if (!required && !full) continue;
      for (const patchField of field.patchFields) {
        const value = this.firstValue(field, patchField.role);
        if (value !== undefined) patch[patchField.name] = value;
      }
    }
    return patch;
  }

  private firstValue(field: FieldDescription, role: string): JsonValue | undefined {
    if (role === 'VALUE') return validValues(field, this.world)[0];
    if (role === 'ADD') return setItems(field, 1);
    if (role === 'DELTA') return validDeltas(field)[0];
    return undefined;
  }
}

/**
 * Entities in an order where every required @ref's target comes before the entities that
 * name it, when the model allows one (optional refs are filled once every type exists). A cycle through required refs cannot be created by anyone; those
 * entities come last and their creates fail with the server's own answer.
 */
export function dependencyOrder(model: ModelDescription): EntityDescription[] {
  const ordered: EntityDescription[] = [];
  const placed = new Set<string>();
  const refsOf = (entity: EntityDescription) =>
    entity.fields
      .filter((field) => field.ref && entity.requiredOnCreate.includes(field.name))
      .map((field) => field.ref as string);
  for (
    let round = 0;
    round < model.entities.length && ordered.length < model.entities.length;
    round++
  ) {
    for (const entity of model.entities) {
      if (placed.has(entity.name)) continue;
      if (refsOf(entity).every((target) => placed.has(target))) {
        ordered.push(entity);
        placed.add(entity.name);
      }
    }
  }
  for (const entity of model.entities) if (!placed.has(entity.name)) ordered.push(entity);
  return ordered;
}
