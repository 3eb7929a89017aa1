import type { ModelDescription } from '../../model/index.ts';
import {
  ConflictStatus as ConflictStatusValues,
  Role as RoleValues,
} from '../db/generated/prisma/enums.ts';
import type { Builder } from './builder.ts';
import { registerEntityTypeEnum, registerModelEnums } from './model-enums.ts';

/**
 * Every enum of the schema, in the order schema.graphql lists them: the platform's, with
 * `EntityType` and the model's enums after `Role`.
 */
export function registerEnums(builder: Builder, model: ModelDescription) {
  const RoleEnum = builder.enumType(RoleValues, { name: 'Role' });
  const EntityTypeEnum = registerEntityTypeEnum(builder, model);
  const modelEnums = registerModelEnums(builder, model);
  const ChangeStatusEnum = builder.enumType('ChangeStatus', {
    values: ['APPLIED', 'MERGED', 'CONFLICT', 'REJECTED', 'DUPLICATE'] as const,
  });
  const ConflictStatusEnum = builder.enumType(ConflictStatusValues, { name: 'ConflictStatus' });
  const ConflictChoiceEnum = builder.enumType('ConflictChoice', {
    values: ['SERVER', 'LOCAL', 'CUSTOM'] as const,
  });
  return {
    RoleEnum,
    EntityTypeEnum,
    modelEnums,
    ChangeStatusEnum,
    ConflictStatusEnum,
    ConflictChoiceEnum,
  };
}

export type Enums = ReturnType<typeof registerEnums>;
