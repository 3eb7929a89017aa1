/**
 * Hybrid logical clock stamps (docs/protocol.md, Hybrid logical clock): `"<unixMillis>:<counter>"`.
 *
 * Stamps order concurrent writes for last-writer-wins. They are compared as numbers, never as
 * strings: "10:0" is later than "9:0". Pure functions only; the caller passes the time in.
 */

/**
 * A client clock further ahead than this is not trusted (docs/protocol.md, Hybrid logical clock).
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** A counter must fit a signed 32-bit integer so every client language can hold it. */
const COUNTER_LIMIT = 2 ** 31;

// Fifteen digits of millis stay below Number.MAX_SAFE_INTEGER (and reach year 33658).
const HLC_PATTERN = /^(\d{1,15}):(\d{1,10})$/;

/** A write's identity for last-writer-wins: compare `hlc`, ties broken by `clientId`. */
export interface Stamp {
  hlc: string;
  clientId: string;
}

export function isValidHlc(value: string): boolean {
  return parseOrNull(value) !== null;
}

export function parseHlc(value: string): { millis: number; counter: number } {
  const parsed = parseOrNull(value);
  if (!parsed) {
    throw new RangeError(`Invalid HLC ${JSON.stringify(value)}: expected "<unixMillis>:<counter>"`);
  }
  return parsed;
}

export function formatHlc(millis: number, counter: number): string {
  if (!Number.isSafeInteger(millis) || millis < 0 || millis > 999_999_999_999_999) {
    throw new RangeError(
      `Invalid HLC millis ${millis}: a non-negative integer of 15 digits at most`,
    );
  }
  if (!Number.isInteger(counter) || counter < 0 || counter >= COUNTER_LIMIT) {
    throw new RangeError(`Invalid HLC counter ${counter}: an integer in 0..${COUNTER_LIMIT - 1}`);
  }
  return `${millis}:${counter}`;
}

export function compareHlc(a: string, b: string): number {
  const left = parseHlc(a);
  const right = parseHlc(b);
  return Math.sign(left.millis - right.millis) || Math.sign(left.counter - right.counter);
}

/** Total order over writes; a stamp equal to another is the same write. */
export function compareStamps(a: Stamp, b: Stamp): number {
  return compareHlc(a.hlc, b.hlc) || compareStrings(a.clientId, b.clientId);
}

/**
 * The server's view of a client's stamp: absent -> server time `${now}:0`; more than
 * MAX_CLOCK_SKEW_MS ahead of now -> server time instead (so a client with a wrong clock cannot
 * win every future conflict); otherwise the client's, in canonical form (no leading zeros) so
 * equal stamps are equal strings. Caller validates format first.
 */
export function effectiveHlc(clientHlc: string | null | undefined, nowMillis: number): string {
  const serverTime = formatHlc(nowMillis, 0);
  if (clientHlc === null || clientHlc === undefined) return serverTime;
  const { millis, counter } = parseHlc(clientHlc);
  if (millis - nowMillis > MAX_CLOCK_SKEW_MS) return serverTime;
  return formatHlc(millis, counter);
}

/**
 * Smallest HLC strictly greater than `hlc`. Used when a change is causally after the server's
 * write (it saw that version) so its stamp must win even if the client's clock is behind.
 */
export function successorHlc(hlc: string): string {
  const { millis, counter } = parseHlc(hlc);
  if (counter + 1 < COUNTER_LIMIT) return formatHlc(millis, counter + 1);
  return formatHlc(millis + 1, 0);
}

export function maxHlc(a: string, b: string): string {
  return compareHlc(a, b) >= 0 ? a : b;
}

function parseOrNull(value: string): { millis: number; counter: number } | null {
  if (typeof value !== 'string') return null;
  const match = HLC_PATTERN.exec(value);
  if (!match) return null;
  const millis = Number(match[1]);
  const counter = Number(match[2]);
  if (counter >= COUNTER_LIMIT) return null;
  return { millis, counter };
}

// Code-unit order, not locale order: every replica must break ties the same way.
function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
