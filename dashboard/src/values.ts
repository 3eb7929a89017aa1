/**
 * How field values (JSON from the server) read on the page, and how a value typed into an
 * editor is read back, both by the field's type in the model: no field is named here.
 */

import type { FieldDescription } from './model.ts';

/** How a value of a field is shown; `kind` picks the rendering. */
export type Shown =
  | { kind: 'none' }
  | { kind: 'text'; text: string; long: boolean }
  | { kind: 'enum'; value: string }
  | { kind: 'items'; items: string[] }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'number'; value: number }
  | { kind: 'date'; iso: string; date: Date }
  | { kind: 'json'; text: string };

/** Long text gets a word diff and a text area: a TEXT field, or any text past one line. */
const LONG_TEXT = 80;

export function isLongText(field: FieldDescription | undefined, text = ''): boolean {
  return field?.strategy === 'TEXT' || text.length > LONG_TEXT || text.includes('\n');
}

/** A value as its field's type reads it; a value that does not fit the type shows as JSON. */
export function showValue(field: FieldDescription | undefined, value: unknown): Shown {
  if (value === null || value === undefined) return { kind: 'none' };
  if (Array.isArray(value) && (field?.list ?? true)) {
    return {
      kind: 'items',
      items: value.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))),
    };
  }
  const type = field?.kind === 'ENUM' ? 'ENUM' : (field?.scalar ?? null);
  if (type === 'ENUM' && typeof value === 'string') return { kind: 'enum', value };
  if (type === 'DateTime' && typeof value === 'string') {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return { kind: 'date', iso: value, date };
  }
  if (typeof value === 'boolean' && type !== 'JSON') return { kind: 'boolean', value };
  if (typeof value === 'number' && type !== 'JSON') return { kind: 'number', value };
  if (typeof value === 'string' && type !== 'JSON') {
    return { kind: 'text', text: value, long: isLongText(field, value) };
  }
  return { kind: 'json', text: JSON.stringify(value, null, 2) };
}

/** The same value in one line of plain text (titles, bulk labels, tooltips). */
export function plainValue(field: FieldDescription | undefined, value: unknown): string {
  const shown = showValue(field, value);
  switch (shown.kind) {
    case 'none':
      return 'none';
    case 'text':
      return shown.text === '' ? '(empty text)' : shown.text;
    case 'enum':
      return shown.value;
    case 'items':
      return shown.items.length === 0 ? 'no items' : shown.items.join(', ');
    case 'boolean':
      return shown.value ? 'yes' : 'no';
    case 'number':
      return String(shown.value);
    case 'date':
      return shown.date.toLocaleString();
    case 'json':
      return JSON.stringify(value);
  }
}

export type DiffPart = { op: 'same' | 'added' | 'removed'; text: string };

/** Above this many word pairs, the changed middle shows as one removal and one addition. */
const MAX_DIFF_CELLS = 2_000_000;

/**
 * The words of `next` against `base`: kept, added and removed runs in reading order (a
 * longest common subsequence of words and the spaces between them). Common starts and ends
 * are taken off first, so a long note with a small edit stays cheap.
 */
export function wordDiff(base: string, next: string): DiffPart[] {
  const a = base.split(/(\s+)/).filter((token) => token !== '');
  const b = next.split(/(\s+)/).filter((token) => token !== '');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (
    end < a.length - start &&
    end < b.length - start &&
    a[a.length - 1 - end] === b[b.length - 1 - end]
  ) {
    end++;
  }
  const middleA = a.slice(start, a.length - end);
  const middleB = b.slice(start, b.length - end);
  const parts: DiffPart[] = [];
  const push = (op: DiffPart['op'], text: string) => {
    const last = parts[parts.length - 1];
    if (last?.op === op) last.text += text;
    else if (text !== '') parts.push({ op, text });
  };
  push('same', a.slice(0, start).join(''));
  if (middleA.length * middleB.length > MAX_DIFF_CELLS) {
    push('removed', middleA.join(''));
    push('added', middleB.join(''));
  } else {
    for (const part of lcsDiff(middleA, middleB)) push(part.op, part.text);
  }
  push('same', a.slice(a.length - end).join(''));
  return parts;
}

