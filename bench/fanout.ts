import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { Cluster, ServerProcess } from './cluster.ts';
import { inParallel } from './http.ts';
import { ENTITY_CHANGED } from './operations.ts';
import type { BenchOptions } from './options.ts';
import { measuredWindow } from './profiles.ts';
import { log } from './push.ts';
import { percentiles, round } from './stats.ts';
import {
  type Actor,
  actor,
  addMembers,
  createWorkspace,
  pushBatch,
  seedTasks,
  type TaskRow,
  updateTaskChange,
} from './workload.ts';

export type Transport = 'websocket' | 'sse';

export interface FanoutFigures {
  subscribers: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  transport: Transport;
  instances: number;
  redis: boolean;
  rounds: number;
  deliveries: number;
  /** Deliveries that did not arrive within the round's time limit. */
  missed: number;
  /** Active entityChanged streams the servers reported on /metrics (null without metrics). */
  serverStreams: number | null;
  /** Server memory (RSS) the idle subscribers added, per subscriber (null without /proc). */
  rssPerSubKiB: number | null;
}

/** One fan-out run: how many subscribers, over which servers (the first one takes the pushes). */
export interface FanoutRun {
  name: string;
  servers: ServerProcess[];
  subscribers: number;
  rounds: number;
  warmupRounds: number;
  timeoutMs: number;
}

/** A delivery: when it arrived, and (parsed only when asked) the title of the task it carries. */
interface Arrival {
  at: number;
  title(): string | undefined;
}

interface Subscriber {
  arrivals: Arrival[];
  close(): void;
}

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The fan-out: its subscribers over every instance of the cluster. */
export function fanoutRun(cluster: Cluster, options: BenchOptions): FanoutRun {
  return { name: 'fanout', servers: cluster.servers, ...options.fanout };
}

/** Fan-out at scale: 10,000 subscribers, all on the first instance. */
export function fanout10kRun(cluster: Cluster, options: BenchOptions): FanoutRun {
  return { name: 'fanout10k', servers: cluster.servers.slice(0, 1), ...options.fanout10k };
}

/**
 * Subscribers of entityChanged on one workspace, spread round-robin over the run's servers
 * (two sharing Redis when the cluster has them), each its own user and connection. Each
 * round pushes one change and times every delivery from the push's commit: the `time` of
 * the server's push log line, written right after the commit. Arrivals are stamped before
 * any parsing, which waits until the round is over. The servers' RSS before the subscribers
 * connect and once they are all live gives the memory an idle subscriber costs.
 */
