import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareHlc,
  compareStamps,
  effectiveHlc,
  formatHlc,
  isValidHlc,
  MAX_CLOCK_SKEW_MS,
  maxHlc,
  parseHlc,
  successorHlc,
} from '../../model/merge/hlc.ts';

const MAX_COUNTER = 2 ** 31 - 1;
const MAX_MILLIS = 999_999_999_999_999;
const NOW = 1_700_000_000_000;

const millisArb = fc.oneof(
  fc.integer({ min: 0, max: 3 }),
  fc.integer({ min: NOW - 10, max: NOW + 10 }),
  fc.integer({ min: 0, max: MAX_MILLIS }),
);
const counterArb = fc.oneof(
  fc.integer({ min: 0, max: 3 }),
  fc.integer({ min: MAX_COUNTER - 2, max: MAX_COUNTER }),
  fc.integer({ min: 0, max: MAX_COUNTER }),
);
const hlcArb = fc
  .tuple(millisArb, counterArb)
  .map(([millis, counter]) => formatHlc(millis, counter));

describe('isValidHlc', () => {
  it.each([
    '0:0',
    '1700000000000:0',
    '1700000000000:17',
    `${MAX_MILLIS}:${MAX_COUNTER}`,
    '0001:0002',
  ])('accepts %s', (value) => {
    expect(isValidHlc(value)).toBe(true);
  });

  it.each([
    '',
    ':',
    '1',
    '1:',
    ':1',
    '1:2:3',
    '-1:0',
    '1:-1',
    '+1:0',
    '1.5:0',
    '1:0.5',
    ' 1:0',
    '1:0 ',
    '1:0\n',
    '1e3:0',
    '0x10:0',
    'abc:0',
    'yesterday',
    '1000000000000000:0', // 16 digits of millis
    `1:${MAX_COUNTER + 1}`, // counter must stay below 2^31
    '1:99999999999', // 11 digits of counter
    '١٢:٠', // Arabic-Indic digits are not ASCII digits
  ])('rejects %j', (value) => {
    expect(isValidHlc(value)).toBe(false);
    expect(() => parseHlc(value)).toThrow(RangeError);
  });

  it('rejects non-strings that slip past the types', () => {
    expect(isValidHlc(undefined as unknown as string)).toBe(false);
    expect(isValidHlc(12 as unknown as string)).toBe(false);
  });
});

describe('parseHlc and formatHlc', () => {
  it('parses both parts as numbers', () => {
    expect(parseHlc('1700000000000:42')).toEqual({ millis: 1_700_000_000_000, counter: 42 });
    expect(parseHlc('007:010')).toEqual({ millis: 7, counter: 10 });
  });

  it('formats without padding', () => {
    expect(formatHlc(1_700_000_000_000, 0)).toBe('1700000000000:0');
    expect(formatHlc(0, MAX_COUNTER)).toBe(`0:${MAX_COUNTER}`);
  });

  it.each([
    [-1, 0],
    [1.5, 0],
    [Number.NaN, 0],
    [MAX_MILLIS + 1, 0],
    [0, -1],
    [0, 0.5],
    [0, MAX_COUNTER + 1],
  ])('refuses to format (%d, %d)', (millis, counter) => {
    expect(() => formatHlc(millis, counter)).toThrow(RangeError);
  });

  it('round-trips every valid pair', () => {
    fc.assert(
      fc.property(millisArb, counterArb, (millis, counter) => {
        const hlc = formatHlc(millis, counter);
        expect(isValidHlc(hlc)).toBe(true);
        expect(parseHlc(hlc)).toEqual({ millis, counter });
      }),
    );
  });
});

describe('compareHlc', () => {
  it('compares numerically, not as strings', () => {
    expect(compareHlc('10:0', '9:0')).toBeGreaterThan(0);
    expect(compareHlc('9:0', '10:0')).toBeLessThan(0);
    expect(compareHlc('5:10', '5:9')).toBeGreaterThan(0);
    expect(compareHlc('1700000000000:0', '999999999999:5')).toBeGreaterThan(0);
  });

  it('orders by millis first, then counter', () => {
    expect(compareHlc('2:0', '1:99')).toBeGreaterThan(0);
    expect(compareHlc('1:1', '1:0')).toBeGreaterThan(0);
  });

  it('treats leading zeros as the same instant', () => {
    expect(compareHlc('010:02', '10:2')).toBe(0);
  });

  it('throws on invalid stamps rather than guessing an order', () => {
    expect(() => compareHlc('nope', '1:0')).toThrow(RangeError);
  });

  it('agrees with the numeric order of (millis, counter)', () => {
    fc.assert(
      fc.property(millisArb, counterArb, millisArb, counterArb, (m1, c1, m2, c2) => {
        const expected = Math.sign(m1 - m2) || Math.sign(c1 - c2);
        expect(compareHlc(formatHlc(m1, c1), formatHlc(m2, c2))).toBe(expected);
      }),
    );
  });

  it('is antisymmetric', () => {
    fc.assert(
      fc.property(hlcArb, hlcArb, (a, b) => {
        expect(compareHlc(a, b)).toBe(-compareHlc(b, a) || 0);
      }),
    );
  });
});