function lcsDiff(a: string[], b: string[]): DiffPart[] {
  // lengths[i][j]: the longest common subsequence of a[i..] and b[j..].
  const width = b.length + 1;
  const lengths = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i * width + j] =
        a[i] === b[j]
          ? (lengths[(i + 1) * width + j + 1] ?? 0) + 1
          : Math.max(lengths[(i + 1) * width + j] ?? 0, lengths[i * width + j + 1] ?? 0);
    }
  }
  const parts: DiffPart[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      parts.push({ op: 'same', text: a[i] ?? '' });
      i++;
      j++;
    } else if (
      j < b.length &&
      (i === a.length || (lengths[i * width + j + 1] ?? 0) >= (lengths[(i + 1) * width + j] ?? 0))
    ) {
      parts.push({ op: 'added', text: b[j] ?? '' });
      j++;
    } else {
      parts.push({ op: 'removed', text: a[i] ?? '' });
      i++;
    }
  }
  return parts;
}

/**
 * What an editor holds while a person types: text for most types (a number or a date is
 * read when sent), a flag for booleans, items for sets.
 */
export type Draft =
  | { kind: 'text'; text: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'items'; items: string[] };

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/** The editor kind of a field; a `_deleted` conflict (no field) takes a patch as JSON. */
export type EditorKind =
  | 'enum'
  | 'boolean'
  | 'int'
  | 'float'
  | 'date'
  | 'text'
  | 'longText'
  | 'items'
  | 'json';

export function editorKind(field: FieldDescription | undefined, sample?: unknown): EditorKind {
  if (!field) return 'json';
  if (field.list) return 'items';
  if (field.kind === 'ENUM') return 'enum';
  switch (field.scalar) {
    case 'Boolean':
      return 'boolean';
    case 'Int':
      return 'int';
    case 'Float':
      return 'float';
    case 'DateTime':
      return 'date';
    case 'JSON':
      return 'json';
    default:
      return isLongText(field, typeof sample === 'string' ? sample : '') ? 'longText' : 'text';
  }
}

/** An editor's first content: the given value in the editor's terms. */
export function draftOf(kind: EditorKind, value: unknown): Draft {
  if (kind === 'boolean') return { kind: 'boolean', value: value === true };
  if (kind === 'items') {
    return { kind: 'items', items: Array.isArray(value) ? value.map(String) : [] };
  }
  if (value === null || value === undefined) return { kind: 'text', text: '' };
  if (kind === 'date' && typeof value === 'string')
    return { kind: 'text', text: toLocalInput(value) };
  if (kind === 'json') return { kind: 'text', text: JSON.stringify(value, null, 2) };
  return { kind: 'text', text: String(value) };
}

/** The value an editor's draft stands for, or why it is not one the field takes. */
export function parseDraft(
  kind: EditorKind,
  field: FieldDescription | undefined,
  draft: Draft,
): Parsed {
  if (draft.kind === 'boolean') return { ok: true, value: draft.value };
  if (draft.kind === 'items') return { ok: true, value: draft.items };
  const text = draft.text;
  const nullable = field?.nullable ?? true;
  if (text.trim() === '' && kind !== 'text' && kind !== 'longText') {
    return nullable ? { ok: true, value: null } : { ok: false, error: 'A value is required.' };
  }
  switch (kind) {
    case 'int': {
      const number = Number(text);
      return Number.isInteger(number)
        ? { ok: true, value: number }
        : { ok: false, error: 'Type a whole number.' };
    }
    case 'float': {
      const number = Number(text);
      return Number.isFinite(number)
        ? { ok: true, value: number }
        : { ok: false, error: 'Type a number.' };
    }
    case 'date': {
      const date = new Date(text);
      return Number.isNaN(date.getTime())
        ? { ok: false, error: 'Pick a date and time.' }
        : { ok: true, value: date.toISOString() };
    }
    case 'json':
      try {
        return { ok: true, value: JSON.parse(text) as unknown };
      } catch {
        return { ok: false, error: 'Type valid JSON, for example {"title": "Recount"}.' };
      }
    default:
      return { ok: true, value: text };
  }
}

/** An ISO instant as a `datetime-local` input shows it: local time, to the minute. */
export function toLocalInput(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

export function timeOf(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString();
}

/** A chart's time span: seconds while short, minutes after. */
export function spanLabel(ms: number, style: 'long' | 'short' = 'long'): string {
  const [amount, unit] =
    ms < 120_000 ? [Math.round(ms / 1000), 'second'] : [Math.round(ms / 60_000), 'minute'];
  if (style === 'short') return `${amount} ${unit === 'second' ? 's' : 'min'}`;
  return `${amount} ${unit}s`;
}
