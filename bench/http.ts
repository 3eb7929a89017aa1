import { Agent, request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';

/** Keep-alive, as any real client: a new TCP connection per request would measure the kernel. */
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as it came over the wire (compressed when content-encoding says so). */
  wire: Buffer;
  /** The body after decoding. */
  body: Buffer;
}

export interface PostOptions {
  headers?: Record<string, string>;
}

/**
 * POSTs a body and returns it as sent over the wire and decoded. A kept-alive socket that
 * the server closed as idle just as it was reused fails with ECONNRESET before the request
 * got there: that one is sent again once, on a new socket (Node's documented pattern).
 */
export async function post(
  url: string,
  body: string,
  options: PostOptions = {},
): Promise<RawResponse> {
  try {
    return await postOnce(url, body, options);
  } catch (error) {
    if (!(error instanceof StaleSocketError)) throw error;
    return postOnce(url, body, options);
  }
}

class StaleSocketError extends Error {}

function postOnce(url: string, body: string, options: PostOptions): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const wire = Buffer.concat(chunks);
          try {
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              wire,
              body: decode(wire, res.headers['content-encoding']),
            });
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      const stale = req.reusedSocket && error.code === 'ECONNRESET';
      reject(stale ? new StaleSocketError(error.message, { cause: error }) : error);
    });
    req.end(body);
  });
}

function decode(wire: Buffer, encoding: string | undefined): Buffer {
  if (encoding === 'gzip') return gunzipSync(wire);
  if (encoding === 'br') return brotliDecompressSync(wire);
  return wire;
}

export interface GraphQLRequestOptions {
  token: string;
  requestId?: string;
  headers?: Record<string, string>;
}

export interface GraphQLResult<T> {
  data: T;
  response: RawResponse;
}

/** A GraphQL operation that must succeed: any error stops the benchmark with its message. */
export async function graphql<T>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown>,
  options: GraphQLRequestOptions,
): Promise<GraphQLResult<T>> {
  const response = await post(`${baseUrl}/graphql`, JSON.stringify({ query, variables }), {
    headers: {
      authorization: `Bearer ${options.token}`,
      accept: 'application/graphql-response+json, application/json',
      ...(options.requestId ? { 'x-request-id': options.requestId } : {}),
      ...options.headers,
    },
  });
  const parsed = JSON.parse(response.body.toString('utf8')) as { data?: T; errors?: unknown[] };
  if (parsed.errors?.length || response.status !== 200 || !parsed.data) {
    throw new Error(
      `GraphQL request failed (HTTP ${response.status}): ${JSON.stringify(parsed.errors ?? parsed).slice(0, 500)}`,
    );
  }
  return { data: parsed.data, response };
}

/** Runs `task` over `items` with at most `concurrency` in flight. */
export async function inParallel<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

export function closeConnections(): void {
  agent.destroy();
}
