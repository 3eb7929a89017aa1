import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../errors.ts';
import { errorResponse } from './responses.ts';

export interface BodyLimitOptions {
  maxBytes: number;
}

const bodylessMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Answers 413 for a request body larger than `maxBytes` before anything parses it. A declared
 * Content-Length is checked up front (Node's HTTP parser holds the body to it); a chunked
 * body is read up to the limit and handed on as a buffer, so an endless stream costs at most
 * `maxBytes` of memory.
 */
export function useBodyLimit(options: BodyLimitOptions): Plugin {
  const { maxBytes } = options;
  return {
    async onRequest({ request, setRequest, endResponse }) {
      if (bodylessMethods.has(request.method) || request.body === null) return;
      const declared = request.headers.get('content-length');
      if (declared !== null) {
        if (Number(declared) > maxBytes) endResponse(tooLarge(maxBytes));
        return;
      }
      const body = await readAtMost(request.body, maxBytes);
      if (body === null) {
        endResponse(tooLarge(maxBytes));
        return;
      }
      setRequest(
        new Request(request.url, { method: request.method, headers: request.headers, body }),
      );
    },
  };
}

/** The whole stream, or null (and the stream cancelled) once it passes `maxBytes`. */
async function readAtMost(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<Uint8Array<ArrayBuffer> | null> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

function tooLarge(maxBytes: number): Response {
  return errorResponse(
    413,
    {
      message: `Request body is larger than ${maxBytes} bytes: split the batch`,
      extensions: { code: ErrorCode.BAD_USER_INPUT, reason: 'PAYLOAD_TOO_LARGE', maxBytes },
    },
    // The client may still be sending; tell it not to reuse the connection.
    { connection: 'close' },
  );
}
