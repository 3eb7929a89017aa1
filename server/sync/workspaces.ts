import { randomUUID } from 'node:crypto';
import { isValidUserId } from '../auth/jwt.ts';
import { type Action, roleAllows } from '../auth/roles.ts';
import type { Tx } from '../db/client.ts';
import type { Member, PrismaClient, Role } from '../db/generated/prisma/client.ts';
import type { SqlQueryable } from '../db/sql.ts';
import { badUserInput, forbidden } from '../errors.ts';
import { selectRoleAndSeq } from './bulk-sql.ts';
import type { Actor } from './types.ts';
import { validateEntityId, validateWorkspaceName } from './validation.ts';

/** A workspace as one member sees it. */
export interface WorkspaceView {
  id: string;
  name: string;
  seq: number;
  role: Role;
  members: Member[];
}

/**
 * The caller's role in a workspace, or FORBIDDEN. Non-members and unknown workspaces get the
 * same answer so that a workspace's existence never leaks (docs/protocol.md, Workspaces and roles).
 */
export async function requireAccess(
  prisma: PrismaClient,
  actor: Actor,
  workspaceId: string,
  action: Action,
): Promise<Role> {
  requireValidWorkspaceId(workspaceId);
  const membership = await prisma.member.findUnique({
    where: { workspaceId_userId: { workspaceId, userId: actor.userId } },
    select: { role: true },
  });
  return requireRole(membership?.role ?? null, action);
}

/**
 * requireAccess and the workspace counter (a pull's watermark) in one statement on the
 * driver, with the same answers.
 */
export async function requireAccessWithSeq(
  sql: SqlQueryable,
  actor: Actor,
  workspaceId: string,
  action: Action,
): Promise<{ role: Role; seq: number }> {
  requireValidWorkspaceId(workspaceId);
  const member = await selectRoleAndSeq(sql, workspaceId, actor.userId);
  if (!member) throw notAMember();
  requireRole(member.role, action);
  return member;
}

export function requireValidWorkspaceId(workspaceId: string): void {
  if (validateEntityId(workspaceId))
    throw badUserInput('Invalid workspaceId', { field: 'workspaceId' });
}

export const notAMember = () => forbidden('You are not a member of this workspace');

/** The role when it allows `action`; FORBIDDEN for no role (not a member) or too small a one. */
export function requireRole(role: Role | null, action: Action): Role {
  if (!role) throw notAMember();
  if (!roleAllows(role, action)) throw forbidden(`Your role ${role} does not allow this`);
  return role;
}

export async function listWorkspaces(prisma: PrismaClient, actor: Actor): Promise<WorkspaceView[]> {
  const memberships = await prisma.member.findMany({
    where: { userId: actor.userId },
    include: { workspace: { include: { members: { orderBy: { createdAt: 'asc' } } } } },
    orderBy: { createdAt: 'asc' },
  });
  return memberships.map(({ role, workspace }) => ({ ...workspace, role }));
}

export async function createWorkspace(
  prisma: PrismaClient,
  actor: Actor,
  name: string,
): Promise<WorkspaceView> {
  const problem = validateWorkspaceName(name);
  if (problem) throw badUserInput(`name ${problem.message}`, { field: 'name' });
  const workspace = await prisma.workspace.create({
    data: {
      id: randomUUID(),
      name,
      createdBy: actor.userId,
      members: { create: { userId: actor.userId, role: 'ADMIN' } },
    },
    include: { members: true },
  });
  return { ...workspace, role: 'ADMIN' };
}

/** Adds a member or changes a member's role. The last admin cannot demote themselves. */
export async function addMember(
  prisma: PrismaClient,
  actor: Actor,
  workspaceId: string,
  userId: string,
  role: Role,
): Promise<Member> {
  await requireAccess(prisma, actor, workspaceId, 'manageMembers');
  requireValidUserId(userId);
  return prisma.$transaction(async (tx) => {
    await lockWorkspace(tx, workspaceId);
    if (role !== 'ADMIN') await assertAnotherAdminRemains(tx, workspaceId, userId);
    return tx.member.upsert({
      where: { workspaceId_userId: { workspaceId, userId } },
      create: { workspaceId, userId, role },
      update: { role },
    });
  });
}

/** Removes a member; false when they were not one. A workspace always keeps one admin. */
export async function removeMember(
  prisma: PrismaClient,
  actor: Actor,
  workspaceId: string,
  userId: string,
): Promise<boolean> {
  await requireAccess(prisma, actor, workspaceId, 'manageMembers');
  // PostgreSQL refuses NUL in text: checked here, it is the client's mistake, not a 500.
  requireValidUserId(userId);
  return prisma.$transaction(async (tx) => {
    await lockWorkspace(tx, workspaceId);
    await assertAnotherAdminRemains(tx, workspaceId, userId);
    const { count } = await tx.member.deleteMany({ where: { workspaceId, userId } });
    return count > 0;
  });
}

function requireValidUserId(userId: string): void {
  if (!isValidUserId(userId)) {
    throw badUserInput('userId must be 1 to 128 characters without control characters', {
      field: 'userId',
    });
  }
}

// Membership changes take the same lock as pushes so two admins demoting each other at
// once cannot leave the workspace without an admin.
async function lockWorkspace(tx: Tx, workspaceId: string): Promise<void> {
  await tx.$queryRaw`SELECT 1 FROM "Workspace" WHERE "id" = ${workspaceId} FOR UPDATE`;
}

async function assertAnotherAdminRemains(
  tx: Tx,
  workspaceId: string,
  userId: string,
): Promise<void> {
  const otherAdmins = await tx.member.count({
    where: { workspaceId, role: 'ADMIN', userId: { not: userId } },
  });
  if (otherAdmins === 0) {
    throw badUserInput('A workspace needs at least one ADMIN: promote someone else first', {
      field: 'userId',
    });
  }
}
