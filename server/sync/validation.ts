/**
 * Validation of one change's identity and patch (docs/protocol.md, Pushing changes: pushChanges,
 * and Ids). Pure: no database, so references (does projectId exist?) are checked by the push
 * engine.
 *
 * Each validator returns the FIRST problem found, or null. The order is fixed (unknown fields,
 * then the fields in the order of the GraphQL input type, then rules across fields), so the
 * same patch always reports the same problem whatever the order of its keys.
 *
 * Patch values: undefined or absent means "not changed"; null means "clear" for nullable
 * fields and is a problem for the others. Lengths count Unicode code points, as PostgreSQL's
 * char_length does, so an emoji is one character.
 */

import { isValidHlc } from './hlc.ts';

export interface FieldProblem {
  /** The patch field name, e.g. 'title', 'tagsAdd'; or 'id', 'mutationId', 'clientId', 'hlc'. */
  field: string;
  message: string;
}

/** Every limit, in one place so that documentation and tests refer to the same numbers. */
export const limits = {
  /** Entity and workspace ids: 1..64 of [A-Za-z0-9_-]; UUIDv7, ULID and nanoid fit. */
  idMaxLength: 64,
  /** clientId: same alphabet as ids. */
  clientIdMaxLength: 64,
  /** mutationId: 1..128 printable ASCII characters without spaces (U+0021..U+007E). */
  mutationIdMaxLength: 128,
  /**
   * assigneeId is a user id (a JWT `sub`), checked as server/auth checks it: 1..128 UTF-16
   * units, no control characters.
   */
  userIdMaxLength: 128,
  projectNameMaxLength: 200,
  taskTitleMaxLength: 200,
  taskNotesMaxLength: 100_000,
  commentBodyMaxLength: 20_000,
  /**
   * sortKey: 0..200 printable ASCII characters (U+0020..U+007E). Fractional-index keys are
   * ASCII, and for ASCII the JavaScript order equals byte order (PostgreSQL COLLATE "C"), which
   * is not true of every non-ASCII string (astral characters sort differently).
   */
  sortKeyMaxLength: 200,
  tagMaxLength: 50,
  maxTagsPerTask: 50,
  /** Entries in one tagsAdd or one tagsRemove. */
  maxTagsPerOperation: 50,
  /** Task.timeSpentMinutes is a 32-bit integer column; a delta that would leave it is refused. */
  counterMin: -2_147_483_648,
  counterMax: 2_147_483_647,
  priorityMin: 0,
  priorityMax: 5,
  estimateMinutesMin: 0,
  estimateMinutesMax: 1_000_000,
  /** timeSpentDelta: a non-zero integer with |delta| at most this. */
  timeSpentDeltaMaxAbs: 100_000,
  /** dueAt: 1970-01-01T00:00:00.000Z .. 9999-12-31T23:59:59.999Z, as epoch milliseconds. */
  dueAtMinMillis: Date.UTC(1970, 0, 1),
  dueAtMaxMillis: Date.UTC(9999, 11, 31, 23, 59, 59, 999),
  taskStatuses: ['TODO', 'IN_PROGRESS', 'DONE'],
} as const;

type Mode = 'create' | 'update';
type Patch = Record<string, unknown>;
/** Returns the problem's message, or null when the value is acceptable. */
type Check = (value: unknown) => string | null;

interface FieldRule {
  /** null clears the field; otherwise null is a problem. */
  nullable: boolean;
  check: Check;
}

interface PatchRules {
  typeName: string;
  /** In the order of the GraphQL input type: the order problems are looked for. */
  fields: Record<string, FieldRule>;
  requiredOnCreate: readonly string[];
  across?: (patch: Patch) => FieldProblem | null;
}

const ID_PATTERN = /^[A-Za-z0-9_-]+$/;
const MUTATION_ID_PATTERN = /^[\x21-\x7E]+$/;
const COLOR_PATTERN = /^#[0-9A-Fa-f]{6}$/;
const PRINTABLE_ASCII = /^[\x20-\x7E]*$/;
const CONTROL_CHARACTER = /\p{Cc}/u;
// Without the u flag each surrogate is its own unit, so the lookarounds find unpaired ones.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function validateProjectPatch(patch: Patch, mode: Mode): FieldProblem | null {
  return validatePatch(projectRules, patch, mode);
}

export function validateTaskPatch(patch: Patch, mode: Mode): FieldProblem | null {
  return validatePatch(taskRules, patch, mode);
}

export function validateCommentPatch(patch: Patch, mode: Mode): FieldProblem | null {
  return validatePatch(commentRules, patch, mode);
}

/** The patch validator of each entity type. */
export const patchValidators = {
  PROJECT: validateProjectPatch,
  TASK: validateTaskPatch,
  COMMENT: validateCommentPatch,
} as const;

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

function validatePatch(rules: PatchRules, patch: Patch, mode: Mode): FieldProblem | null {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    return { field: 'patch', message: 'must be an object' };
  }
  const unknown = Object.keys(patch).find(
    (field) => !Object.hasOwn(rules.fields, field) && patch[field] !== undefined,
  );
  if (unknown !== undefined) {
    return { field: unknown, message: `is not a field of ${rules.typeName}` };
  }
  for (const [field, rule] of Object.entries(rules.fields)) {
    const value = Object.hasOwn(patch, field) ? patch[field] : undefined;
    const problem = problemOf(field, checkField(rule, value, isRequired(rules, field, mode)));
    if (problem) return problem;
  }
  return rules.across?.(patch) ?? null;
}

function isRequired(rules: PatchRules, field: string, mode: Mode): boolean {
  return mode === 'create' && rules.requiredOnCreate.includes(field);
}

