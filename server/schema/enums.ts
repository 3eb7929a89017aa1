import {
  ConflictStatus as ConflictStatusValues,
  EntityType as EntityTypeValues,
  Role as RoleValues,
  TaskStatus as TaskStatusValues,
} from '../db/generated/prisma/enums.ts';
import { builder } from './builder.ts';

export const RoleEnum = builder.enumType(RoleValues, { name: 'Role' });
export const EntityTypeEnum = builder.enumType(EntityTypeValues, { name: 'EntityType' });
export const TaskStatusEnum = builder.enumType(TaskStatusValues, { name: 'TaskStatus' });
export const ChangeStatusEnum = builder.enumType('ChangeStatus', {
  values: ['APPLIED', 'MERGED', 'CONFLICT', 'REJECTED', 'DUPLICATE'] as const,
});
export const ConflictStatusEnum = builder.enumType(ConflictStatusValues, {
  name: 'ConflictStatus',
});
export const ConflictChoiceEnum = builder.enumType('ConflictChoice', {
  values: ['SERVER', 'LOCAL', 'CUSTOM'] as const,
});
