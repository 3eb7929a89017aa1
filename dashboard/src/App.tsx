import { useCallback, useMemo, useState } from 'react';
import { Client, cacheExchange, fetchExchange, Provider } from 'urql';
import { Conflicts } from './Conflicts.tsx';
import { Entities } from './Entities.tsx';
import { Health } from './Health.tsx';
import { SignIn } from './SignIn.tsx';
import {
  graphqlUrl,
  loadToken,
  loadWorkspace,
  type SavedWorkspace,
  saveToken,
  saveWorkspace,
  tokenSubject,
} from './session.ts';
import { useSyncClient } from './sync.ts';
import { WorkspacePicker } from './WorkspacePicker.tsx';

export function App() {
  const [token, setToken] = useState(loadToken);
  const [notice, setNotice] = useState<string | null>(null);
  const signIn = (next: string) => {
    saveToken(next);
    setNotice(null);
    setToken(next);
  };
  const signOut = useCallback(() => {
    saveToken(null);
    saveWorkspace(null);
    setToken(null);
  }, []);
  const refused = useCallback(() => {
    signOut();
    setNotice('The server refused the saved token (expired or revoked): paste a new one.');
  }, [signOut]);
  return token ? (
    <Dashboard token={token} onSignOut={signOut} onRefused={refused} />
  ) : (
    <SignIn onToken={signIn} notice={notice} />
  );
}

/**
 * The list of workspaces comes before any workspace is picked, so it has a plain urql
 * client of its own; everything inside a workspace goes through its sync client.
 */
function accountClient(token: string): Client {
  return new Client({
    url: graphqlUrl(),
    exchanges: [cacheExchange, fetchExchange],
    preferGetMethod: false,
    fetchOptions: () => ({ headers: { authorization: `Bearer ${token}` } }),
  });
}

interface DashboardProps {
  token: string;
  onSignOut: () => void;
  onRefused: () => void;
}

function Dashboard({ token, onSignOut, onRefused }: DashboardProps) {
  const account = useMemo(() => accountClient(token), [token]);
  const [workspace, setWorkspace] = useState(loadWorkspace);
  const select = useCallback((next: SavedWorkspace) => {
    saveWorkspace(next);
    setWorkspace(next);
  }, []);

  return (
    <Provider value={account}>
      <header className="top">
        <h1>
          Converge <span className="muted">dashboard</span>
        </h1>
        <WorkspacePicker selected={workspace} onSelect={select} onUnauthenticated={onRefused} />
        <p className="user">
          Signed in as <strong>{tokenSubject(token)}</strong>
        </p>
        <button type="button" className="quiet" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main className="layout">
        <Health />
        {workspace ? (
          <WorkspaceView key={workspace.id} token={token} workspace={workspace} />
        ) : null}
      </main>
    </Provider>
  );
}

function WorkspaceView({ token, workspace }: { token: string; workspace: SavedWorkspace }) {
  const sync = useSyncClient(token, workspace.id);
  if (!sync) return null;
  return (
    <Provider value={sync.client}>
      <div className="columns">
        <Conflicts workspaceId={workspace.id} role={workspace.role} userId={tokenSubject(token)} />
        <Entities sync={sync} workspaceId={workspace.id} />
      </div>
    </Provider>
  );
}
