import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { SyncClient } from '../../client/index.ts';
import {
  renewalMargin,
  renewalMessage,
  retryDelay,
  startTokenRenewal,
  type TokenRenewalOptions,
  tokenExpiry,
} from '../../client/token-renewal.ts';
import { signToken } from '../../server/auth/jwt.ts';
import { startTestServer } from '../support/server.ts';
import { addMember, createWorkspace } from '../support/sync.ts';
import { openClient, serverFixture } from './helpers.ts';

const second = 1_000;
const minute = 60 * second;
const day = 24 * 60 * minute;

/** An unsigned JWT: the client only reads the claims, the server is the one that verifies. */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.signature`;
}

/** The token's exp in ms; fails the test when it has none. */
function expiryOf(token: string | undefined): number {
  const expiresAt = tokenExpiry(token ?? '');
  if (expiresAt === null) throw new Error(`token without exp: ${token}`);
  return expiresAt;
}

/** A token for ada that expires `lifetimeMs` from the (fake) current time. */
function tokenFor(lifetimeMs: number, claims: Record<string, unknown> = {}): string {
  return jwt({ sub: 'ada', exp: (Date.now() + lifetimeMs) / 1000, ...claims });
}

describe('tokenExpiry and the renewal policy', () => {
  it('reads exp without verifying, and null when there is none or the token is unreadable', () => {
    expect(tokenExpiry(jwt({ sub: 'ada', exp: 1_700_000_000 }))).toBe(1_700_000_000_000);
    // base64url characters ('-', '_') and non-ASCII claims decode too.
    expect(tokenExpiry(jwt({ sub: 'ädä?>>~~', exp: 1_700_000_001 }))).toBe(1_700_000_001_000);
    expect(tokenExpiry(jwt({ sub: 'ada' }))).toBeNull();
    expect(tokenExpiry(jwt({ sub: 'ada', exp: '1700000000' }))).toBeNull();
    expect(tokenExpiry('opaque-token')).toBeNull();
    expect(tokenExpiry('a.%%%.c')).toBeNull();
  });

  it('renews 10% of the lifetime before expiry, at least 5 s, at most 60 s, at the latest half-way', () => {
    expect(renewalMargin(60 * minute)).toBe(60 * second);
    expect(renewalMargin(30 * day)).toBe(60 * second);
    expect(renewalMargin(5 * minute)).toBe(30 * second);
    expect(renewalMargin(30 * second)).toBe(5 * second);
    expect(renewalMargin(4 * second)).toBe(2 * second);
    expect(renewalMargin(0)).toBe(0);
  });

  it('retries after 1 s, 2 s, 4 s... at most 15 s, never past expiry', () => {
    expect([0, 1, 2, 3, 4, 5].map((failures) => retryDelay(failures, 10 * minute))).toEqual([
      1_000, 2_000, 4_000, 8_000, 15_000, 15_000,
    ]);
    // Close to expiry the waits shrink to half the time left, then stop.
    expect(retryDelay(4, 10 * second)).toBe(5 * second);
    expect(retryDelay(0, 400)).toBe(250);
    expect(retryDelay(0, 250)).toBeNull();
    expect(retryDelay(0, -1)).toBeNull();
  });

  it('sends the graphql-ws ping the server expects', () => {
    expect(JSON.parse(renewalMessage('abc'))).toEqual({
      type: 'ping',
      payload: { authorization: 'Bearer abc' },
    });
  });
});

describe('startTokenRenewal', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-03-01T10:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A socket that records what is sent, and the renewal under test with fake time. */
  function renewal(token: string, getToken: TokenRenewalOptions['getToken'], extra = {}) {
    const sent: string[] = [];
    const errors: unknown[] = [];
    const getTokenSpy = vi.fn(getToken);
    const handle = startTokenRenewal({
      socket: { send: (data) => sent.push(data) },
      token,
      getToken: getTokenSpy,
      now: () => Date.now(),
      setTimeout: (run, ms) => setTimeout(run, ms),
      clearTimeout: (timer) => clearTimeout(timer),
      onError: (error) => errors.push(error),
      ...extra,
    });
    const sentTokens = () =>
      sent.map((data) => {
        const message = JSON.parse(data) as { type: string; payload: { authorization: string } };
        expect(message.type).toBe('ping');
        return message.payload.authorization.replace(/^Bearer /, '');
      });
    return { handle, sent, sentTokens, errors, getToken: getTokenSpy };
  }

  it('sends a new token 30 s before a 5-minute token expires, then renews the new one', async () => {
    const first = tokenFor(5 * minute);
    let next = first;
    const { handle, sentTokens, getToken } = renewal(first, () => next);

    await vi.advanceTimersByTimeAsync(4 * minute + 29 * second);
    expect(getToken).not.toHaveBeenCalled();

    // Handed out when asked, 4 min 30 s from now: a 5-minute token then.
    next = tokenFor(5 * minute + 1 * second);
    const renewed = next;
    await vi.advanceTimersByTimeAsync(1 * second);
    expect(getToken).toHaveBeenCalledTimes(1);
    expect(sentTokens()).toEqual([renewed]);
    expect(handle.expiresAt).toBe(tokenExpiry(renewed));
    expect(handle.renewals).toBe(1);

    // The next one is due 30 s before the new token's expiry, i.e. 4 min 30 s from now.
    next = tokenFor(10 * minute);
    const third = next;
    await vi.advanceTimersByTimeAsync(4 * minute + 30 * second - 1);
    expect(sentTokens()).toEqual([renewed]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sentTokens()).toEqual([renewed, third]);
    handle.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('waits for an async token source', async () => {
    const first = tokenFor(60 * second);
    const fresh = tokenFor(2 * minute);
    const { sentTokens } = renewal(
      first,
      () => new Promise<string>((resolve) => setTimeout(() => resolve(fresh), 500)),
    );
    await vi.advanceTimersByTimeAsync(54 * second);
    expect(sentTokens()).toEqual([]);
    await vi.advanceTimersByTimeAsync(500);
    expect(sentTokens()).toEqual([fresh]);
  });

  it('asks again with backoff while the source hands back the same token, then sends the new one', async () => {
    const first = tokenFor(5 * minute);
    let next = first;
    const { sentTokens, getToken } = renewal(first, () => next);

    await vi.advanceTimersByTimeAsync(4 * minute + 30 * second);
    expect(getToken).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1 * second);
    expect(getToken).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(2 * second);
    expect(getToken).toHaveBeenCalledTimes(3);
    expect(sentTokens()).toEqual([]);

    next = tokenFor(5 * minute);
    const fresh = next;
    await vi.advanceTimersByTimeAsync(4 * second);
    expect(getToken).toHaveBeenCalledTimes(4);
    expect(sentTokens()).toEqual([fresh]);
  });

  it('gives up at expiry when no new token comes, leaving it to the close and the reconnect', async () => {
    const first = tokenFor(5 * minute);
    const { handle, sent, getToken } = renewal(first, () => first);

    await vi.advanceTimersByTimeAsync(5 * minute);
    // 30 s of retries: 1, 2, 4, 8, then halving the time left down to 250 ms.
    const calls = getToken.mock.calls.length;
    expect(calls).toBeGreaterThan(4);
    expect(calls).toBeLessThan(15);
    expect(sent).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    expect(handle.renewals).toBe(0);
  });

  it('does not send a different token that expires no later than the current one', async () => {
    const first = tokenFor(5 * minute);
    const sameExpiry = jwt({ sub: 'ada', exp: expiryOf(first) / 1000, jti: 'other' });
    const { sent, getToken } = renewal(first, () => sameExpiry);
    // Asked at 4:30, 4:31 and 4:33.
    await vi.advanceTimersByTimeAsync(4 * minute + 33 * second);
    expect(getToken).toHaveBeenCalledTimes(3);
    expect(sent).toEqual([]);
  });

  it('retries when the token source throws, and reports the error', async () => {
    const first = tokenFor(5 * minute);
    const fresh = tokenFor(10 * minute);
    let failures = 2;
    const { sentTokens, errors } = renewal(first, () => {
      if (failures-- > 0) throw new Error('identity provider unreachable');
      return fresh;
    });
    await vi.advanceTimersByTimeAsync(4 * minute + 30 * second + 1 * second);
    expect(errors).toHaveLength(2);
    expect(sentTokens()).toEqual([]);
    await vi.advanceTimersByTimeAsync(2 * second);
    expect(sentTokens()).toEqual([fresh]);
  });

  it('retries when the socket refuses the message', async () => {
    const first = tokenFor(5 * minute);
    const fresh = tokenFor(10 * minute);
    let refusals = 1;
    const sent: string[] = [];
    const { errors } = renewal(first, () => fresh, {
      socket: {
        send: (data: string) => {
          if (refusals-- > 0) throw new Error('WebSocket is not open');
          sent.push(data);
        },
      },
    });
    await vi.advanceTimersByTimeAsync(4 * minute + 30 * second);
    expect(errors).toHaveLength(1);
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1 * second);
    expect(sent).toEqual([renewalMessage(fresh)]);
  });

  it('does nothing for a token without exp', async () => {
    const { handle, getToken } = renewal(jwt({ sub: 'ada' }), () => tokenFor(5 * minute));
    expect(handle.expiresAt).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(30 * day);
    expect(getToken).not.toHaveBeenCalled();
  });

  it('stops sending once a new token has no exp', async () => {
    const forever = jwt({ sub: 'ada' });
    const { handle, sentTokens } = renewal(tokenFor(5 * minute), () => forever);
    await vi.advanceTimersByTimeAsync(5 * minute);
    expect(sentTokens()).toEqual([forever]);
    expect(handle.expiresAt).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('waits out a 30-day token in steps a timer can take, and renews it a minute early', async () => {
    const first = tokenFor(30 * day);
    const fresh = tokenFor(60 * day);
    const { sentTokens, getToken } = renewal(first, () => fresh);
    await vi.advanceTimersByTimeAsync(30 * day - 60 * second - 1);
    expect(getToken).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(sentTokens()).toEqual([fresh]);
  });

  it('stops on close: nothing is asked or sent afterwards', async () => {
    const first = tokenFor(5 * minute);
    const { handle, getToken, sent } = renewal(first, () => tokenFor(10 * minute));
    await vi.advanceTimersByTimeAsync(1 * minute);
    handle.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10 * minute);
    expect(getToken).not.toHaveBeenCalled();
    expect(sent).toEqual([]);
  });

  it('drops a token that arrives after stop', async () => {
    const first = tokenFor(5 * minute);
    const fresh = tokenFor(10 * minute);
    const { handle, sent, getToken } = renewal(
      first,
      () => new Promise<string>((resolve) => setTimeout(() => resolve(fresh), 1_000)),
    );
    await vi.advanceTimersByTimeAsync(4 * minute + 30 * second);
    expect(getToken).toHaveBeenCalledTimes(1);
    handle.stop();
    await vi.advanceTimersByTimeAsync(10 * minute);
    expect(sent).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});

/**
 * The `ws` WebSocket, counting every socket the client opens and recording what goes over
 * them: the token of connection_init, renewal pings, pongs and close codes.
 */
class Wire {
  opened = 0;
  connectTokens: string[] = [];
  renewalTokens: string[] = [];
  pongs: unknown[] = [];
  closeCodes: number[] = [];
  readonly WebSocket: unknown;

  constructor() {
    const wire = this;
    this.WebSocket = class extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols);
        wire.opened += 1;
        this.on('message', (data) => {
          const message = JSON.parse(String(data)) as { type: string; payload?: unknown };
          if (message.type === 'pong') wire.pongs.push(message.payload);
        });
        this.on('close', (code) => wire.closeCodes.push(code));
      }

      override send(data: never, ...rest: never[]): void {
        const message = JSON.parse(String(data)) as {
          type: string;
          payload?: { authorization?: string };
        };
        const token = message.payload?.authorization?.replace(/^Bearer /, '');
        if (message.type === 'connection_init' && token) wire.connectTokens.push(token);
        if (message.type === 'ping' && token) wire.renewalTokens.push(token);
        super.send(data, ...rest);
      }
    };
  }
}

describe('token renewal against the server', () => {
  const secret = randomBytes(32).toString('base64url');
  const fixture = serverFixture(() => startTestServer('pglite', {}, { secret }));
  const { directory } = fixture;

  it('keeps one WebSocket past the expiry of short-lived tokens and still gets live changes', async () => {
    const workspaceId = await createWorkspace(fixture.server, 'ada');
    await addMember(fixture.server, 'ada', workspaceId, 'bob', 'EDITOR');
    const wire = new Wire();
    // Every token bob's client gets lives 3 to 4 s (exp has whole-second precision).
    const bob = await openClient({
      server: fixture.server,
      userId: 'bob',
      workspaceId,
      directory: await directory(),
      options: {
        getToken: () => signToken(secret, 'bob', { expiresIn: '4s' }),
        WebSocket: wire.WebSocket,
      },
    });
    fixture.cleanup(() => bob.close());
    const ada: SyncClient = await openClient({
      server: fixture.server,
      userId: 'ada',
      workspaceId,
      directory: await directory(),
    });
    fixture.cleanup(() => ada.close());

    await expect.poll(() => wire.connectTokens.length, { timeout: 10_000 }).toBe(1);
    const firstExpiry = expiryOf(wire.connectTokens[0]);
    expect(firstExpiry - Date.now()).toBeLessThanOrEqual(4_000);

    // Well past the first token's expiry, when the server would have closed with 4403.
    await expect
      .poll(() => Date.now() > firstExpiry + 1_500, { timeout: 10_000, interval: 100 })
      .toBe(true);
    expect(wire.renewalTokens.length).toBeGreaterThanOrEqual(1);
    expect(wire.pongs).toContainEqual({
      expiresAt: new Date(expiryOf(wire.renewalTokens[0])).toISOString(),
    });
    expect(wire.opened).toBe(1);
    expect(wire.closeCodes).toEqual([]);
    expect(bob.status.online).toBe(true);

    // The one connection still carries bob's subscription.
    const id = ada.tasks.create({ title: 'After renewal', estimateMinutes: 5 });
    await ada.flush();
    await expect
      .poll(() => bob.tasks.get(id)?.title, { timeout: 5_000, interval: 50 })
      .toBe('After renewal');
    expect(wire.opened).toBe(1);
    expect(wire.connectTokens).toHaveLength(1);
    expect(wire.closeCodes).toEqual([]);

    // Closing the client stops the renewals with the socket.
    await bob.close();
    const renewals = wire.renewalTokens.length;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(wire.renewalTokens).toHaveLength(renewals);
  });
});
