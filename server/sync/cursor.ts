import { badUserInput } from '../errors.ts';

/**
 * Cursors are opaque to clients (docs/protocol.md, Cursor): a versioned prefix and the workspace
 * sequence number, base64url-encoded so nobody is tempted to do arithmetic on them. The
 * version prefix lets the encoding change later without breaking stored cursors.
 */
const CURSOR_PREFIX = 'c1:';
const MAX_CURSOR_LENGTH = 64;
/** Sequence numbers are 32-bit integer columns: no cursor the server hands out is larger. */
const MAX_SEQ = 2_147_483_647;

export function encodeCursor(seq: number): string {
  return Buffer.from(`${CURSOR_PREFIX}${seq}`, 'utf8').toString('base64url');
}

/** The sequence number inside a cursor; null/undefined means "from the beginning" (0). */
export function decodeCursor(cursor: string | null | undefined): number {
  if (cursor === null || cursor === undefined) return 0;
  const seq = parseCursor(cursor);
  if (seq === null) throw badUserInput('Invalid cursor: pass back a cursor the server returned');
  return seq;
}

function parseCursor(cursor: string): number | null {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) return null;
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!decoded.startsWith(CURSOR_PREFIX)) return null;
  const digits = decoded.slice(CURSOR_PREFIX.length);
  if (!/^(0|[1-9]\d{0,14})$/.test(digits)) return null;
  const seq = Number(digits);
  return seq <= MAX_SEQ ? seq : null;
}

export function isValidCursor(cursor: string): boolean {
  return parseCursor(cursor) !== null;
}
