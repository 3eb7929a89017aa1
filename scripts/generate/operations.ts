/**
 * The client operations that name the model's entities (client/operations/entities.generated.graphql):
 * a `<Entity>Fields` fragment per entity with every field, `SyncEntityFields` spreading them,
 * and a `<Entity>(id:)` query per entity. The hand-written documents beside it hold only the
 * platform's operations, which spread `SyncEntityFields`.
 */

import type { EntityDescription, ModelDescription } from '../../model/index.ts';

export const operationsFileName = 'entities.generated.graphql';

/** SyncRecord's fields, which every entity object has (schema.graphql, `interface SyncRecord`). */
const syncRecordFields = ['id', 'workspaceId', 'version', 'updatedAt', 'updatedBy', 'deleted'];

const header = `# Generated from model.graphql by \`npm run generate\`; do not edit.
# Every field of each synced type: cache writes from pulls, pushes and subscriptions must be
# complete, or graphcache reports partial entities and refetches them.
`;

export const fragmentName = (entity: EntityDescription): string => `${entity.name}Fields`;

export function renderClientOperations(model: ModelDescription): string {
  const documents = [
    ...model.entities.map(renderFragment),
    renderSyncEntityFragment(model.entities),
    ...model.entities.map(renderQuery),
  ];
  return `${header}\n${documents.join('\n\n')}\n`;
}

function renderFragment(entity: EntityDescription): string {
  const fields = ['__typename', ...syncRecordFields, ...entity.fields.map((field) => field.name)];
  return selection(`fragment ${fragmentName(entity)} on ${entity.name}`, fields);
}

function renderSyncEntityFragment(entities: readonly EntityDescription[]): string {
  const spreads = entities.map((entity) => `...${fragmentName(entity)}`);
  return selection('fragment SyncEntityFields on SyncEntity', ['__typename', ...spreads]);
}

function renderQuery(entity: EntityDescription): string {
  const field = selection(`${entity.queryField}(id: $id)`, [`...${fragmentName(entity)}`], '  ');
  return `query ${entity.name}($id: ID!) {\n${field}\n}`;
}

function selection(head: string, lines: readonly string[], indent = ''): string {
  const body = lines.map((line) => `${indent}  ${line}`).join('\n');
  return `${indent}${head} {\n${body}\n${indent}}`;
}
