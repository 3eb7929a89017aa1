import { type KeyboardEvent, useId, useState } from 'react';
import {
  type EntityDescription,
  type FieldDescription,
  patchFieldLabel,
  patchFieldOf,
} from './model.ts';
import { type Draft, type EditorKind, showValue, wordDiff } from './values.ts';

/**
 * A field's value by its type: dates as dates, sets as item lists, booleans as yes or no.
 * With `base`, long text shows its words added and removed since the base value.
 */
export function FieldValue({
  field,
  value,
  base,
}: {
  field: FieldDescription | undefined;
  value: unknown;
  base?: unknown;
}) {
  const shown = showValue(field, value);
  switch (shown.kind) {
    case 'none':
      return <span className="value-none">none</span>;
    case 'text':
      if (shown.text === '') return <span className="value-none">(empty text)</span>;
      if (shown.long && typeof base === 'string') return <WordDiff base={base} next={shown.text} />;
      return <span className={shown.long ? 'value-long' : undefined}>{shown.text}</span>;
    case 'enum':
      return <span className="value-enum">{shown.value}</span>;
    case 'items':
      return shown.items.length === 0 ? (
        <span className="value-none">no items</span>
      ) : (
        <ul className="value-items">
          {shown.items.map((item) => (
            <li key={item}>{item}</li>
          ))}
        </ul>
      );
    case 'boolean':
      return <span className="value-boolean">{shown.value ? 'yes' : 'no'}</span>;
    case 'number':
      return <span className="value-number">{shown.value}</span>;
    case 'date':
      return (
        <time className="value-date" dateTime={shown.iso} title={shown.iso}>
          {shown.date.toLocaleString()}
        </time>
      );
    case 'json':
      return <pre className="value-json">{shown.text}</pre>;
  }
}

/** Long text against its base: removed words struck through, added ones underlined. */
function WordDiff({ base, next }: { base: string; next: string }) {
  return (
    <span className="value-long word-diff">
      {wordDiff(base, next).map((part, index) =>
        part.op === 'same' ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts are positional and never reorder
          <span key={index}>{part.text}</span>
        ) : part.op === 'added' ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts are positional and never reorder
          <ins key={index} title="added since base">
            {part.text}
          </ins>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts are positional and never reorder
          <del key={index} title="removed since base">
            {part.text}
          </del>
        ),
      )}
    </span>
  );
}

/**
 * The patch of an edit made to an entity that was deleted meanwhile (a `_deleted`
 * conflict's local side): each patch field by the type of the field it changes.
 */
export function PatchValue({
  entity,
  patch,
}: {
  entity: EntityDescription | undefined;
  patch: unknown;
}) {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) {
    return <FieldValue field={undefined} value={patch} />;
  }
  const entries = Object.entries(patch as Record<string, unknown>);
  if (entries.length === 0) return <span className="value-none">an empty edit</span>;
  return (
    <dl className="patch">
      {entries.map(([name, value]) => {
        const found = patchFieldOf(entity, name);
        // A set's add or remove operation is a list of items, whatever the field's own type.
        const field = found && found.role !== 'DELTA' ? found.field : undefined;
        return (
          <div key={name} className="patch-field" data-patch-field={name}>
            <dt>{patchFieldLabel(entity, name)}</dt>
            <dd>
              {found?.role === 'DELTA' && typeof value === 'number' ? (
                <span className="value-number">{value > 0 ? `+${value}` : value}</span>
              ) : (
                <FieldValue field={field} value={value} />
              )}
            </dd>
          </div>
        );
      })}
    </dl>
  );
}

/** An input that fits the field's type, for a value typed by hand (a custom resolution). */
export function FieldEditor({
  id,
  labelId,
  kind,
  field,
  draft,
  onChange,
  disabled,
}: {
  id: string;
  /** The visible label's id: a set's editor is a group of controls, labelled by it. */
  labelId: string;
  kind: EditorKind;
  field: FieldDescription | undefined;
  draft: Draft;
  onChange: (draft: Draft) => void;
  disabled: boolean;
}) {
  if (draft.kind === 'boolean') {
    return (
      <input
        id={id}
        type="checkbox"
        checked={draft.value}
        disabled={disabled}
        onChange={(event) => onChange({ kind: 'boolean', value: event.target.checked })}
      />
    );
  }
  if (draft.kind === 'items') {
    return (
      <ItemsEditor
        id={id}
        labelId={labelId}
        field={field}
        items={draft.items}
        disabled={disabled}
        onChange={(items) => onChange({ kind: 'items', items })}
      />
    );
  }
  const text = draft.text;
  const set = (next: string) => onChange({ kind: 'text', text: next });
  switch (kind) {
    case 'enum':
      return (
        <select
          id={id}
          value={text}
          disabled={disabled}
          onChange={(event) => set(event.target.value)}
        >
          {field?.nullable || text === '' ? <option value="">none</option> : null}
          {(field?.enumValues ?? []).map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      );
    case 'int':
    case 'float':
      return (
        <input
          id={id}
          type="number"
          step={kind === 'int' ? 1 : 'any'}
          value={text}
          disabled={disabled}
          onChange={(event) => set(event.target.value)}
        />
      );
    case 'date':
      return (
        <input
          id={id}
          type="datetime-local"
          value={text}
          disabled={disabled}
          onChange={(event) => set(event.target.value)}
        />
      );
    case 'longText':
    case 'json':
      return (
        <textarea
          id={id}
          rows={kind === 'json' ? 4 : 3}
          value={text}
          disabled={disabled}
          spellCheck={kind !== 'json'}
          onChange={(event) => set(event.target.value)}
        />
      );
    default:
      return (
        <input
          id={id}
          value={text}
          disabled={disabled}
          onChange={(event) => set(event.target.value)}
        />
      );
  }
}

/** A set's items: each with a remove button, and an input (or, for enums, a select) to add. */
function ItemsEditor({
  id,
  labelId,
  field,
  items,
  disabled,
  onChange,
}: {
  id: string;
  labelId: string;
  field: FieldDescription | undefined;
  items: string[];
  disabled: boolean;
  onChange: (items: string[]) => void;
}) {
  const addId = useId();
  const [next, setNext] = useState('');
  const choices = field?.enumValues?.filter((value) => !items.includes(value)) ?? null;
  const add = () => {
    const item = next.trim();
    if (item === '' || items.includes(item)) return;
    onChange([...items, item]);
    setNext('');
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    // Enter adds the item rather than submitting the whole form.
    if (event.key === 'Enter') {
      event.preventDefault();
      add();
    }
  };
  return (
    <fieldset className="items-editor" id={id} aria-labelledby={labelId}>
      <ul className="value-items">
        {items.map((item) => (
          <li key={item}>
            {item}{' '}
            <button
              type="button"
              className="quiet"
              disabled={disabled}
              aria-label={`Remove ${item}`}
              onClick={() => onChange(items.filter((other) => other !== item))}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <label htmlFor={addId} className="visually-hidden">
        Item to add
      </label>
      {choices ? (
        <select
          id={addId}
          value={next}
          disabled={disabled}
          onChange={(event) => setNext(event.target.value)}
        >
          <option value="">choose…</option>
          {choices.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={addId}
          value={next}
          disabled={disabled}
          onChange={(event) => setNext(event.target.value)}
          onKeyDown={onKeyDown}
        />
      )}
      <button type="button" disabled={disabled || next.trim() === ''} onClick={add}>
        Add item
      </button>
    </fieldset>
  );
}
