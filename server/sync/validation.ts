/**
 * Validation of one change's identity and patch (docs/protocol.md, Pushing changes: pushChanges,
 * and Ids). Pure: no database, so references (does a @ref id exist?) are checked by the push
 * engine. Patch rules come from the entity's description in the model (model.graphql): field
 * types, nullability, @length, @items, @range, @ascii, @pattern, @counter(maxDelta:), @member
 * and @owner; the limits of the platform itself (ids, user ids, dates, JSON) are in `limits`.
 *
 * Each validator returns the FIRST problem found, or null. The order is fixed (unknown fields,
 * then the patch fields in the order of the GraphQL input type, then rules across fields), so
 * the same patch always reports the same problem whatever the order of its keys.
 *
 * Patch values: undefined or absent means "not changed"; null means "clear" for nullable
 * fields and is a problem for the others. Lengths count Unicode code points, as PostgreSQL's
 * char_length does, so an emoji is one character.
 */

import type {
  EntityDescription,
  FieldDescription,
  PatchFieldDescription,
} from '../../model/index.ts';
import { isValidHlc } from '../../model/merge/index.ts';

export interface FieldProblem {
  /** The patch field name (a value, add, remove or delta field); or 'id', 'mutationId', 'clientId', 'hlc'. */
  field: string;
  message: string;
}

/**
 * The limits of the platform, in one place so that documentation and tests refer to the same
 * numbers. Limits of one field (lengths, ranges, items, deltas) are directives of the model.
 */
export const limits = {
  /** Entity and workspace ids: 1..64 of [A-Za-z0-9_-]; UUIDv7, ULID and nanoid fit. */
  idMaxLength: 64,
  /** clientId: same alphabet as ids. */
  clientIdMaxLength: 64,
  /** mutationId: 1..128 printable ASCII characters without spaces (U+0021..U+007E). */
  mutationIdMaxLength: 128,
  /**
   * User ids (a JWT `sub`: @member and @owner fields, actors), checked as server/auth checks
   * them: 1..128 UTF-16 units, no control characters.
   */
  userIdMaxLength: 128,
  /** Workspace names: 1..200 characters, not blank. */
  workspaceNameMaxLength: 200,
  /** Int fields and Int counter totals are 32-bit integers, as GraphQL's Int and the column. */
  intMin: -2_147_483_648,
  intMax: 2_147_483_647,
  /** DateTime fields: 1970-01-01T00:00:00.000Z .. 9999-12-31T23:59:59.999Z, as epoch milliseconds. */
  dateMinMillis: Date.UTC(1970, 0, 1),
  dateMaxMillis: Date.UTC(9999, 11, 31, 23, 59, 59, 999),
  /** JSON fields: at most this many characters of JSON text. */
  jsonMaxLength: 100_000,
} as const;

type Mode = 'create' | 'update';
type Patch = Record<string, unknown>;
/** Returns the problem's message, or null when the value is acceptable. */
type Check = (value: unknown) => string | null;

interface PatchFieldRule {
  name: string;
  /** null clears the field; otherwise null is a problem. */
  nullable: boolean;
  check: Check;
}

/** An entity's patch rules, derived once from its description. */
interface PatchRules {
  typeName: string;
  /** In the order of the GraphQL input type: the order problems are looked for. */
  fields: readonly PatchFieldRule[];
  names: ReadonlySet<string>;
  requiredOnCreate: readonly string[];
  across: readonly ((patch: Patch) => FieldProblem | null)[];
}

const ID_PATTERN = /^[A-Za-z0-9_-]+$/;
const MUTATION_ID_PATTERN = /^[\x21-\x7E]+$/;
const PRINTABLE_ASCII = /^[\x20-\x7E]*$/;
const CONTROL_CHARACTER = /\p{Cc}/u;
// Without the u flag each surrogate is its own unit, so the lookarounds find unpaired ones.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The first problem of a patch of `entity` (model.graphql), or null. */
export function validatePatch(
  entity: EntityDescription,
  patch: Patch,
  mode: Mode,
): FieldProblem | null {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    return { field: 'patch', message: 'must be an object' };
  }
  const rules = rulesOf(entity);
  const unknown = Object.keys(patch).find(
    (field) => !rules.names.has(field) && patch[field] !== undefined,
  );
  if (unknown !== undefined) {
    return { field: unknown, message: `is not a field of ${rules.typeName}` };
  }
  for (const rule of rules.fields) {
    const value = Object.hasOwn(patch, rule.name) ? patch[rule.name] : undefined;
    const required = mode === 'create' && rules.requiredOnCreate.includes(rule.name);
    const problem = problemOf(rule.name, checkField(rule, value, required));
    if (problem) return problem;
  }
  for (const check of rules.across) {
    const problem = check(patch);
    if (problem) return problem;
  }
  return null;
}

