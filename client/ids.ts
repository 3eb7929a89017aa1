/**
 * UUIDv7 (RFC 9562): 48 bits of unix milliseconds, then random bits. Ids sort by creation
 * time, which keeps the server's indexes compact; docs/protocol.md, Ids, recommends UUIDv7 or ULID.
 * A counter in the random part keeps ids made within one millisecond in order.
 */
let lastMillis = -1;
let sequence = 0;

export function uuidv7(now: number = Date.now()): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  if (now <= lastMillis) {
    sequence = (sequence + 1) & 0xfff;
    if (sequence === 0) lastMillis += 1;
  } else {
    lastMillis = now;
    sequence = (bytes[6] ?? 0) & 0x7ff;
  }
  const millis = lastMillis;
  for (let index = 0; index < 6; index++) {
    bytes[index] = Math.floor(millis / 2 ** (8 * (5 - index))) & 0xff;
  }
  bytes[6] = 0x70 | ((sequence >> 8) & 0x0f);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Random UUIDv4 for mutation ids and client ids. */
export function uuidv4(): string {
  return crypto.randomUUID();
}