describe('compareStamps', () => {
  it('compares hlc first', () => {
    expect(compareStamps({ hlc: '10:0', clientId: 'a' }, { hlc: '9:0', clientId: 'z' })).toBe(1);
  });

  it('breaks hlc ties by the higher clientId', () => {
    expect(compareStamps({ hlc: '5:0', clientId: 'b' }, { hlc: '5:0', clientId: 'a' })).toBe(1);
    expect(compareStamps({ hlc: '5:0', clientId: 'a' }, { hlc: '5:0', clientId: 'b' })).toBe(-1);
  });

  it('orders clientIds by code unit, not by locale', () => {
    // localeCompare would put 'a' after 'B'; code-unit order is the same on every replica.
    expect(compareStamps({ hlc: '5:0', clientId: 'a' }, { hlc: '5:0', clientId: 'B' })).toBe(1);
  });

  it('calls the same stamp equal', () => {
    expect(compareStamps({ hlc: '5:1', clientId: 'a' }, { hlc: '5:1', clientId: 'a' })).toBe(0);
  });
});

describe('effectiveHlc', () => {
  it('uses server time when the stamp is absent', () => {
    expect(effectiveHlc(undefined, NOW)).toBe(`${NOW}:0`);
    expect(effectiveHlc(null, NOW)).toBe(`${NOW}:0`);
  });

  it('keeps a stamp from the past', () => {
    expect(effectiveHlc(`${NOW - 86_400_000}:3`, NOW)).toBe(`${NOW - 86_400_000}:3`);
  });

  it('keeps a stamp slightly ahead of server time', () => {
    expect(effectiveHlc(`${NOW + 1000}:0`, NOW)).toBe(`${NOW + 1000}:0`);
  });

  it('keeps a stamp exactly the allowed skew ahead', () => {
    const edge = `${NOW + MAX_CLOCK_SKEW_MS}:9`;
    expect(effectiveHlc(edge, NOW)).toBe(edge);
  });

  it('replaces a stamp more than five minutes ahead with server time', () => {
    expect(MAX_CLOCK_SKEW_MS).toBe(300_000);
    expect(effectiveHlc(`${NOW + MAX_CLOCK_SKEW_MS + 1}:0`, NOW)).toBe(`${NOW}:0`);
    expect(effectiveHlc(`${NOW + 365 * 86_400_000}:0`, NOW)).toBe(`${NOW}:0`);
  });

  it('returns the canonical form of the client stamp', () => {
    expect(effectiveHlc(`0${NOW}:007`, NOW)).toBe(`${NOW}:7`);
  });

  it('throws on a malformed stamp (the caller validates first)', () => {
    expect(() => effectiveHlc('yesterday', NOW)).toThrow(RangeError);
  });

  it('never returns a stamp more than the allowed skew ahead', () => {
    fc.assert(
      fc.property(fc.option(hlcArb, { nil: undefined }), millisArb, (hlc, now) => {
        const result = parseHlc(effectiveHlc(hlc, now));
        expect(result.millis - now).toBeLessThanOrEqual(MAX_CLOCK_SKEW_MS);
      }),
    );
  });
});

describe('successorHlc', () => {
  it('increments the counter', () => {
    expect(successorHlc('100:0')).toBe('100:1');
    expect(successorHlc('100:41')).toBe('100:42');
  });

  it('rolls over to the next millisecond when the counter is full', () => {
    expect(successorHlc(`100:${MAX_COUNTER}`)).toBe('101:0');
  });

  it('throws past the largest representable stamp', () => {
    expect(() => successorHlc(`${MAX_MILLIS}:${MAX_COUNTER}`)).toThrow(RangeError);
  });

  it('is the smallest stamp strictly greater', () => {
    fc.assert(
      fc.property(hlcArb, hlcArb, (hlc, other) => {
        fc.pre(hlc !== `${MAX_MILLIS}:${MAX_COUNTER}`);
        const next = successorHlc(hlc);
        expect(isValidHlc(next)).toBe(true);
        expect(compareHlc(next, hlc)).toBe(1);
        // Nothing fits between a stamp and its successor.
        if (compareHlc(other, hlc) > 0) expect(compareHlc(other, next)).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

describe('maxHlc', () => {
  it('returns the later stamp by numeric order', () => {
    expect(maxHlc('10:0', '9:5')).toBe('10:0');
    expect(maxHlc('9:5', '10:0')).toBe('10:0');
    expect(maxHlc('7:2', '7:3')).toBe('7:3');
  });

  it('is commutative up to equal instants', () => {
    fc.assert(
      fc.property(hlcArb, hlcArb, (a, b) => {
        expect(compareHlc(maxHlc(a, b), maxHlc(b, a))).toBe(0);
        expect(compareHlc(maxHlc(a, b), a)).toBeGreaterThanOrEqual(0);
        expect(compareHlc(maxHlc(a, b), b)).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});
