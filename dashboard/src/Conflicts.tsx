import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type FormEvent, useCallback, useEffect, useId, useRef, useState } from 'react';
import { useQuery } from 'urql';
import type {
  ConflictFieldsFragment as Conflict,
  ConflictChangedSubscription,
  ConflictChoice,
} from '../../client/generated/graphql.ts';
import {
  useConflictChangedSubscription,
  useConflictsQuery,
  useResolveConflictMutation,
} from '../../client/generated/hooks.ts';
import { entityDocuments } from '../../client/generated/model.ts';
import { FieldEditor, FieldValue, PatchValue } from './FieldValue.tsx';
import {
  capitalized,
  type EntityDescription,
  entityOfType,
  entityTypeLabel,
  type FieldDescription,
  fieldLabel,
  fieldOf,
  titleFieldOf,
} from './model.ts';
import { type Draft, draftOf, editorKind, parseDraft, timeOf } from './values.ts';

const PAGE = 100;

type Resolve = (conflict: Conflict, choice: ConflictChoice, value?: unknown) => Promise<void>;
/** Whether the signed-in user may resolve it: the server allows ADMINs and the editor who opened it. */
type MayResolve = (conflict: Conflict) => boolean;

/**
 * Open conflicts of the workspace: those open when the page loaded and every one that opens
 * later (conflictChanged), each with its base, local and server values side by side. A
 * conflict leaves the list once resolved, here or anywhere else.
 */
export function Conflicts({
  workspaceId,
  role,
  userId,
}: {
  workspaceId: string;
  role: string;
  userId: string | null;
}) {
  // `after: null` matches the client's own refresh of open conflicts on every reconnect,
  // which then refreshes this list too.
  const [{ data, error }] = useConflictsQuery({
    variables: { workspaceId, status: 'OPEN', first: PAGE, after: null },
  });
  const [{ data: live }] = useConflictChangedSubscription({ variables: { workspaceId } }, collect);
  const [resolvedHere, setResolvedHere] = useState<ReadonlySet<string>>(new Set());
  const open = openConflicts(
    [...(data?.conflicts ?? []), ...Object.values(live ?? {})],
    resolvedHere,
  );
  const focus = useFocusAfterRemoval();

  const onResolved = useCallback(
    (id: string, index: number) => {
      focus.remember(index);
      setResolvedHere((ids) => new Set(ids).add(id));
    },
    [focus],
  );
  const resolve = useResolve(onResolved, open);
  const may = useCallback<MayResolve>(
    (conflict) => role === 'ADMIN' || (role === 'EDITOR' && conflict.actorId === userId),
    [role, userId],
  );

  return (
    <section className="panel conflicts" aria-labelledby="conflicts-heading">
      <div className="panel-head">
        <h2 id="conflicts-heading" ref={focus.headingRef} tabIndex={-1}>
          Open conflicts <span className="count">{open.length}</span>
        </h2>
        {role !== 'ADMIN' ? (
          <p className="muted">
            As {role.toLowerCase()}, you can resolve the conflicts your own changes opened.
          </p>
        ) : null}
      </div>
      {error && !data ? (
        <p role="alert" className="error">
          Conflicts cannot load: {error.message}
        </p>
      ) : null}
      <BulkResolve conflicts={open} resolve={resolve} may={may} />
      {open.length === 0 ? (
        <p className="muted empty">Nothing to resolve. New conflicts appear here as they open.</p>
      ) : (
        <ul className="conflict-list" ref={focus.listRef}>
          {open.map((conflict) => (
            <ConflictCard key={conflict.id} conflict={conflict} resolve={resolve} may={may} />
          ))}
        </ul>
      )}
    </section>
  );
}

function collect(
  seen: Record<string, Conflict> | undefined,
  event: ConflictChangedSubscription,
): Record<string, Conflict> {
  return { ...seen, [event.conflictChanged.id]: event.conflictChanged };
}

