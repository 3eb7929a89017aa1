import type { GraphQLSchema } from 'graphql';
import type { ModelDescription } from '../../model/index.ts';
import { syncModel } from '../sync/model.ts';
import { registerAudit } from './audit.ts';
import { createBuilder } from './builder.ts';
import { registerChanges } from './changes.ts';
import { registerConflicts } from './conflict.ts';
import { registerEntityObjects } from './entity-objects.ts';
import { registerEnums } from './enums.ts';
import { registerPush } from './push.ts';
import { registerScalars } from './scalars.ts';
import { registerSubscriptions } from './subscriptions.ts';
import { registerWorkspaces } from './workspace.ts';

/**
 * The executable schema for a model: platform types plus, in a loop over the model, each
 * entity's object type, patch and change inputs, `ChangeInput` key, `EntityType` value and
 * `<entity>(id:)` query (docs/model.md, Names derived from a type). One builder per schema.
 * Registration order is the order schema.graphql lists types and root fields.
 */
export function buildSchema(model: ModelDescription): GraphQLSchema {
  const builder = createBuilder();
  registerScalars(builder);
  const enums = registerEnums(builder, model);
  const entities = registerEntityObjects(builder, model, enums.modelEnums);
  registerWorkspaces(builder, enums);
  registerChanges(builder, enums, entities);
  const conflictObject = registerConflicts(builder, enums);
  registerPush(builder, model, enums, entities, conflictObject);
  registerSubscriptions(builder, enums, entities, conflictObject);
  registerAudit(builder, enums);
  return builder.toSchema({ sortSchema: false });
}

/** The server's schema: the one for the repository's model.graphql. */
export const schema = buildSchema(syncModel);
