import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../model/load.ts';
import {
  fragmentName,
  operationsFileName,
  renderClientOperations,
} from '../../scripts/generate/operations.ts';
import { renderPrismaModel } from '../../scripts/generate/prisma.ts';

const exampleModel = loadModel('examples/field-service/model.graphql');
const defaultModel = loadModel();

/** The lines of one `model` or `enum` block, trimmed, blank lines dropped. */
function block(schema: string, head: string): string[] {
  const start = schema.indexOf(`${head} {\n`);
  expect(start, `${head} is missing`).toBeGreaterThanOrEqual(0);
  const end = schema.indexOf('\n}', start);
  return schema
    .slice(start + head.length + 3, end)
    .split('\n')
    .map((line) => line.trim().replace(/\s+/g, ' '))
    .filter((line) => line !== '');
}

describe('the Prisma schema generated from a model', () => {
  const schema = renderPrismaModel(exampleModel);

  it('says it is generated', () => {
    expect(
      schema.startsWith('// Generated from model.graphql by `npm run generate`; do not edit.'),
    ).toBe(true);
  });

  it('lists the entity types and the model enums in model order', () => {
    expect(block(schema, 'enum EntityType')).toEqual([
      'SITE',
      'WORK_ORDER',
      'PART_CATEGORY',
      'BATCH',
      'INVENTORY',
    ]);
    expect(block(schema, 'enum JobState')).toEqual([
      'SCHEDULED',
      'EN_ROUTE',
      'ON_SITE',
      'COMPLETED',
      'CANCELLED',
    ]);
    expect(block(schema, 'enum Skill')).toEqual(['ELECTRICAL', 'PLUMBING', 'HVAC', 'CARPENTRY']);
  });

  it('maps every field type, nullability and default to a column', () => {
    expect(block(schema, 'model WorkOrder')).toEqual([
      'id String @id',
      'workspaceId String',
      'siteId String',
      'summary String',
      'instructions String @default("")',
      'state JobState @default(SCHEDULED)',
      'urgency Int @default(2)',
      'requiredSkills Skill[] @default([])',
      'labels String[] @default([])',
      'technicianId String?',
      'scheduledFor DateTime?',
      'quotedPrice Float?',
      'laborHours Float @default(0)',
      'partsFitted Int @default(0)',
      'dispatcherId String',
      'checklist Json?',
      'version Int @default(1)',
      'seq Int',
      'createdAt DateTime @default(now())',
      'updatedAt DateTime @updatedAt',
      'updatedBy String?',
      'deleted Boolean @default(false)',
      'fieldMeta Json @default("{}")',
      'workspace Workspace @relation(fields: [workspaceId], references: [id], onDelete: Cascade)',
      '@@index([workspaceId, seq])',
      '@@index([workspaceId, siteId])',
    ]);
    expect(block(schema, 'model Batch')).toContain(
      'deliveredAt DateTime? @default("2026-01-01T00:00:00.000Z")',
    );
    expect(block(schema, 'model Batch')).toEqual(
      expect.arrayContaining([
        '@@index([workspaceId, workOrderId])',
        '@@index([workspaceId, partCategoryId])',
      ]),
    );
  });

  it('gives Workspace a back-relation to every entity, named by its plural', () => {
    const workspace = block(schema, 'model Workspace');
    expect(workspace).toEqual(
      expect.arrayContaining([
        'members Member[]',
        'sites Site[]',
        'workOrders WorkOrder[]',
        'partCategories PartCategory[]',
        'batches Batch[]',
        'inventory Inventory[]',
      ]),
    );
  });

  it('is the committed model.prisma for the default model', async () => {
    expect(await readFile('prisma/schema/model.prisma', 'utf8')).toBe(
      renderPrismaModel(defaultModel),
    );
  });
});

describe('the client operations generated from a model', () => {
  const operations = renderClientOperations(exampleModel);

  it('select __typename, the sync fields and every model field of each entity', () => {
    const fragment = operations.slice(
      operations.indexOf('fragment InventoryFields on Inventory {'),
    );
    expect(fragment.slice(0, fragment.indexOf('}'))).toBe(
      `${[
        'fragment InventoryFields on Inventory {',
        ...['__typename', 'id', 'workspaceId', 'version', 'updatedAt', 'updatedBy', 'deleted'],
        ...['batchId', 'shelf', 'countedById', 'remaining'],
      ].join('\n  ')}\n`,
    );
  });

  it('spread every entity into SyncEntityFields and query each by id', () => {
    for (const entity of exampleModel.entities) {
      expect(operations).toContain(`  ...${fragmentName(entity)}\n`);
      expect(operations).toContain(
        `query ${entity.name}($id: ID!) {\n  ${entity.queryField}(id: $id) {\n    ...${entity.name}Fields\n  }\n}`,
      );
    }
  });

  it('are the committed operations for the default model', async () => {
    const committed = await readFile(`client/operations/${operationsFileName}`, 'utf8');
    expect(committed).toBe(renderClientOperations(defaultModel));
  });
});
