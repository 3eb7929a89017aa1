import { describe, expect, it } from 'vitest';
import { type Action, type Role, roleAllows } from '../../server/auth/roles.ts';

// docs/protocol.md, Workspaces and roles: VIEWER reads and subscribes, EDITOR also pushes, ADMIN
// also resolves conflicts, manages members and reads the audit log. An EDITOR's right to resolve
// its own conflicts needs the conflict row and is checked by the caller, so it is false here.
const table: Record<Role, Record<Action, boolean>> = {
  VIEWER: {
    read: true,
    subscribe: true,
    push: false,
    resolveConflict: false,
    manageMembers: false,
    readAudit: false,
  },
  EDITOR: {
    read: true,
    subscribe: true,
    push: true,
    resolveConflict: false,
    manageMembers: false,
    readAudit: false,
  },
  ADMIN: {
    read: true,
    subscribe: true,
    push: true,
    resolveConflict: true,
    manageMembers: true,
    readAudit: true,
  },
};

const cases = Object.entries(table).flatMap(([role, actions]) =>
  Object.entries(actions).map(
    ([action, allowed]) => [role as Role, action as Action, allowed] as const,
  ),
);

describe('roleAllows', () => {
  it.each(cases)('%s may %s: %s', (role, action, allowed) => {
    expect(roleAllows(role, action)).toBe(allowed);
  });

  it('grants nothing to a role it does not know', () => {
    expect(roleAllows('OWNER' as Role, 'read')).toBe(false);
  });
});