export function validateEntityId(id: string): FieldProblem | null {
  return problemOf('id', checkId(id));
}

export function validateClientId(id: string): FieldProblem | null {
  return problemOf('clientId', checkClientId(id));
}

export function validateMutationId(id: string): FieldProblem | null {
  return problemOf('mutationId', checkMutationId(id));
}

export function validateHlcField(hlc: string): FieldProblem | null {
  return problemOf('hlc', checkHlc(hlc));
}

/** A user id (a JWT subject), as @member and @owner fields hold. */
export function validateUserId(field: string, userId: unknown): FieldProblem | null {
  return problemOf(field, checkUserId(userId));
}

export function validateWorkspaceName(name: unknown): FieldProblem | null {
  return problemOf(
    'name',
    checkText({ notBlank: true, maxLength: limits.workspaceNameMaxLength })(name),
  );
}

function checkField(rule: PatchFieldRule, value: unknown, required: boolean): string | null {
  if (value === undefined) return required ? 'is required' : null;
  if (value === null) return rule.nullable ? null : 'must not be null';
  return rule.check(value);
}

function problemOf(field: string, message: string | null): FieldProblem | null {
  return message === null ? null : { field, message };
}

// ---- rules from the model ------------------------------------------------------------------

const rulesByEntity = new WeakMap<EntityDescription, PatchRules>();

function rulesOf(entity: EntityDescription): PatchRules {
  let rules = rulesByEntity.get(entity);
  if (!rules) {
    rules = deriveRules(entity);
    rulesByEntity.set(entity, rules);
  }
  return rules;
}

function deriveRules(entity: EntityDescription): PatchRules {
  const fieldOf = new Map(entity.fields.map((field) => [field.name, field]));
  const fields = entity.patchFields.map((patchField) => {
    const field = fieldOf.get(patchField.field) as FieldDescription;
    return ruleOf(field, patchField);
  });
  const across = entity.fields
    .filter((field) => field.strategy === 'SET')
    .map((field) => disjointOperations(field));
  return {
    typeName: entity.patchInput,
    fields,
    names: new Set(fields.map((rule) => rule.name)),
    requiredOnCreate: entity.requiredOnCreate,
    across,
  };
}

function ruleOf(field: FieldDescription, patchField: PatchFieldDescription): PatchFieldRule {
  const name = patchField.name;
  switch (patchField.role) {
    case 'ADD':
    case 'REMOVE':
      return { name, nullable: false, check: checkSetOperation(field) };
    case 'DELTA':
      return { name, nullable: false, check: checkDelta(field) };
    default:
      return { name, nullable: field.nullable, check: checkValue(field) };
  }
}

/** The check of a single value of the field's type and directives. */
function checkValue(field: FieldDescription): Check {
  const { constraints } = field;
  if (field.kind === 'ENUM') return checkEnum(field.enumValues ?? []);
  switch (field.scalar) {
    case 'ID':
      return all(field.member || field.owner ? checkUserId : checkId, checkPattern(field));
    case 'Int':
      return checkNumber({
        integer: true,
        min: constraints.min ?? limits.intMin,
        max: constraints.max ?? limits.intMax,
      });
    case 'Float':
      return checkNumber({ integer: false, min: constraints.min, max: constraints.max });
    case 'Boolean':
      return checkBoolean;
    case 'DateTime':
      return checkDate;
    case 'JSON':
      return checkJson;
    default:
      return all(
        checkText({ notBlank: constraints.notBlank, maxLength: constraints.maxLength }),
        constraints.ascii ? checkAscii : null,
        checkPattern(field),
      );
  }
}

