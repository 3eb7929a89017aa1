import { type AuditEntry, type AuditPage, readAuditLog } from '../sync/audit.ts';
import type { EntityType } from '../sync/types.ts';
import type { Builder } from './builder.ts';
import { requireUser } from './context.ts';
import type { Enums } from './enums.ts';

/** The change log as an audit trail: `auditLog` and its entry and page types. */
export function registerAudit(builder: Builder, { EntityTypeEnum }: Enums): void {
  const AuditEntryObject = builder.objectRef<AuditEntry>('AuditEntry').implement({
    description:
      'One applied change from the change log: who changed what, from which client, when.',
    fields: (t) => ({
      cursor: t.expose('cursor', {
        type: 'Cursor',
        description: 'The position of this change; pass it as `before` to read older ones.',
      }),
      workspaceId: t.exposeID('workspaceId'),
      entityType: t.expose('entityType', { type: EntityTypeEnum }),
      entityId: t.exposeID('entityId'),
      op: t.exposeString('op', { description: 'CREATE, UPDATE or DELETE.' }),
      changedFields: t.exposeStringList('changedFields'),
      changes: t.expose('changes', {
        type: 'JSON',
        description: 'Per changed field, `{ "old": ..., "new": ... }`.',
      }),
      version: t.exposeInt('version', { description: 'The entity version this change produced.' }),
      actorId: t.exposeID('actorId'),
      clientId: t.exposeID('clientId', {
        nullable: true,
        description: 'The pushing client; null for server-side changes such as resolutions.',
      }),
      mutationId: t.exposeID('mutationId', { nullable: true }),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
    }),
  });

  const AuditPageObject = builder.objectRef<AuditPage>('AuditLogPage').implement({
    fields: (t) => ({
      entries: t.expose('entries', { type: [AuditEntryObject] }),
      cursor: t.expose('cursor', {
        type: 'Cursor',
        nullable: true,
        description: 'Pass as `before` for the next (older) page; null when this page is empty.',
      }),
      hasMore: t.exposeBoolean('hasMore'),
    }),
  });

  builder.queryFields((t) => ({
    auditLog: t.field({
      type: AuditPageObject,
      description:
        'The change log of a workspace, newest first, optionally of one entity or one actor. ADMIN only.',
      args: {
        workspaceId: t.arg.id({ required: true }),
        entityType: t.arg({ type: EntityTypeEnum }),
        entityId: t.arg.id(),
        actorId: t.arg.id(),
        first: t.arg.int({ defaultValue: 50 }),
        before: t.arg({ type: 'Cursor' }),
      },
      resolve: (_root, args, context) =>
        readAuditLog(context.services.prisma, requireUser(context), {
          workspaceId: args.workspaceId,
          // A value of EntityTypeEnum, which lists exactly the model's entity types.
          entityType: args.entityType as EntityType | null | undefined,
          entityId: args.entityId,
          actorId: args.actorId,
          first: args.first ?? 50,
          before: args.before,
        }),
    }),
  }));
}
