/** How conflict values (JSON) read on the page, and how a typed custom value is read back. */

export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  if (typeof value === 'string') return value === '' ? '(empty text)' : value;
  return JSON.stringify(value);
}

/**
 * A custom value as typed: JSON when it parses (so `45` is a number and `true` a boolean, as
 * the fields need), the text itself otherwise (titles, notes).
 */
export function parseCustom(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const fieldNames: Record<string, string> = {
  _deleted: 'deleted',
  estimateMinutes: 'estimate (minutes)',
  timeSpentMinutes: 'time spent (minutes)',
  assigneeId: 'assignee',
  dueAt: 'due',
  projectId: 'project',
  sortKey: 'sort key',
};

export function fieldLabel(field: string): string {
  return fieldNames[field] ?? field;
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
