import { GraphQLError } from 'graphql';
import { isValidCursor } from '../sync/cursor.ts';
import type { Builder } from './builder.ts';

const badInput = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });

/** Cursor, DateTime and JSON: the scalars every schema declares, in this order. */
export function registerScalars(builder: Builder): void {
  builder.scalarType('Cursor', {
    description:
      'An opaque position in a workspace change stream. Store it and pass it back; never parse it.',
    serialize: (value) => String(value),
    parseValue: (value) => {
      if (typeof value !== 'string' || !isValidCursor(value)) throw badInput('Invalid Cursor');
      return value;
    },
  });

  builder.scalarType('DateTime', {
    description: 'An ISO 8601 date-time with a time zone, e.g. 2026-11-22T10:00:00.000Z.',
    serialize: (value) => {
      const date = value instanceof Date ? value : new Date(value as string);
      return date.toISOString();
    },
    parseValue: (value) => {
      if (typeof value !== 'string') throw badInput('DateTime must be an ISO 8601 string');
      return parseDateTime(value);
    },
  });

  // graphql-js's default parseLiteral turns inline literals into plain values before parseValue.
  builder.scalarType('JSON', {
    description: 'Any JSON value.',
    serialize: (value) => value,
    parseValue: (value) => value,
  });
}

// RFC 3339 with an explicit zone: a bare date or local time would mean different instants on different devices.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function parseDateTime(value: string): Date {
  const date = new Date(value);
  if (!DATE_TIME.test(value) || Number.isNaN(date.getTime())) {
    throw badInput('DateTime must be ISO 8601 with a time zone, e.g. 2026-11-22T10:00:00Z');
  }
  return date;
}
