import { type FormEvent, useCallback, useEffect, useId, useRef, useState } from 'react';
import type {
  ConflictFieldsFragment as Conflict,
  ConflictChangedSubscription,
  ConflictChoice,
} from '../../client/generated/graphql.ts';
import {
  useCommentQuery,
  useConflictChangedSubscription,
  useConflictsQuery,
  useProjectQuery,
  useResolveConflictMutation,
  useTaskQuery,
} from '../../client/generated/hooks.ts';
import { fieldLabel, formatValue, parseCustom, timeOf } from './values.ts';

const PAGE = 100;

type Resolve = (conflict: Conflict, choice: ConflictChoice, value?: unknown) => Promise<void>;

/**
 * Open conflicts of the workspace: those open when the page loaded and every one that opens
 * later (conflictChanged), each with its base, local and server values side by side. A
 * conflict leaves the list once resolved, here or anywhere else.
 */
export function Conflicts({ workspaceId, role }: { workspaceId: string; role: string }) {
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
      <BulkResolve conflicts={open} resolve={resolve} />
      {open.length === 0 ? (
        <p className="muted empty">Nothing to resolve. New conflicts appear here as they open.</p>
      ) : (
        <ul className="conflict-list" ref={focus.listRef}>
          {open.map((conflict) => (
            <ConflictCard key={conflict.id} conflict={conflict} resolve={resolve} />
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

function ConflictCard({ conflict, resolve }: { conflict: Conflict; resolve: Resolve }) {
  const headingId = useId();
  const customId = useId();
  const subject = useSubject(conflict);
  const [custom, setCustom] = useState('');
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
  const submitCustom = (event: FormEvent) => {
    event.preventDefault();
    if (custom.trim() !== '') void run('CUSTOM', parseCustom(custom.trim()));
  };

  return (
    <li>
      <article className="conflict" aria-labelledby={headingId} data-conflict-id={conflict.id}>
        <h3 id={headingId}>
          {subject.title} <span className="field">· {fieldLabel(conflict.field)}</span>
        </h3>
        <dl className="sides">
          <div className="side side-base">
            <dt>Base</dt>
            <dd className="value">{formatValue(conflict.baseValue)}</dd>
            <dd className="note">before both edits</dd>
          </div>
          <div className="side side-local">
            <dt>Local</dt>
            <dd className="value">{formatValue(conflict.localValue)}</dd>
            <dd className="note">
              by {conflict.actorId ?? 'unknown'} on <Device clientId={conflict.clientId} /> ·{' '}
              <When iso={conflict.createdAt} />
            </dd>
          </div>
          <div className="side side-server">
            <dt>Server</dt>
            <dd className="value">{formatValue(conflict.serverValue)}</dd>
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
        <fieldset className="actions" aria-labelledby={headingId}>
          <button type="button" disabled={busy} onClick={() => void run('SERVER')}>
            Keep server
          </button>
          <button type="button" disabled={busy} onClick={() => void run('LOCAL')}>
            Take local
          </button>
          <form className="custom" onSubmit={submitCustom}>
            <label htmlFor={customId}>Custom value</label>
            <input
              id={customId}
              value={custom}
              disabled={busy}
              onChange={(event) => setCustom(event.target.value)}
            />
            <button type="submit" disabled={busy || custom.trim() === ''}>
              Use custom
            </button>
          </form>
        </fieldset>
        {error ? (
          <p role="alert" className="error">
            {error}
          </p>
        ) : null}
      </article>
    </li>
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

/** What the conflict is about, read from the cache (or fetched) by entity type and id. */
function useSubject(conflict: Conflict) {
  const id = conflict.entityId;
  const [task] = useTaskQuery({ variables: { id }, pause: conflict.entityType !== 'TASK' });
  const [project] = useProjectQuery({
    variables: { id },
    pause: conflict.entityType !== 'PROJECT',
  });
  const [comment] = useCommentQuery({
    variables: { id },
    pause: conflict.entityType !== 'COMMENT',
  });
  const entity = task.data?.task ?? project.data?.project ?? comment.data?.comment ?? null;
  const title =
    entity?.__typename === 'Task'
      ? `Task “${entity.title}”`
      : entity?.__typename === 'Project'
        ? `Project “${entity.name}”`
        : entity?.__typename === 'Comment'
          ? 'Comment'
          : `${conflict.entityType.toLowerCase()} ${id.slice(0, 8)}`;
  return { title, updatedBy: entity?.updatedBy ?? null, updatedAt: entity?.updatedAt ?? null };
}

/** One action for every open conflict on the same field, when there are several. */
function BulkResolve({ conflicts, resolve }: { conflicts: Conflict[]; resolve: Resolve }) {
  const groups = new Map<string, Conflict[]>();
  for (const conflict of conflicts) {
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
  const customId = useId();
  const [custom, setCustom] = useState('');
  const [running, setRunning] = useState(false);
  const [message, setMessage] = useState('');
  const [first] = group;
  if (!first) return null;
  const what = `${group.length} conflicts on ${first.entityType.toLowerCase()} ${fieldLabel(first.field)}`;

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
        <form
          className="custom"
          onSubmit={(event) => {
            event.preventDefault();
            if (custom.trim() !== '') void runAll('CUSTOM', parseCustom(custom.trim()));
          }}
        >
          <label htmlFor={customId}>Value for all</label>
          <input id={customId} value={custom} onChange={(event) => setCustom(event.target.value)} />
          <button type="submit" disabled={running || custom.trim() === ''}>
            Set all
          </button>
        </form>
      </div>
      <p className="muted bulk-progress" role="status">
        {message}
      </p>
    </fieldset>
  );
}
