// @vitest-environment happy-dom
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { createElement as h, type ReactNode } from 'react';
import { Provider } from 'urql';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { useChangesSinceQuery, useTaskQuery } from '../../client/generated/hooks.ts';
import { createSyncClient, type SyncClient } from '../../client/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { createWorkspace } from '../support/sync.ts';
import { Network } from './helpers.ts';

let server: TestServer;
let sync: SyncClient | undefined;

beforeAll(async () => {
  server = await startTestServer('pglite');
  // The page is served by the server it talks to. A cross-origin page makes happy-dom's fetch
  // send a CORS preflight first, and an abort (close() aborts what is in flight) does not
  // reach a request still in its preflight: it connected after the server had stopped and
  // printed ECONNREFUSED in every test run, with no test to name.
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(server.url);
});
afterEach(async () => {
  cleanup();
  await sync?.close();
});
afterAll(async () => {
  await server?.stop();
});

function TaskTitle({ id }: { id: string }): ReactNode {
  const [{ data, fetching }] = useTaskQuery({ variables: { id } });
  // `data.task.title` is typed string by the generated hooks.
  const title: string | undefined = data?.task?.title;
  return h('p', { 'data-testid': 'title' }, title ?? (fetching ? 'loading' : 'none'));
}

function TaskList({ workspaceId }: { workspaceId: string }): ReactNode {
  const [{ data }] = useChangesSinceQuery({ variables: { workspaceId } });
  const tasks = (data?.changesSince.entities ?? []).flatMap((entity) =>
    entity.__typename === 'Task' ? [entity] : [],
  );
  return h(
    'ul',
    null,
    tasks.map((task) => h('li', { key: task.id }, `${task.title} (${task.status})`)),
  );
}

it('renders data through the generated typed hooks and shows local edits at once', async () => {
  const workspaceId = await createWorkspace(server, 'ada');
  const network = new Network();
  sync = createSyncClient({
    url: `${server.url}/graphql`,
    getToken: () => server.token('ada'),
    workspaceId,
    storage: 'memory',
    fetch: network.fetch,
    WebSocket: network.WebSocket,
  });
  const first = sync.tasks.create({ title: 'Count pallets' });
  await sync.flush();

  render(
    h(Provider, { value: sync.client }, h(TaskTitle, { id: first }), h(TaskList, { workspaceId })),
  );
  await waitFor(() => expect(screen.getByTestId('title').textContent).toBe('Count pallets'));
  await waitFor(() => expect(screen.getAllByRole('listitem')).toHaveLength(1));

  // Optimistic: every watching query shows the edit before the server has seen it.
  network.goOffline();
  let second = '';
  // urql re-runs watching queries in a microtask: an async act() lets that settle.
  await act(async () => {
    sync?.tasks.update(first, { title: 'Count all pallets', status: 'DONE' });
    second = sync?.tasks.create({ title: 'Label bins' }) ?? '';
  });
  expect(screen.getByTestId('title').textContent).toBe('Count all pallets');
  expect(screen.getAllByRole('listitem').map((item) => item.textContent)).toEqual([
    'Count all pallets (DONE)',
    'Label bins (TODO)',
  ]);

  // A tombstone leaves the list.
  await act(async () => sync?.tasks.delete(second));
  expect(screen.getAllByRole('listitem')).toHaveLength(1);

  network.goOnline();
  await act(() => sync?.flush());
  expect(screen.getByTestId('title').textContent).toBe('Count all pallets');
  expect(screen.getAllByRole('listitem')).toHaveLength(1);
});