function all(...checks: (Check | null)[]): Check {
  const present = checks.filter((check): check is Check => check !== null);
  return (value) => {
    for (const check of present) {
      const problem = check(value);
      if (problem) return problem;
    }
    return null;
  };
}

// ---- checks ---------------------------------------------------------------------------

/** Every string: PostgreSQL text rejects NUL, and a lone surrogate cannot be encoded as UTF-8. */
function checkString(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(value)) return 'must not contain unpaired surrogate characters';
  return null;
}

function checkText(options: { notBlank: boolean; maxLength: number | null }): Check {
  return (value) => {
    const problem = checkString(value);
    if (problem) return problem;
    const text = value as string;
    if (options.notBlank && text.trim() === '') return 'must not be blank';
    if (options.maxLength !== null && codePointLength(text) > options.maxLength) {
      return `must be at most ${options.maxLength} characters`;
    }
    return null;
  };
}

/** @ascii: for ASCII, JavaScript's order equals byte order (PostgreSQL COLLATE "C"). */
function checkAscii(value: unknown): string | null {
  return PRINTABLE_ASCII.test(value as string)
    ? null
    : 'must contain only printable ASCII characters';
}

function checkPattern(field: FieldDescription): Check | null {
  const pattern = field.constraints.pattern;
  if (!pattern) return null;
  const regex = new RegExp(pattern.regex, 'u');
  return (value) => (regex.test(value as string) ? null : `must be ${pattern.description}`);
}

function checkId(value: unknown): string | null {
  return checkAsciiId(value, limits.idMaxLength);
}

function checkClientId(value: unknown): string | null {
  return checkAsciiId(value, limits.clientIdMaxLength);
}

function checkAsciiId(value: unknown, maxLength: number): string | null {
  const problem = checkString(value);
  if (problem) return problem;
  const id = value as string;
  if (id.length === 0 || id.length > maxLength || !ID_PATTERN.test(id)) {
    return `must be 1 to ${maxLength} characters of A-Z, a-z, 0-9, _ and -`;
  }
  return null;
}

function checkMutationId(value: unknown): string | null {
  const problem = checkString(value);
  if (problem) return problem;
  const id = value as string;
  if (id.length === 0 || id.length > limits.mutationIdMaxLength || !MUTATION_ID_PATTERN.test(id)) {
    return `must be 1 to ${limits.mutationIdMaxLength} printable ASCII characters without spaces`;
  }
  return null;
}

function checkUserId(value: unknown): string | null {
  const problem = checkString(value);
  if (problem) return problem;
  const id = value as string;
  if (id.length === 0 || id.length > limits.userIdMaxLength || CONTROL_CHARACTER.test(id)) {
    return `must be 1 to ${limits.userIdMaxLength} characters without control characters`;
  }
  return null;
}

function checkHlc(value: unknown): string | null {
  const problem = checkString(value);
  if (problem) return problem;
  if (!isValidHlc(value as string)) {
    return 'must be a hybrid logical clock "<unixMillis>:<counter>" (counter below 2^31)';
  }
  return null;
}

function checkBoolean(value: unknown): string | null {
  return typeof value === 'boolean' ? null : 'must be a boolean';
}

function checkNumber(options: { integer: boolean; min: number | null; max: number | null }): Check {
  const { integer, min, max } = options;
  const kind = integer ? 'an integer' : 'a number';
  const message =
    min !== null && max !== null
      ? `must be ${kind} from ${min} to ${max}`
      : min !== null
        ? `must be ${kind} of at least ${min}`
        : max !== null
          ? `must be ${kind} of at most ${max}`
          : `must be ${integer ? 'an integer' : 'a finite number'}`;
  return (value) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) return message;
    if (integer && !Number.isInteger(value)) return message;
    if ((min !== null && value < min) || (max !== null && value > max)) return message;
    return null;
  };
}

function checkEnum(values: readonly string[]): Check {
  return (value) =>
    typeof value === 'string' && values.includes(value)
      ? null
      : `must be one of ${values.join(', ')}`;
}

function checkDate(value: unknown): string | null {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) return 'must be a valid date';
  const time = value.getTime();
  if (time < limits.dateMinMillis || time > limits.dateMaxMillis) {
    return 'must be between 1970-01-01 and 9999-12-31 (UTC)';
  }
  return null;
}

