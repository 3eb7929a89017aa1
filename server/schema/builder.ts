import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import type PrismaTypes from '../db/generated/pothos-prisma-types.ts';
import { getDatamodel } from '../db/generated/pothos-prisma-types.ts';
import type { Context } from './context.ts';

interface SchemaTypes {
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  Scalars: {
    ID: { Input: string; Output: string };
    Cursor: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
  };
}

/**
 * A fresh Pothos builder: one per schema, so a schema can be built for any model (the
 * server's, or an example's in tests). Every type file registers on the builder it is given.
 */
export function createBuilder() {
  const builder = new SchemaBuilder<SchemaTypes>({
    plugins: [PrismaPlugin],
    defaultFieldNullability: false,
    prisma: {
      client: (context) => context.services.prisma,
      dmmf: getDatamodel(),
      exposeDescriptions: false,
    },
  });
  builder.queryType({});
  builder.mutationType({});
  return builder;
}

export type Builder = ReturnType<typeof createBuilder>;
