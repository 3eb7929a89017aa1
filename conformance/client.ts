/**
 * The suite's only way to reach a server: GraphQL over HTTP and Server-Sent Events, with
 * tokens it mints itself. Every request has a deadline, so a server that hangs fails a check
 * instead of hanging the suite.
 */

import { SignJWT } from 'jose';

export interface ServerOptions {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  url: string;
  /** The server's HS256 secret (AUTH_SECRET, or its development secret). */
  secret: string;
  issuer?: string | undefined;
  audience?: string | undefined;
  /** Deadline of one request. */
  requestTimeoutMs?: number;
}

export interface GraphQLError {
  message: string;
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

export interface GraphQLResult<T> {
  status: number;
  data?: T | null;
  errors?: GraphQLError[];
}

const clientDefaults = {
  requestTimeoutMs: 15_000,
  tokenLifetime: '15m',
};

export class ConformanceClient {
  private readonly tokens = new Map<string, Promise<string>>();
  private readonly requestTimeoutMs: number;

  constructor(private readonly options: ServerOptions) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? clientDefaults.requestTimeoutMs;
  }

  get url(): string {
    return this.options.url;
  }

  /** A short-lived token for `userId`, signed as the server expects. */
  token(userId: string): Promise<string> {
    let token = this.tokens.get(userId);
    if (!token) {
      const jwt = new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setIssuedAt()
        .setExpirationTime(clientDefaults.tokenLifetime);
      if (this.options.issuer !== undefined) jwt.setIssuer(this.options.issuer);
      if (this.options.audience !== undefined) jwt.setAudience(this.options.audience);
      token = jwt.sign(new TextEncoder().encode(this.options.secret));
      this.tokens.set(userId, token);
    }
    return token;
  }

  /** POSTs one operation as `userId`; a timeout or an unreadable answer throws with the reason. */
  async request<T>(
    userId: string,
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<GraphQLResult<T>> {
    const response = await fetch(this.options.url, {
      method: 'POST',
      signal: AbortSignal.timeout(this.requestTimeoutMs),
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await this.token(userId)}`,
      },
      body: JSON.stringify({ query, variables }),
    }).catch((error: unknown) => {
      throw new Error(`request to ${this.options.url} failed: ${describeError(error)}`);
    });
    const text = await response.text();
    try {
      return { status: response.status, ...(JSON.parse(text) as Omit<GraphQLResult<T>, 'status'>) };
    } catch {
      throw new Error(`answer is not JSON (HTTP ${response.status}): ${text.slice(0, 200)}`);
    }
  }

  /** Like request, but any GraphQL error throws: for the steps that must simply work. */
  async data<T>(
    userId: string,
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<T> {
    const result = await this.request<T>(userId, query, variables);
    if (result.errors?.length || !result.data) {
      throw new Error(`GraphQL errors (HTTP ${result.status}): ${JSON.stringify(result.errors)}`);
    }
    return result.data;
  }

  /** Opens a subscription over Server-Sent Events; events collect until stop(). */
  subscribe<T>(userId: string, query: string, variables: Record<string, unknown>): Subscription<T> {
    return new Subscription<T>(this, userId, query, variables);
  }
}

/** An SSE subscription: results in arrival order, bounded waits, and a stop. */
export class Subscription<T> {
  readonly results: GraphQLResult<T>[] = [];
  private readonly abort = new AbortController();
  private readonly waiters = new Set<() => void>();
  private ended = false;
  /** Why the stream ended early, if it did. */
  failure: string | null = null;
  readonly done: Promise<void>;

  constructor(
    client: ConformanceClient,
    userId: string,
    query: string,
    variables: Record<string, unknown>,
  ) {
    this.done = this.read(client, userId, query, variables)
      .catch((error: unknown) => {
        if (!this.abort.signal.aborted) this.failure = describeError(error);
      })
      .finally(() => {
        this.ended = true;
        this.wake();
      });
  }

  private async read(
    client: ConformanceClient,
    userId: string,
    query: string,
    variables: Record<string, unknown>,
  ) {
    const response = await fetch(client.url, {
      method: 'POST',
      signal: this.abort.signal,
      headers: {
        accept: 'text/event-stream',
        'content-type': 'application/json',
        authorization: `Bearer ${await client.token(userId)}`,
      },
      body: JSON.stringify({ query, variables }),
    });
    if (!response.ok || !response.body) {
      throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`);
    }
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, '\n');
      for (
        let boundary = buffer.indexOf('\n\n');
        boundary >= 0;
        boundary = buffer.indexOf('\n\n')
      ) {
        const message = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        if (/^event: complete/m.test(message)) return;
        const data = message
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trim())
          .join('');
        if (data) {
          this.results.push({ status: response.status, ...(JSON.parse(data) as object) });
          this.wake();
        }
      }
    }
  }

  private wake(): void {
    for (const wake of this.waiters) wake();
  }

  /** Resolves once `accept(results)` is true, the stream ends, or `timeoutMs` passes (false). */
  until(accept: (results: GraphQLResult<T>[]) => boolean, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        const accepted = accept(this.results);
        if (accepted || this.ended) finish(accepted);
      };
      const finish = (outcome: boolean) => {
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(outcome);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