/** Any JSON value (what the JSON scalar parses), bounded so one field cannot fill a row. */
function checkJson(value: unknown): string | null {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return 'must be a JSON value';
  }
  if (text === undefined) return 'must be a JSON value';
  if (text.length > limits.jsonMaxLength) {
    return `must be at most ${limits.jsonMaxLength} characters as JSON`;
  }
  return null;
}

/** A counter's delta: non-zero, at most @counter(maxDelta:) in size, whole for an Int. */
function checkDelta(field: FieldDescription): Check {
  const integer = field.scalar === 'Int';
  const max = field.constraints.maxDelta ?? (integer ? limits.intMax : null);
  const kind = integer ? 'integer' : 'finite number';
  const message =
    max === null
      ? `must be a non-zero ${kind}`
      : `must be a non-zero ${kind} from -${max} to ${max}`;
  return (value) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value === 0) return message;
    if (integer && !Number.isInteger(value)) return message;
    return max !== null && Math.abs(value) > max ? message : null;
  };
}

/** An add or remove operation of a @set field: a list of at most @items items. */
function checkSetOperation(field: FieldDescription): Check {
  const noun = itemNoun(field.name);
  const maxItems = field.constraints.maxItems;
  const checkItem = setItemCheck(field);
  return (value) => {
    if (!Array.isArray(value)) return `must be a list of ${noun.plural}`;
    if (maxItems !== null && value.length > maxItems) {
      return `must contain at most ${maxItems} ${noun.plural}`;
    }
    for (const item of value) {
      const problem = checkItem(item);
      if (problem) return `each ${noun.singular} ${problem}`;
    }
    return null;
  };
}

function setItemCheck(field: FieldDescription): Check {
  if (field.kind === 'ENUM') return checkEnum(field.enumValues ?? []);
  if (field.scalar === 'ID') return checkId;
  return checkSetText(field.constraints.maxLength);
}

/** Items are compared exactly, so "bug " and "bug" would be two items that look like one. */
function checkSetText(maxLength: number | null): Check {
  return (item) => {
    const problem = checkString(item);
    if (problem) return problem;
    const text = item as string;
    if (text.trim() === '') return 'must not be blank';
    if (text.trim() !== text) return 'must not start or end with whitespace';
    if (CONTROL_CHARACTER.test(text)) return 'must not contain control characters';
    if (maxLength !== null && codePointLength(text) > maxLength) {
      return `must be at most ${maxLength} characters`;
    }
    return null;
  };
}

/** One change may not both add and remove an item: which one it meant is unknowable. */
function disjointOperations(field: FieldDescription): (patch: Patch) => FieldProblem | null {
  const add = field.patchFields.find((patchField) => patchField.role === 'ADD')?.name ?? '';
  const remove = field.patchFields.find((patchField) => patchField.role === 'REMOVE')?.name ?? '';
  const { singular } = itemNoun(field.name);
  return (patch) => {
    const added = patch[add];
    const removed = patch[remove];
    if (!Array.isArray(added) || !Array.isArray(removed)) return null;
    const both = removed.find((item) => added.includes(item));
    return both === undefined
      ? null
      : { field: remove, message: `must not contain a ${singular} that is also in ${add}` };
  };
}

/**
 * How messages name the items of a set field: `tags` -> "tag" / "tags", `requiredSkills` ->
 * "required skill" / "required skills".
 */
export function itemNoun(fieldName: string): { singular: string; plural: string } {
  const plural = wordsOf(fieldName);
  const singular = plural.endsWith('ies')
    ? `${plural.slice(0, -3)}y`
    : /(s|x|z|ch|sh)es$/.test(plural)
      ? plural.slice(0, -2)
      : plural.endsWith('s') && !plural.endsWith('ss')
        ? plural.slice(0, -1)
        : plural;
  return { singular, plural };
}

/** A model name as words of a sentence: `WorkOrder` -> "work order", `authorId` -> "author id". */
export function wordsOf(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

export function codePointLength(text: string): number {
  let length = text.length;
  for (let index = 0; index < text.length - 1; index++) {
    const unit = text.charCodeAt(index);
    const next = text.charCodeAt(index + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      length--;
      index++;
    }
  }
  return length;
}
