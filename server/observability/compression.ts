import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Plugin } from 'graphql-yoga';

export type Encoding = 'br' | 'gzip';

export interface CompressionOptions {
  /** Bodies smaller than this go out as they are: the headers would eat the saving (bytes). */
  thresholdBytes?: number;
  /** zlib level 1-9 for gzip. */
  gzipLevel?: number;
  /** Brotli quality 0-11. Beyond 5 it gets much slower for a few percent less. */
  brotliQuality?: number;
}

const compressionDefaults = {
  thresholdBytes: 1024,
  gzipLevel: 6,
  brotliQuality: 4,
};

// Our preference when a client accepts both equally: brotli is smaller at the same speed.
const serverPreference: readonly Encoding[] = ['br', 'gzip'];

// Streams (SSE, incremental delivery) must reach the client event by event; compressing
// them would buffer events in the compressor.
const streamingTypes = ['text/event-stream', 'multipart/mixed'];
const compressibleType =
  /^(text\/|application\/(json|graphql-response\+json|javascript|xml)\b|application\/[\w.-]+\+json\b|image\/svg\+xml)/i;

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/**
 * HTTP response compression (issue 6): gzip or brotli as the request's Accept-Encoding
 * allows, for JSON, text and scripts of at least `thresholdBytes`. Streaming responses and
 * anything already encoded pass through untouched. Compression runs on libuv's thread pool,
 * off the event loop. Place it last among the plugins: it copies the headers others set.
 */
export function useCompression(options: CompressionOptions = {}): Plugin {
  const thresholdBytes = options.thresholdBytes ?? compressionDefaults.thresholdBytes;
  const compressors: Record<Encoding, (body: Uint8Array) => Promise<Buffer>> = {
    gzip: (body) => gzipAsync(body, { level: options.gzipLevel ?? compressionDefaults.gzipLevel }),
    br: (body) =>
      brotliAsync(body, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]:
            options.brotliQuality ?? compressionDefaults.brotliQuality,
          [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength,
        },
      }),
  };
  return {
    async onResponse({ request, response, setResponse, fetchAPI }) {
      if (!isCompressible(request, response)) return;
      const encoding = negotiateEncoding(request.headers.get('accept-encoding'));
      const declaredLength = Number(response.headers.get('content-length') ?? Number.NaN);
      if (!encoding || declaredLength < thresholdBytes) {
        // Caches must keep encoded and plain copies apart even when this one is plain.
        addVary(response, setResponse, fetchAPI);
        return;
      }
      const body = new Uint8Array(await response.arrayBuffer());
      const compress = body.byteLength >= thresholdBytes;
      const headers = new fetchAPI.Headers(response.headers);
      appendVary(headers);
      // zlib's output Buffer owns a plain ArrayBuffer; the cast only narrows the type.
      const sent = compress
        ? ((await compressors[encoding](body)) as Uint8Array<ArrayBuffer>)
        : body;
      if (compress) headers.set('content-encoding', encoding);
      headers.set('content-length', String(sent.byteLength));
      setResponse(
        new fetchAPI.Response(sent, {
          status: response.status,
          statusText: response.statusText,
          headers,
        }),
      );
    },
  };
}

// `response.body` is not consulted: on Yoga's Response it turns a plain string body into a
// stream, which costs the fast path for every response sent uncompressed.
function isCompressible(request: Request, response: Response): boolean {
  if (request.method === 'HEAD') return false;
  if (response.status < 200 || response.status === 204 || response.status === 304) return false;
  if (response.headers.has('content-encoding')) return false;
  const type = response.headers.get('content-type') ?? '';
  if (streamingTypes.some((streaming) => type.startsWith(streaming))) return false;
  return compressibleType.test(type);
}

/**
 * The encoding to use for an Accept-Encoding header (RFC 9110 section 12.5.3): the highest
 * q-value among those we support, `*` standing for any not named, q=0 refusing. Ties go to
 * our preference. Null means send the body as it is.
 */
export function negotiateEncoding(header: string | null | undefined): Encoding | null {
  if (!header) return null;
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((param) => param.trim()).find((param) => param.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    weights.set(name, Number.isFinite(weight) ? weight : 0);
  }
  let best: Encoding | null = null;
  let bestWeight = 0;
  for (const encoding of serverPreference) {
    const weight = weights.get(encoding) ?? weights.get('*') ?? 0;
    if (weight > bestWeight) {
      best = encoding;
      bestWeight = weight;
    }
  }
  return best;
}

function appendVary(headers: Headers): void {
  const vary = headers.get('vary');
  if (!vary) headers.set('vary', 'Accept-Encoding');
  else if (!/\baccept-encoding\b/i.test(vary)) headers.set('vary', `${vary}, Accept-Encoding`);
}

function addVary(
  response: Response,
  setResponse: (response: Response) => void,
  fetchAPI: { Headers: typeof Headers; Response: typeof Response },
): void {
  try {
    appendVary(response.headers);
  } catch {
    // Some responses carry immutable headers; copy them instead.
    const headers = new fetchAPI.Headers(response.headers);
    appendVary(headers);
    setResponse(
      new fetchAPI.Response(response.body, {
        status: response.status,
        statusText: response.statusText,
        headers,
      }),
    );
  }
}