/** Open ones only, oldest first; resolution is final, so any resolved copy wins. */
function openConflicts(copies: Conflict[], resolvedHere: ReadonlySet<string>): Conflict[] {
  const byId = new Map<string, Conflict>();
  const resolved = new Set(resolvedHere);
  for (const conflict of copies) {
    if (conflict.status !== 'OPEN') resolved.add(conflict.id);
    byId.set(conflict.id, conflict);
  }
  return [...byId.values()]
    .filter((conflict) => !resolved.has(conflict.id))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

function useResolve(onResolved: (id: string, index: number) => void, open: Conflict[]): Resolve {
  const [, resolveConflict] = useResolveConflictMutation();
  const openRef = useRef(open);
  openRef.current = open;
  return useCallback(
    async (conflict, choice, value) => {
      const result = await resolveConflict(
        choice === 'CUSTOM' ? { id: conflict.id, choice, value } : { id: conflict.id, choice },
      );
      if (result.error) throw new Error(describeError(result.error));
      onResolved(conflict.id, openRef.current.indexOf(conflict));
    },
    [resolveConflict, onResolved],
  );
}

function describeError(error: {
  message: string;
  graphQLErrors: { message: string; extensions: Record<string, unknown> }[];
}): string {
  const [first] = error.graphQLErrors;
  if (first?.extensions.code === 'FORBIDDEN') {
    return 'Only an admin, or the editor whose change opened it, can resolve this conflict.';
  }
  return first?.message ?? error.message;
}

/**
 * Resolving removes the card that held the focus; keyboard users would land at the top of
 * the page. Move the focus to the next card's first button, or to the heading when none is
 * left.
 */
function useFocusAfterRemoval() {
  const listRef = useRef<HTMLUListElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const pending = useRef<number | null>(null);
  useEffect(() => {
    const index = pending.current;
    if (index === null) return;
    const active = document.activeElement;
    if (active && active !== document.body && document.contains(active)) return;
    pending.current = null;
    const cards = listRef.current?.querySelectorAll<HTMLElement>('.conflict') ?? [];
    const next = cards[Math.min(index, cards.length - 1)];
    (next?.querySelector<HTMLElement>('button') ?? headingRef.current)?.focus();
  });
  const remember = useCallback((index: number) => {
    pending.current = index;
  }, []);
  return { listRef, headingRef, remember };
}

function ConflictCard({
  conflict,
  resolve,
  may,
}: {
  conflict: Conflict;
  resolve: Resolve;
  may: MayResolve;
}) {
  const headingId = useId();
  const entity = entityOfType(conflict.entityType);
  const field = fieldOf(entity, conflict.field);
  const deletedEntity = conflict.field === '_deleted';
  const subject = useSubject(conflict, entity);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const run = async (choice: ConflictChoice, value?: unknown) => {
    setBusy(true);
    setError(null);
    try {
      await resolve(conflict, choice, value);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      setBusy(false);
    }
  };
  const side = (value: unknown, withDiff: boolean) =>
    deletedEntity ? (
      typeof value === 'boolean' ? (
        <span className="value-boolean">{value ? 'deleted' : 'not deleted'}</span>
      ) : (
        <PatchValue entity={entity} patch={value} />
      )
    ) : (
      <FieldValue field={field} value={value} base={withDiff ? conflict.baseValue : undefined} />
    );

  return (
    <li>
      <article className="conflict" aria-labelledby={headingId} data-conflict-id={conflict.id}>
        <h3 id={headingId}>
          <span title={entity?.description ?? undefined}>{subject.title}</span>{' '}
          <span className="field" title={field?.description ?? undefined}>
            · {fieldLabel(conflict.field)}
          </span>
        </h3>
        {field?.description ? <p className="muted description">{field.description}</p> : null}
        {deletedEntity ? (
          <p className="muted description">
            An edit of this {entityTypeLabel(conflict.entityType)} arrived after it was deleted.
            Keep server leaves it deleted; Take local or a custom patch brings it back.
          </p>
        ) : null}
        <dl className="sides">
          <div className="side side-base">
            <dt>Base</dt>
            <dd className="value">{side(conflict.baseValue, false)}</dd>
            <dd className="note">before both edits</dd>
          </div>
          <div className="side side-local">
            <dt>Local</dt>
            <dd className="value">{side(conflict.localValue, true)}</dd>
            <dd className="note">
              by {conflict.actorId ?? 'unknown'} on <Device clientId={conflict.clientId} /> ·{' '}
              <When iso={conflict.createdAt} />
            </dd>
          </div>
          <div className="side side-server">
            <dt>Server</dt>
            <dd className="value">{side(conflict.serverValue, true)}</dd>
            <dd className="note">
              {subject.updatedBy ? (
                <>
                  changed by {subject.updatedBy} ·{' '}
                  {/* A conflict records the device of its local side only; the entity keeps
                      who changed it last, not from which device. */}
                  <span title="The server keeps no device for its side of a conflict">
                    device not recorded
                  </span>{' '}
                  · <When iso={subject.updatedAt} />
                </>
              ) : (
                'kept until resolved'
              )}
            </dd>
          </div>
        </dl>
        {may(conflict) ? (
          <fieldset className="actions" aria-labelledby={headingId}>
            <button type="button" disabled={busy} onClick={() => void run('SERVER')}>
              Keep server
            </button>
            <button type="button" disabled={busy} onClick={() => void run('LOCAL')}>
              Take local
            </button>
            <CustomValue
              field={field}
              initial={conflict.localValue}
              label="Custom value"
              submit="Use custom"
              busy={busy}
              onSubmit={(value) => void run('CUSTOM', value)}
            />
          </fieldset>
        ) : (
          <p className="muted not-yours">
            Only an admin, or {conflict.actorId ?? 'the editor whose change opened it'}, can resolve
            this conflict.
          </p>
        )}
        {error ? (
          <p role="alert" className="error">
            {error}
          </p>
        ) : null}
      </article>
    </li>
  );
}

/**
 * A value typed by hand, with an input that fits the field (or, for a `_deleted` conflict,
 * a patch as JSON), starting from `initial`; refused here when it is not a value of the type.
 */
function CustomValue({
  field,
  initial,
  label,
  submit,
  busy,
  onSubmit,
}: {
  field: FieldDescription | undefined;
  initial: unknown;
  label: string;
  submit: string;
  busy: boolean;
  onSubmit: (value: unknown) => void;
}) {
  const id = useId();
  const labelId = useId();
  const kind = editorKind(field, initial);
  const [draft, setDraft] = useState<Draft>(() => draftOf(kind, initial));
  const [problem, setProblem] = useState<string | null>(null);
  const send = (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseDraft(kind, field, draft);
    setProblem(parsed.ok ? null : parsed.error);
    if (parsed.ok) onSubmit(parsed.value);
  };
  return (
    <form className={`custom custom-${kind}`} onSubmit={send}>
      <label htmlFor={id} id={labelId}>
        {label}
      </label>
      <FieldEditor
        id={id}
        labelId={labelId}
        kind={kind}
        field={field}
        draft={draft}
        onChange={(next) => {
          setProblem(null);
          setDraft(next);
        }}
        disabled={busy}
      />
      <button type="submit" disabled={busy}>
        {submit}
      </button>
      {problem ? (
        <p role="alert" className="error">
          {problem}
        </p>
      ) : null}
    </form>
  );
}

/** A client id is long: the start tells devices apart, the whole id is in the tooltip. */
function Device({ clientId }: { clientId: string | null | undefined }) {
  if (!clientId) return <span>an unknown device</span>;
  return (
    <span className="device" title={`Client id ${clientId}`}>
      device {clientId.length > 8 ? `${clientId.slice(0, 8)}…` : clientId}
    </span>
  );
}

function When({ iso }: { iso: string | null | undefined }) {
  return iso ? (
    <time dateTime={iso} title={new Date(iso).toLocaleString()}>
      {timeOf(iso)}
    </time>
  ) : null;
}

/**
 * What the conflict is about: the entity, read from the cache (or fetched) with its type's
 * generated query document, titled by its first String field.
 */
function useSubject(conflict: Conflict, entity: EntityDescription | undefined) {
  const id = conflict.entityId;
  const query = entity ? queryOf(entity) : undefined;
  const [result] = useQuery({ query: query ?? anyEntityQuery, variables: { id }, pause: !query });
  const row = entity ? (result.data?.[entity.queryField] ?? null) : null;
  const typeLabel = capitalized(entityTypeLabel(conflict.entityType));
  const titleField = entity ? titleFieldOf(entity) : null;
  const name = titleField && row ? row[titleField.name] : null;
  const title =
    typeof name === 'string' && name.trim() !== ''
      ? `${typeLabel} “${shortened(name)}”`
      : `${typeLabel} ${id.slice(0, 8)}`;
  return {
    title,
    updatedBy: typeof row?.updatedBy === 'string' ? row.updatedBy : null,
    updatedAt: typeof row?.updatedAt === 'string' ? row.updatedAt : null,
  };
}

/** Any entity's `<queryField>(id:)` document, typed by what the page reads of it. */
type EntityQuery = TypedDocumentNode<
  Record<string, Record<string, unknown> | null>,
  { id: string }
>;

function queryOf(entity: EntityDescription): EntityQuery | undefined {
  const documents = entityDocuments as Record<string, { query: unknown } | undefined>;
  return documents[entity.name]?.query as EntityQuery | undefined;
}

// Stands in while paused (a conflict of a type this build does not know): never sent.
const anyEntityQuery = Object.values(entityDocuments)[0]?.query as unknown as EntityQuery;

const TITLE_LENGTH = 60;

function shortened(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > TITLE_LENGTH || line !== text
    ? `${line.slice(0, TITLE_LENGTH).trimEnd()}…`
    : line;
}

/** One action for every open conflict on the same field, when there are several. */
function BulkResolve({
  conflicts,
  resolve,
  may,
}: {
  conflicts: Conflict[];
  resolve: Resolve;
  may: MayResolve;
}) {
  const groups = new Map<string, Conflict[]>();
  for (const conflict of conflicts.filter(may)) {
    const key = `${conflict.entityType}:${conflict.field}`;
    groups.set(key, [...(groups.get(key) ?? []), conflict]);
  }
  const many = [...groups].filter(([, group]) => group.length > 1);
  if (many.length === 0) return null;
  return (
    <div className="bulk">
      {many.map(([key, group]) => (
        <BulkGroup key={key} group={group} resolve={resolve} />
      ))}
    </div>
  );
}

function BulkGroup({ group, resolve }: { group: Conflict[]; resolve: Resolve }) {
  const [running, setRunning] = useState(false);
  const [message, setMessage] = useState('');
  const [first] = group;
  if (!first) return null;
  const field = fieldOf(entityOfType(first.entityType), first.field);
  const what = `${group.length} conflicts on ${entityTypeLabel(first.entityType)} ${fieldLabel(first.field)}`;

  // One at a time, in order: each resolution is an applied change with its own version.
  const runAll = async (choice: ConflictChoice, value?: unknown) => {
    const snapshot = [...group];
    const failures: string[] = [];
    setRunning(true);
    for (const [index, conflict] of snapshot.entries()) {
      setMessage(`Resolving ${index + 1} of ${snapshot.length}…`);
      await resolve(conflict, choice, value).catch((error: unknown) => {
        failures.push(error instanceof Error ? error.message : String(error));
      });
    }
    setRunning(false);
    setMessage(failures.length > 0 ? `${failures.length} not resolved: ${failures[0]}` : '');
  };

  return (
    <fieldset className="bulk-group">
      <legend className="bulk-label">{what}</legend>
      <div className="actions">
        <button type="button" disabled={running} onClick={() => void runAll('SERVER')}>
          Keep server for all
        </button>
        <button type="button" disabled={running} onClick={() => void runAll('LOCAL')}>
          Take local for all
        </button>
        <CustomValue
          field={field}
          initial={first.localValue}
          label="Value for all"
          submit="Set all"
          busy={running}
          onSubmit={(value) => void runAll('CUSTOM', value)}
        />
      </div>
      <p className="muted bulk-progress" role="status">
        {message}
      </p>
    </fieldset>
  );
}
