import { type FormEvent, type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
import { useChangesSinceQuery } from '../../client/generated/hooks.ts';
import type { SyncEntity } from '../../client/generated/model.ts';
import type { EntityApi, SyncClient } from '../../client/index.ts';
import { FieldValue } from './FieldValue.tsx';
import {
  capitalized,
  type EntityDescription,
  entities,
  entityLabel,
  type FieldDescription,
  titleFieldOf,
  wordsOf,
} from './model.ts';
import { SyncBadge } from './SyncBadge.tsx';
import { useSyncStatus } from './sync.ts';

/** The accessor of any entity type, `sync.<plural>`, with the model's field names as keys. */
type AnyEntityApi = EntityApi<Record<string, unknown>, Record<string, unknown>, SyncEntity>;

function accessorOf(sync: SyncClient, entity: EntityDescription): AnyEntityApi {
  return (sync as unknown as Record<string, AnyEntityApi>)[entity.plural] as AnyEntityApi;
}

type Row = SyncEntity & Record<string, unknown>;

/**
 * The workspace's entities of one type at a time, any type of the model, newest first and
 * editable. Edits go through the sync client (`sync.<plural>`): they show at once, wait in the
 * outbox (IndexedDB) while offline, and reach the server in the order made.
 */
export function Entities({ sync, workspaceId }: { sync: SyncClient; workspaceId: string }) {
  const status = useSyncStatus(sync);
  const filterId = useId();
  // The same variables as the client's own hydration, so a reload offline reads the list
  // the client rebuilt from storage.
  const [{ data, error, fetching }] = useChangesSinceQuery({ variables: { workspaceId } });
  const live = (data?.changesSince.entities ?? []).filter((entity) => !entity.deleted) as Row[];
  const [chosen, setChosen] = useState<string | null>(null);
  const ordered = useNewestFirst(live);
  // Until a person picks a type: the first one that has entities, so the list is not empty.
  const shownType =
    entities.find((entity) => entity.name === chosen) ??
    entities.find((entity) => live.some((row) => row.__typename === entity.name)) ??
    entities[0];
  if (!shownType) return null;
  const rows = ordered.filter((row) => row.__typename === shownType.name);
  const count = (entity: EntityDescription) =>
    live.filter((row) => row.__typename === entity.name).length;
  const plural = wordsOf(shownType.plural);

  return (
    <section className="panel entities" aria-labelledby="entities-heading">
      <div className="panel-head">
        <h2 id="entities-heading">{capitalized(plural)}</h2>
        <SyncBadge status={status} />
      </div>
      <div className="type-filter">
        <label htmlFor={filterId}>Entity type</label>
        <select
          id={filterId}
          value={shownType.name}
          onChange={(event) => setChosen(event.target.value)}
        >
          {entities.map((entity) => (
            <option key={entity.name} value={entity.name} title={entity.description ?? undefined}>
              {capitalized(entityLabel(entity))} ({count(entity)})
            </option>
          ))}
        </select>
      </div>
      {shownType.description ? <p className="muted description">{shownType.description}</p> : null}
      <NewEntity key={shownType.name} entity={shownType} api={accessorOf(sync, shownType)} />
      {rows.length === 0 ? (
        <p className="muted empty">
          {fetching
            ? `Loading ${plural}…`
            : error && !data
              ? `${capitalized(plural)} cannot load yet.`
              : `No ${plural}.`}
        </p>
      ) : (
        <ul className="entity-list" aria-label={capitalized(plural)}>
          {rows.map((row) => (
            <EntityRow
              key={row.id}
              row={row}
              entity={shownType}
              api={accessorOf(sync, shownType)}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * Newest first, and steady: a row keeps its place once shown, so an edit does not move it
 * under the pointer. Rows that arrive later (created here, or by others) go on top; the
 * rows of the first load are ordered by their last change, as entities carry no creation
 * time (and ids made elsewhere need not be time-ordered).
 */
function useNewestFirst(rows: Row[]): Row[] {
  const places = useRef(new Map<string, number>());
  const unseen = rows
    .filter((row) => !places.current.has(row.id))
    // Stable: rows changed in one push share a time and keep the list's order (the server's
    // sequence), so the last one written still comes first.
    .sort((a, b) => changedAt(a) - changedAt(b));
  for (const row of unseen) places.current.set(row.id, places.current.size);
  const place = (row: Row) => places.current.get(row.id) ?? 0;
  return [...rows].sort((a, b) => place(b) - place(a));
}

/** When a row last changed on the server; a create not yet acknowledged is the newest. */
function changedAt(row: Row): number {
  const time = row.updatedAt ? Date.parse(row.updatedAt) : Number.NaN;
  return Number.isNaN(time) ? Number.POSITIVE_INFINITY : time;
}

/** Fields a create must carry; a generic form can ask for them when they are plain text. */
function simpleCreateFields(entity: EntityDescription): FieldDescription[] | null {
  const required = entity.fields.filter((field) => field.requiredOnCreate);
  const simple = required.every(
    (field) => field.kind === 'SCALAR' && field.scalar === 'String' && !field.list,
  );
  return simple && required.length > 0 ? required : null;
}

function NewEntity({ entity, api }: { entity: EntityDescription; api: AnyEntityApi }) {
  const fields = simpleCreateFields(entity);
  const formId = useId();
  const [values, setValues] = useState<Record<string, string>>({});
  if (!fields) {
    return (
      <p className="muted create-note">
        A new {entityLabel(entity)} needs{' '}
        {entity.fields
          .filter((field) => field.requiredOnCreate)
          .map((field) => wordsOf(field.name))
          .join(', ')}
        : create it from an app.
      </p>
    );
  }
  const filled = fields.every((field) => (values[field.name] ?? '').trim() !== '');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!filled) return;
    api.create(
      Object.fromEntries(fields.map((field) => [field.name, (values[field.name] ?? '').trim()])),
    );
    setValues({});
  };
  const what = entityLabel(entity);
  return (
    <form className="new-entity" onSubmit={submit}>
      {fields.map((field) => {
        const label = `New ${what} ${wordsOf(field.name)}`;
        return (
          <span key={field.name} className="new-entity-field">
            <label htmlFor={`${formId}-${field.name}`} className="visually-hidden">
              {label}
            </label>
            <input
              id={`${formId}-${field.name}`}
              placeholder={label}
              value={values[field.name] ?? ''}
              onChange={(event) => setValues({ ...values, [field.name]: event.target.value })}
            />
          </span>
        );
      })}
      <button type="submit">Add {what}</button>
    </form>
  );
}

/** Fields edited in place on a row: the title text, and single enum values as selects. */
function editable(field: FieldDescription): boolean {
  return field.patchFields.some((patch) => patch.role === 'VALUE' && patch.name === field.name);
}

function EntityRow({
  row,
  entity,
  api,
}: {
  row: Row;
  entity: EntityDescription;
  api: AnyEntityApi;
}) {
  const titleField = titleFieldOf(entity);
  const titleValue = titleField ? row[titleField.name] : null;
  // A row without text to name it (none, or empty) is named by its type and the start of its id.
  const title =
    typeof titleValue === 'string' && titleValue.trim() !== ''
      ? titleValue
      : `${entityLabel(entity)} ${row.id.slice(0, 8)}`;
  const enums = entity.fields.filter(
    (field) => field.kind === 'ENUM' && !field.list && editable(field),
  );
  const shown = entity.fields.filter((field) => field !== titleField && !enums.includes(field));
  const firstEnum = enums[0] ? row[enums[0].name] : null;

  return (
    <li
      className={`entity ${typeof firstEnum === 'string' ? `entity-${firstEnum.toLowerCase()}` : ''}`}
      data-entity-id={row.id}
      data-typename={row.__typename}
    >
      <div className="entity-line">
        {titleField && editable(titleField) ? (
          <TitleInput
            field={titleField}
            value={typeof titleValue === 'string' ? titleValue : ''}
            title={title}
            api={api}
            id={row.id}
          />
        ) : (
          <span className="entity-title">{title}</span>
        )}
        {enums.map((field) => (
          <select
            key={field.name}
            aria-label={`${capitalized(wordsOf(field.name))} of “${title}”`}
            value={typeof row[field.name] === 'string' ? (row[field.name] as string) : ''}
            onChange={(event) =>
              api.update(row.id, {
                [field.name]: event.target.value === '' ? null : event.target.value,
              })
            }
          >
            {field.nullable ? <option value="">none</option> : null}
            {(field.enumValues ?? []).map((value) => (
              <option key={value} value={value}>
                {capitalized(wordsOf(value))}
              </option>
            ))}
          </select>
        ))}
        <span className="entity-version" title="Version on the server">
          v{row.version}
        </span>
        <button
          type="button"
          className="quiet"
          aria-label={`Delete “${title}”`}
          onClick={() => api.delete(row.id)}
        >
          Delete
        </button>
      </div>
      {shown.length > 0 ? (
        <dl className="entity-fields" aria-label={`Fields of “${title}”`}>
          {shown.map((field) => (
            <div key={field.name} className="entity-field" data-field={field.name}>
              <dt title={field.description ?? undefined}>{wordsOf(field.name)}</dt>
              <dd>
                <FieldValue field={field} value={row[field.name]} />
              </dd>
            </div>
          ))}
        </dl>
      ) : null}
    </li>
  );
}

/** The title, edited in place: Enter or leaving the field saves, Escape cancels. */
function TitleInput({
  field,
  value,
  title,
  api,
  id,
}: {
  field: FieldDescription;
  /** The field's text as stored; `title` is how the row is named (it may stand in for none). */
  value: string;
  title: string;
  api: AnyEntityApi;
  id: string;
}) {
  const [draft, setDraft] = useState(value);
  const [editing, setEditing] = useState(false);
  // Someone else's edit arrives while the field is not being edited: show it.
  useEffect(() => {
    if (!editing) setDraft(value);
  }, [value, editing]);

  const commit = () => {
    setEditing(false);
    const next = draft.trim();
    // A required text must not be blank; a nullable one is cleared by emptying it.
    if (next === value || (next === '' && !field.nullable)) setDraft(value);
    else api.update(id, { [field.name]: next === '' ? null : next });
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') event.currentTarget.blur();
    if (event.key === 'Escape') {
      setDraft(value);
      setEditing(false);
    }
  };
  return (
    <input
      className="entity-title"
      aria-label={`${capitalized(wordsOf(field.name))} of “${title}”`}
      value={draft}
      onFocus={() => setEditing(true)}
      onChange={(event) => setDraft(event.target.value)}
      onBlur={commit}
      onKeyDown={onKeyDown}
    />
  );
}