export async function benchFanout(
  cluster: Cluster,
  run: FanoutRun,
  afterRun: (subscribed: boolean) => Promise<void>,
): Promise<FanoutFigures> {
  const { name, servers, subscribers: count, rounds, warmupRounds, timeoutMs } = run;
  const writerServer = servers[0] as ServerProcess;
  const owner = await actor(cluster, `bench-${name}-owner-${randomUUID()}`);
  const workspaceId = await createWorkspace(writerServer, owner, `bench ${name}`);
  const [task] = await seedTasks(writerServer, owner, workspaceId, 1);
  log(`${name}: adding ${count} members`);
  const viewerIds = Array.from({ length: count }, (_, index) => `bench-${name}-viewer-${index}`);
  await addMembers(writerServer, owner, workspaceId, viewerIds, 'VIEWER');
  const viewers = await Promise.all(viewerIds.map((userId) => actor(cluster, userId)));

  const transport: Transport = (await acceptsWebSocket(writerServer.url)) ? 'websocket' : 'sse';
  log(`${name}: ${count} ${transport} subscribers on ${servers.length} instance(s)`);
  const subscribers: Subscriber[] = [];
  try {
    const rssBefore = await totalRssMb(servers);
    await inParallel(viewers, 50, async (viewer, index) => {
      const server = servers[index % servers.length] as ServerProcess;
      const subscribe = transport === 'websocket' ? subscribeWebSocket : subscribeSse;
      subscribers.push(await subscribe(server.url, viewer.token, workspaceId));
    });
    const runner = roundRunner(writerServer, owner, workspaceId, subscribers, task as TaskRow);
    // Streams start listening a moment after they connect, and a quiet stream re-reads the
    // log 1 s after its start: the probe proves every one is live, the pause lets the
    // re-reads pass so they do not share a measured round.
    log(`${name}: waiting until every subscriber is live`);
    await runner.run('probe', timeoutMs * 2);
    await sleep(1_500);
    const rssIdle = await totalRssMb(servers);
    for (let index = 0; index < warmupRounds; index++)
      await runner.run(`warm-up ${index}`, timeoutMs);

    log(`${name}: ${rounds} measured rounds`);
    const latencies: number[] = [];
    let missed = 0;
    await measuredWindow(name, async () => {
      for (let index = 0; index < rounds; index++) {
        const result = await runner.run(`round ${index}`, timeoutMs);
        latencies.push(...result.latencies);
        missed += result.missed;
        await sleep(100);
      }
    });
    const serverStreams = await streamsReported(servers);
    await afterRun(true);
    const spread = percentiles(latencies);
    return {
      subscribers: subscribers.length,
      p50Ms: round2(spread.p50),
      p95Ms: round2(spread.p95),
      p99Ms: round2(spread.p99),
      maxMs: round2(Math.max(...latencies)),
      transport,
      instances: servers.length,
      redis: cluster.redis && servers.length > 1,
      rounds,
      deliveries: latencies.length,
      missed,
      serverStreams,
      rssPerSubKiB:
        rssBefore === null || rssIdle === null
          ? null
          : round(((rssIdle - rssBefore) * 1024) / subscribers.length, 1),
    };
  } finally {
    for (const subscriber of subscribers) subscriber.close();
  }
}

const round2 = (value: number) => round(value, 2);

/** Pushes one change per round and collects when each subscriber got it. */
function roundRunner(
  server: ServerProcess,
  writer: Actor,
  workspaceId: string,
  subscribers: Subscriber[],
  seeded: TaskRow,
) {
  let row = seeded;
  let counter = 0;
  return {
    async run(label: string, timeoutMs: number): Promise<{ latencies: number[]; missed: number }> {
      for (const subscriber of subscribers) subscriber.arrivals.length = 0;
      const edit = updateTaskChange({ ...row, title: label }, counter++);
      const requestId = `bench-fanout-${randomUUID()}`;
      await pushBatch(
        server,
        writer,
        { workspaceId, clientId: 'bench-fanout-writer', changes: [edit.change] },
        requestId,
      );
      row = edit.row;
      const title = edit.row.title;
      await waitUntil(() => subscribers.every((s) => s.arrivals.length > 0), timeoutMs);
      const committedAt = await commitTime(server, requestId);
      const latencies: number[] = [];
      let missed = 0;
      for (const subscriber of subscribers) {
        const arrival = subscriber.arrivals.find((item) => item.title() === title);
        if (arrival) latencies.push(arrival.at - committedAt);
        else missed++;
      }
      return { latencies, missed };
    },
  };
}

interface EntityChangedResult {
  data?: { entityChanged?: { entity?: { title?: string } } } | null;
}

const titleIn = (result: EntityChangedResult) => result.data?.entityChanged?.entity?.title;

function parsedTitle(message: string): string | undefined {
  try {
    return titleIn(JSON.parse(message) as EntityChangedResult);
  } catch {
    return undefined;
  }
}

async function commitTime(server: ServerProcess, requestId: string): Promise<number> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const line = server.pushLog(requestId);
    if (typeof line?.time === 'number') return line.time;
    if (Date.now() > deadline) throw new Error(`No push log line for ${requestId}`);
    await sleep(5);
  }
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await sleep(2);
}