function checkField(rule: FieldRule, value: unknown, required: boolean): string | null {
  if (value === undefined) return required ? 'is required' : null;
  if (value === null) return rule.nullable ? null : 'must not be null';
  return rule.check(value);
}

function problemOf(field: string, message: string | null): FieldProblem | null {
  return message === null ? null : { field, message };
}

// ---- checks ---------------------------------------------------------------------------

/** Every string: PostgreSQL text rejects NUL, and a lone surrogate cannot be encoded as UTF-8. */
function checkString(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(value)) return 'must not contain unpaired surrogate characters';
  return null;
}

function checkText(options: { blankAllowed: boolean; maxLength: number }): Check {
  return (value) => {
    const problem = checkString(value);
    if (problem) return problem;
    const text = value as string;
    if (!options.blankAllowed && text.trim() === '') return 'must not be blank';
    if (codePointLength(text) > options.maxLength) {
      return `must be at most ${options.maxLength} characters`;
    }
    return null;
  };
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

function checkColor(value: unknown): string | null {
  const problem = checkString(value);
  if (problem) return problem;
  return COLOR_PATTERN.test(value as string) ? null : 'must be a #RRGGBB hex color';
}

function checkIntegerRange(min: number, max: number): Check {
  return (value) =>
    Number.isInteger(value) && (value as number) >= min && (value as number) <= max
      ? null
      : `must be an integer from ${min} to ${max}`;
}

function checkTimeSpentDelta(value: unknown): string | null {
  const max = limits.timeSpentDeltaMaxAbs;
  if (Number.isInteger(value) && value !== 0 && Math.abs(value as number) <= max) return null;
  return `must be a non-zero integer from -${max} to ${max}`;
}

function checkStatus(value: unknown): string | null {
  const statuses: readonly unknown[] = limits.taskStatuses;
  return statuses.includes(value) ? null : `must be one of ${limits.taskStatuses.join(', ')}`;
}

function checkDueAt(value: unknown): string | null {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) return 'must be a valid date';
  const time = value.getTime();
  if (time < limits.dueAtMinMillis || time > limits.dueAtMaxMillis) {
    return 'must be between 1970-01-01 and 9999-12-31 (UTC)';
  }
  return null;
}

function checkSortKey(value: unknown): string | null {
  const problem = checkString(value);
  if (problem) return problem;
  const key = value as string;
  if (key.length > limits.sortKeyMaxLength) {
    return `must be at most ${limits.sortKeyMaxLength} characters`;
  }
  return PRINTABLE_ASCII.test(key) ? null : 'must contain only printable ASCII characters';
}

function checkTagList(value: unknown): string | null {
  if (!Array.isArray(value)) return 'must be a list of tags';
  if (value.length > limits.maxTagsPerOperation) {
    return `must contain at most ${limits.maxTagsPerOperation} tags`;
  }
  for (const tag of value) {
    const problem = checkTag(tag);
    if (problem) return problem;
  }
  return null;
}

/** Tags are compared exactly, so "bug " and "bug" would be two tags that look like one. */
function checkTag(tag: unknown): string | null {
  const problem = checkString(tag);
  if (problem) return `each tag ${problem}`;
  const text = tag as string;
  if (text.trim() === '') return 'each tag must not be blank';
  if (text.trim() !== text) return 'each tag must not start or end with whitespace';
  if (CONTROL_CHARACTER.test(text)) return 'each tag must not contain control characters';
  if (codePointLength(text) > limits.tagMaxLength) {
    return `each tag must be at most ${limits.tagMaxLength} characters`;
  }
  return null;
}

function checkTagOpsDisjoint(patch: Patch): FieldProblem | null {
  const added = patch.tagsAdd;
  const removed = patch.tagsRemove;
  if (!Array.isArray(added) || !Array.isArray(removed)) return null;
  const both = removed.find((tag) => added.includes(tag));
  return both === undefined
    ? null
    : { field: 'tagsRemove', message: 'must not contain a tag that is also in tagsAdd' };
}

function codePointLength(text: string): number {
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

// ---- rules per patch type ---------------------------------------------------------------

const notNull = (check: Check): FieldRule => ({ nullable: false, check });
const orNull = (check: Check): FieldRule => ({ nullable: true, check });

const projectRules: PatchRules = {
  typeName: 'ProjectPatch',
  fields: {
    name: notNull(checkText({ blankAllowed: false, maxLength: limits.projectNameMaxLength })),
    color: orNull(checkColor),
    archived: notNull(checkBoolean),
  },
  requiredOnCreate: ['name'],
};

const taskRules: PatchRules = {
  typeName: 'TaskPatch',
  fields: {
    projectId: orNull(checkId),
    title: notNull(checkText({ blankAllowed: false, maxLength: limits.taskTitleMaxLength })),
    notes: notNull(checkText({ blankAllowed: true, maxLength: limits.taskNotesMaxLength })),
    status: notNull(checkStatus),
    priority: notNull(checkIntegerRange(limits.priorityMin, limits.priorityMax)),
    tagsAdd: notNull(checkTagList),
    tagsRemove: notNull(checkTagList),
    assigneeId: orNull(checkUserId),
    dueAt: orNull(checkDueAt),
    estimateMinutes: orNull(
      checkIntegerRange(limits.estimateMinutesMin, limits.estimateMinutesMax),
    ),
    timeSpentDelta: notNull(checkTimeSpentDelta),
    sortKey: notNull(checkSortKey),
  },
  requiredOnCreate: ['title'],
  across: checkTagOpsDisjoint,
};

const commentRules: PatchRules = {
  typeName: 'CommentPatch',
  fields: {
    taskId: notNull(checkId),
    body: notNull(checkText({ blankAllowed: false, maxLength: limits.commentBodyMaxLength })),
  },
  requiredOnCreate: ['taskId', 'body'],
};
