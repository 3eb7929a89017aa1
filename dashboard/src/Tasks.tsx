import { type FormEvent, type KeyboardEvent, useEffect, useId, useState } from 'react';
import type { TaskStatus } from '../../client/generated/graphql.ts';
import { useChangesSinceQuery } from '../../client/generated/hooks.ts';
import type { SyncClient, TaskEntity } from '../../client/index.ts';
import { SyncBadge } from './SyncBadge.tsx';
import { useSyncStatus } from './sync.ts';

const statuses: { value: TaskStatus; label: string }[] = [
  { value: 'TODO', label: 'To do' },
  { value: 'IN_PROGRESS', label: 'In progress' },
  { value: 'DONE', label: 'Done' },
];

/**
 * The workspace's tasks, editable. Edits go through the sync client: they show at once,
 * wait in the outbox (IndexedDB) while offline, and reach the server in the order made.
 */
export function Tasks({ sync, workspaceId }: { sync: SyncClient; workspaceId: string }) {
  const status = useSyncStatus(sync);
  // The same variables as the client's own hydration, so a reload offline reads the list
  // the client rebuilt from storage.
  const [{ data, error, fetching }] = useChangesSinceQuery({ variables: { workspaceId } });
  const tasks = (data?.changesSince.entities ?? []).filter(
    (entity): entity is TaskEntity => entity.__typename === 'Task' && !entity.deleted,
  );

  return (
    <section className="panel tasks" aria-labelledby="tasks-heading">
      <div className="panel-head">
        <h2 id="tasks-heading">Tasks</h2>
        <SyncBadge status={status} />
      </div>
      <NewTask onCreate={(title) => sync.tasks.create({ title })} />
      {tasks.length === 0 ? (
        <p className="muted empty">
          {fetching ? 'Loading tasks…' : error && !data ? 'Tasks cannot load yet.' : 'No tasks.'}
        </p>
      ) : (
        <ul className="task-list" aria-label="Tasks">
          {tasks.map((task) => (
            <TaskRow key={task.id} task={task} sync={sync} />
          ))}
        </ul>
      )}
    </section>
  );
}

function NewTask({ onCreate }: { onCreate: (title: string) => void }) {
  const id = useId();
  const [title, setTitle] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (title.trim() === '') return;
    onCreate(title.trim());
    setTitle('');
  };
  return (
    <form className="new-task" onSubmit={submit}>
      <label htmlFor={id} className="visually-hidden">
        New task title
      </label>
      <input
        id={id}
        placeholder="New task title"
        value={title}
        maxLength={200}
        onChange={(event) => setTitle(event.target.value)}
      />
      <button type="submit">Add task</button>
    </form>
  );
}

function TaskRow({ task, sync }: { task: TaskEntity; sync: SyncClient }) {
  const [draft, setDraft] = useState(task.title);
  const [editing, setEditing] = useState(false);
  // Someone else's edit arrives while the field is not being edited: show it.
  useEffect(() => {
    if (!editing) setDraft(task.title);
  }, [task.title, editing]);

  const commit = () => {
    setEditing(false);
    const title = draft.trim();
    if (title === '' || title === task.title) setDraft(task.title);
    else sync.tasks.update(task.id, { title });
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') event.currentTarget.blur();
    if (event.key === 'Escape') {
      setDraft(task.title);
      setEditing(false);
    }
  };

  return (
    <li className={`task task-${task.status.toLowerCase()}`} data-task-id={task.id}>
      <input
        className="task-title"
        aria-label={`Title of “${task.title}”`}
        value={draft}
        maxLength={200}
        onFocus={() => setEditing(true)}
        onChange={(event) => setDraft(event.target.value)}
        onBlur={commit}
        onKeyDown={onKeyDown}
      />
      <select
        aria-label={`Status of “${task.title}”`}
        value={task.status}
        onChange={(event) =>
          sync.tasks.update(task.id, { status: event.target.value as TaskStatus })
        }
      >
        {statuses.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      <span className="task-version" title="Version on the server">
        v{task.version}
      </span>
      <button
        type="button"
        className="quiet"
        aria-label={`Delete “${task.title}”`}
        onClick={() => sync.tasks.delete(task.id)}
      >
        Delete
      </button>
    </li>
  );
}
