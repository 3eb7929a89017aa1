import { describe, expect, it } from 'vitest';
import { tokenFromPasted } from '../../dashboard/src/session.ts';

/** A JWT-shaped token for `sub` (unsigned: the dashboard only reads it, the server verifies). */
function jwtFor(sub: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub, exp: 2_000_000_000 })}.c2lnbmF0dXJl`;
}

const token = jwtFor('ada');

describe('tokenFromPasted', () => {
  it('takes the token out of the header line npm start prints', () => {
    expect(tokenFromPasted(`  { "Authorization": "Bearer ${token}" }`)).toBe(token);
    expect(tokenFromPasted(`{"authorization":"bearer ${token}"}\n`)).toBe(token);
    expect(tokenFromPasted(`"Authorization": "Bearer ${token}"`)).toBe(token);
  });

  it('takes the Bearer form and the bare token, quoted or not', () => {
    expect(tokenFromPasted(`Bearer ${token}`)).toBe(token);
    expect(tokenFromPasted(`  ${token}\n`)).toBe(token);
    expect(tokenFromPasted(`"${token}"`)).toBe(token);
  });

  it('refuses text that holds no token with a user id', () => {
    expect(tokenFromPasted('')).toBeNull();
    expect(tokenFromPasted('hello')).toBeNull();
    expect(tokenFromPasted('{ "Authorization": "Basic YWRhOnNlY3JldA==" }')).toBeNull();
    expect(tokenFromPasted('{ "Authorization": ')).toBeNull();
    expect(tokenFromPasted(`{ "X-Token": "Bearer ${token}" }`)).toBeNull();
    expect(tokenFromPasted(`${token} extra`)).toBeNull();
    // Three dot-separated parts, but no `sub` inside.
    expect(tokenFromPasted('e30.e30.e30')).toBeNull();
  });
});
