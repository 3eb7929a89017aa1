/** Member roles of a workspace (docs/protocol.md, Workspaces and roles). */
export type Role = 'VIEWER' | 'EDITOR' | 'ADMIN';

export type Action =
  | 'read'
  | 'subscribe'
  | 'push'
  | 'resolveConflict'
  | 'manageMembers'
  | 'readAudit';

const allowedActions: Record<Role, ReadonlySet<Action>> = {
  VIEWER: new Set<Action>(['read', 'subscribe']),
  // resolveConflict is deliberately absent: an EDITOR may resolve only the conflicts its own
  // change opened, which needs the conflict row. The caller checks that case itself.
  EDITOR: new Set<Action>(['read', 'subscribe', 'push']),
  ADMIN: new Set<Action>([
    'read',
    'subscribe',
    'push',
    'resolveConflict',
    'manageMembers',
    'readAudit',
  ]),
};

/**
 * Whether `role` may do `action` in its workspace, from the role alone. For
 * 'resolveConflict' an EDITOR gets false here; the caller must additionally allow an EDITOR
 * whose change opened the conflict (conflict.actorId === userId).
 */
export function roleAllows(role: Role, action: Action): boolean {
  // Deny by default: a role string the code does not know (a newer database) grants nothing.
  return allowedActions[role]?.has(action) === true;
}
