import { useEffect, useId } from 'react';
import { useWorkspacesQuery } from '../../client/generated/hooks.ts';
import { graphqlUrl, type SavedWorkspace } from './session.ts';

interface PickerProps {
  selected: SavedWorkspace | null;
  onSelect: (workspace: SavedWorkspace) => void;
  onUnauthenticated: () => void;
}

/** The signed-in user's workspaces; the first one is picked when none was before. */
export function WorkspacePicker({ selected, onSelect, onUnauthenticated }: PickerProps) {
  const id = useId();
  const [{ data, error }] = useWorkspacesQuery();
  const workspaces = data?.workspaces ?? [];
  const first = workspaces[0];
  const unauthenticated = error?.graphQLErrors.some(
    (graphQLError) => graphQLError.extensions.code === 'UNAUTHENTICATED',
  );

  useEffect(() => {
    if (!selected && first) onSelect({ id: first.id, name: first.name, role: first.role });
  }, [selected, first, onSelect]);
  useEffect(() => {
    if (unauthenticated) onUnauthenticated();
  }, [unauthenticated, onUnauthenticated]);

  // Offline, the list cannot load: keep offering the workspace picked before.
  const options =
    selected && !workspaces.some((workspace) => workspace.id === selected.id)
      ? [selected, ...workspaces]
      : workspaces;

  if (data && workspaces.length === 0) return <NoWorkspaceHint />;
  return (
    <div className="picker">
      <label htmlFor={id}>Workspace</label>
      <select
        id={id}
        value={selected?.id ?? ''}
        onChange={(event) => {
          const workspace = options.find((option) => option.id === event.target.value);
          if (workspace) onSelect({ id: workspace.id, name: workspace.name, role: workspace.role });
        }}
      >
        {selected ? null : <option value="">Loading…</option>}
        {options.map((workspace) => (
          <option key={workspace.id} value={workspace.id}>
            {workspace.name} ({workspace.role.toLowerCase()})
          </option>
        ))}
      </select>
    </div>
  );
}

/** The mutation a user with no workspace runs in GraphiQL; they become its admin. */
export const createWorkspaceMutation = 'mutation { createWorkspace(name: "My team") { id name } }';

/**
 * The dashboard shows workspaces; it does not create them. Say exactly how: GraphiQL on this
 * server, with the same token, then a reload.
 */
function NoWorkspaceHint() {
  const graphiql = graphqlUrl();
  return (
    <div className="no-workspace" role="status">
      <p>
        <strong>You are not a member of any workspace yet.</strong> Create one: open{' '}
        <a href={graphiql} target="_blank" rel="noreferrer">
          GraphiQL
        </a>
        , put the same line you signed in with in its Headers tab (
        <code>{'{ "Authorization": "Bearer …" }'}</code>), run
      </p>
      <pre>
        <code>{createWorkspaceMutation}</code>
      </pre>
      <p>
        then reload this page. You become the workspace&apos;s admin; add others with addMember.
      </p>
    </div>
  );
}