/** Whether the server takes graphql-ws connections on /graphql (the transport is wired). */
function acceptsWebSocket(baseUrl: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new WebSocket(
      `${baseUrl.replace(/^http/, 'ws')}/graphql`,
      'graphql-transport-ws',
    );
    const timer = setTimeout(() => finish(false), 3_000);
    const finish = (accepted: boolean) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.terminate();
      resolve(accepted);
    };
    socket.once('open', () => finish(true));
    socket.once('error', () => finish(false));
    socket.once('unexpected-response', () => finish(false));
  });
}

/** An SSE subscription as a browser's EventSource would hold it: one connection each. */
function subscribeSse(baseUrl: string, token: string, workspaceId: string): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const arrivals: Subscriber['arrivals'] = [];
    const body = JSON.stringify({ query: ENTITY_CHANGED, variables: { workspaceId } });
    const req = request(
      `${baseUrl}/graphql`,
      {
        method: 'POST',
        agent: false,
        headers: {
          accept: 'text/event-stream',
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${token}`,
        },
      },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`SSE subscription answered HTTP ${res.statusCode}`));
          res.resume();
          return;
        }
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          const at = now();
          buffer += chunk;
          let boundary = buffer.indexOf('\n\n');
          while (boundary >= 0) {
            const data = dataOf(buffer.slice(0, boundary));
            if (data) arrivals.push({ at, title: () => parsedTitle(data) });
            buffer = buffer.slice(boundary + 2);
            boundary = buffer.indexOf('\n\n');
          }
        });
        res.on('error', () => {});
        resolve({ arrivals, close: () => req.destroy() });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// Keep-alive comments and the `event: complete` frame carry no data line.
function dataOf(message: string): string | null {
  const lines = message.split('\n').filter((line) => line.startsWith('data:'));
  return lines.length === 0 ? null : lines.map((line) => line.slice(5).trim()).join('');
}

/** A graphql-ws client per subscriber; its socket stamps each message before parsing. */
async function subscribeWebSocket(
  baseUrl: string,
  token: string,
  workspaceId: string,
): Promise<Subscriber> {
  const arrivals: Subscriber['arrivals'] = [];
  let lastMessageAt = 0;
  // Registered before graphql-ws's own handler, so it runs first for every message.
  class StampedWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      this.on('message', () => {
        lastMessageAt = now();
      });
    }
  }
  const client = createClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: StampedWebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: false,
    retryAttempts: 0,
  });
  await new Promise<void>((resolve, reject) => {
    const offConnected = client.on('connected', () => {
      offConnected();
      offClosed();
      resolve();
    });
    const offClosed = client.on('closed', (event) => {
      offConnected();
      offClosed();
      reject(new Error(`WebSocket closed before it connected: ${JSON.stringify(event)}`));
    });
  });
  const unsubscribe = client.subscribe(
    { query: ENTITY_CHANGED, variables: { workspaceId } },
    {
      next: (result) => {
        arrivals.push({ at: lastMessageAt, title: () => titleIn(result as EntityChangedResult) });
      },
      error: () => {},
      complete: () => {},
    },
  );
  return {
    arrivals,
    close: () => {
      unsubscribe();
      void client.dispose();
    },
  };
}

/** Summed RSS of the servers in MiB, null when one of them cannot tell. */
async function totalRssMb(servers: ServerProcess[]): Promise<number | null> {
  const sizes = await Promise.all(servers.map((server) => server.rssMb()));
  return sizes.some((mb) => mb === null) ? null : sizes.reduce<number>((a, b) => a + (b ?? 0), 0);
}

/** Sum of converge_subscriptions_active{kind="entityChanged"} over the servers, if exported. */
async function streamsReported(servers: ServerProcess[]): Promise<number | null> {
  let total: number | null = null;
  for (const server of servers) {
    const text = await fetch(`${server.url}/metrics`)
      .then((response) => response.text())
      .catch(() => '');
    const match = /^converge_subscriptions_active\{kind="entityChanged"\} (\d+)/m.exec(text);
    if (match) total = (total ?? 0) + Number(match[1]);
  }
  // Zero with a thousand streams open means the gauge exists but nothing feeds it yet.
  return total === 0 ? null : total;
}
