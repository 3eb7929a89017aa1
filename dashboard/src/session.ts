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

/**
 * The token in what a person pastes: the header line `npm start` prints
 * (`{ "Authorization": "Bearer eyJ..." }`, with or without the braces), the header value
 * (`Bearer eyJ...`) or the bare token. Null when no JWT with a user id is there.
 */
export function tokenFromPasted(text: string): string | null {
  const headerValue = authorizationValue(text.trim()) ?? text.trim();
  const token = unquote(headerValue.replace(/^Bearer\s+/i, '').trim());
  return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token) && tokenSubject(token) ? token : null;
}

/** The value of an `Authorization` entry in a JSON object (the braces may be left out). */
function authorizationValue(text: string): string | null {
  if (!/^\{?\s*"authorization"\s*:/i.test(text)) return null;
  try {
    const headers = JSON.parse(text.startsWith('{') ? text : `{${text}}`) as unknown;
    if (typeof headers !== 'object' || headers === null) return null;
    const entry = Object.entries(headers).find(([name]) => name.toLowerCase() === 'authorization');
    return typeof entry?.[1] === 'string' ? entry[1] : null;
  } catch {
    return null;
  }
}

function unquote(text: string): string {
  return /^(["'])(.*)\1$/.exec(text)?.[2] ?? text;
}

/** The GraphQL endpoint of the server that served this page. */
export function graphqlUrl(): string {
  return new URL('/graphql', location.href).href;
}
