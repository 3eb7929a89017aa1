/**
 * What the page remembers in this browser: the token (pasted once) and the workspace last
 * picked, so a reload, even offline, opens where the user was.
 */

export const storageKeys = {
  token: 'converge.dashboard.token',
  workspace: 'converge.dashboard.workspace',
};

export interface SavedWorkspace {
  id: string;
  name: string;
  role: string;
}

export function loadToken(): string | null {
  return localStorage.getItem(storageKeys.token);
}

export function saveToken(token: string | null): void {
  if (token === null) localStorage.removeItem(storageKeys.token);
  else localStorage.setItem(storageKeys.token, token);
}

export function loadWorkspace(): SavedWorkspace | null {
  try {
    const saved = JSON.parse(localStorage.getItem(storageKeys.workspace) ?? 'null') as unknown;
    return isSavedWorkspace(saved) ? saved : null;
  } catch {
    return null;
  }
}

export function saveWorkspace(workspace: SavedWorkspace | null): void {
  if (workspace === null) localStorage.removeItem(storageKeys.workspace);
  else localStorage.setItem(storageKeys.workspace, JSON.stringify(workspace));
}

function isSavedWorkspace(value: unknown): value is SavedWorkspace {
  const candidate = value as Partial<SavedWorkspace> | null;
  return (
    typeof candidate?.id === 'string' &&
    typeof candidate.name === 'string' &&
    typeof candidate.role === 'string'
  );
}

/**
 * The user id (`sub`) of a JWT, read without verifying it: only to greet the user and to
 * refuse text that is not a token at all. The server verifies every request.
 */
export function tokenSubject(token: string): string | null {
  const payload = token.split('.')[1];
  if (token.split('.').length !== 3 || !payload) return null;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const sub = (JSON.parse(json) as { sub?: unknown }).sub;
    return typeof sub === 'string' && sub !== '' ? sub : null;
  } catch {
    return null;
  }
}

/** The GraphQL endpoint of the server that served this page. */
export function graphqlUrl(): string {
  return new URL('/graphql', location.href).href;
}
