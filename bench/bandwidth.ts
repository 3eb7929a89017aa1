import { randomUUID } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Cluster, ServerProcess } from './cluster.ts';
import { graphql } from './http.ts';
import { CHANGES_SINCE, type PullPayload } from './operations.ts';
import type { BenchOptions } from './options.ts';
import { log } from './push.ts';
import { round } from './stats.ts';
import {
  type Actor,
  actor,
  chunk,
  createWorkspace,
  pullAll,
  pushBatch,
  seedTasks,
  updateTaskChange,
} from './workload.ts';

export interface BandwidthFigures {
  fullBytes: number;
  deltaBytes: number;
  reduction: number;
  fullBytesGzip: number;
  deltaBytesGzip: number;
  reductionGzip: number;
  fullBytesBr: number;
  deltaBytesBr: number;
  reductionBr: number;
  /** 'server': sizes as the server sent them; 'local': the server does not compress yet,
   * so the bodies were compressed here with the plugin's settings. */
  compression: 'server' | 'local';
  tasks: number;
  behind: number;
}

type Encoding = 'identity' | 'gzip' | 'br';

/**
 * A client holding 10,000 tasks falls behind by 1% of them, then catches up by delta pull
 * (changesSince from its cursor) versus refetching everything (changesSince from the
 * start). Bytes are response bodies as they crossed the wire, plain and compressed.
 */
export async function benchBandwidth(
  cluster: Cluster,
  options: BenchOptions,
): Promise<BandwidthFigures> {
  const server = cluster.servers[0] as ServerProcess;
  const { tasks, behindShare, limit } = options.bandwidth;
  const owner = await actor(cluster, `bench-bandwidth-owner-${randomUUID()}`);
  const workspaceId = await createWorkspace(server, owner, 'bench bandwidth');
  log(`bandwidth: seeding ${tasks} tasks`);
  const rows = await seedTasks(server, owner, workspaceId, tasks);
  const { cursor } = await pullAll(server, owner, workspaceId, limit);

  const behind = Math.round(tasks * behindShare);
  const clientId = `bench-bandwidth-${randomUUID()}`;
  for (const batch of chunk(rows.slice(0, behind), 100)) {
    const changes = batch.map((row, index) => updateTaskChange(row, index).change);
    await pushBatch(server, owner, { workspaceId, clientId, changes });
  }

  log('bandwidth: refetch everything versus delta pull');
  const sizes = async (encoding: Encoding) => ({
    full: await pageBytes(server, owner, workspaceId, null, limit, encoding),
    delta: await pageBytes(server, owner, workspaceId, cursor, limit, encoding),
  });
  const plain = await sizes('identity');
  let gzip = await sizes('gzip');
  let br = await sizes('br');
  const compression = gzip.full.encoded ? 'server' : 'local';
  if (compression === 'local') {
    gzip = { full: locally(plain.full, 'gzip'), delta: locally(plain.delta, 'gzip') };
    br = { full: locally(plain.full, 'br'), delta: locally(plain.delta, 'br') };
  }
  const reduction = (full: Sized, delta: Sized) => round(1 - delta.bytes / full.bytes, 4);
  return {
    fullBytes: plain.full.bytes,
    deltaBytes: plain.delta.bytes,
    reduction: reduction(plain.full, plain.delta),
    fullBytesGzip: gzip.full.bytes,
    deltaBytesGzip: gzip.delta.bytes,
    reductionGzip: reduction(gzip.full, gzip.delta),
    fullBytesBr: br.full.bytes,
    deltaBytesBr: br.delta.bytes,
    reductionBr: reduction(br.full, br.delta),
    compression,
    tasks,
    behind,
  };
}

interface Sized {
  bytes: number;
  /** Whether the server compressed the responses. */
  encoded: boolean;
  /** The decoded page bodies, to compress locally when the server did not. */
  bodies: Buffer[];
}

async function pageBytes(
  server: ServerProcess,
  reader: Actor,
  workspaceId: string,
  from: string | null,
  limit: number,
  encoding: Encoding,
): Promise<Sized> {
  const sized: Sized = { bytes: 0, encoded: false, bodies: [] };
  let cursor = from;
  for (;;) {
    const { data, response } = await graphql<PullPayload>(
      server.url,
      CHANGES_SINCE,
      { workspaceId, cursor, limit },
      {
        token: reader.token,
        headers: encoding === 'identity' ? {} : { 'accept-encoding': encoding },
      },
    );
    sized.bytes += response.wire.byteLength;
    sized.encoded ||= response.headers['content-encoding'] !== undefined;
    sized.bodies.push(response.body);
    cursor = data.changesSince.cursor;
    if (!data.changesSince.hasMore) return sized;
  }
}

/** The plugin's settings (server/observability/compression.ts): gzip 6, brotli 4. */
function locally(plain: Sized, encoding: 'gzip' | 'br'): Sized {
  const compress = (body: Buffer) =>
    encoding === 'gzip'
      ? gzipSync(body, { level: 6 })
      : brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } });
  const bytes = plain.bodies.reduce(
    (sum, body) => sum + (body.byteLength >= 1024 ? compress(body).byteLength : body.byteLength),
    0,
  );
  return { bytes, encoded: true, bodies: [] };
}
