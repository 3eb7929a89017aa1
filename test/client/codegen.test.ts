import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { afterEach, describe, expect, it } from 'vitest';
import { codegenConfig, defaultPaths } from '../../codegen.ts';

const GENERATED = 'client/generated';
const temporary: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'converge-codegen-'));
  temporary.push(dir);
  return dir;
}

async function readTree(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const name of (await readdir(dir)).sort()) {
    files.set(name, await readFile(join(dir, name), 'utf8'));
  }
  return files;
}

afterEach(async () => {
  await Promise.all(temporary.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('codegen', () => {
  it('client/generated is what `npm run codegen` produces now (run it when this fails)', async () => {
    const output = await tempDir();
    await generate({ ...codegenConfig({ ...defaultPaths, output }), silent: true }, true);
    const fresh = await readTree(output);
    const committed = await readTree(GENERATED);
    // model.ts comes from the model, not from codegen: test/client/model.test.ts checks it.
    committed.delete('model.ts');
    expect([...committed.keys()]).toEqual([...fresh.keys()]);
    for (const [name, content] of fresh) {
      expect(committed.get(name), `${GENERATED}/${name} is stale`).toBe(content);
    }
  });

  it('rejects a document that does not match the schema', async () => {
    const documents = await tempDir();
    const output = await tempDir();
    await writeFile(
      join(documents, 'bad.graphql'),
      'query Bad($id: ID!) { task(id: $id) { id noSuchField } }\n',
    );
    const run = generate(
      {
        ...codegenConfig({ ...defaultPaths, documents: join(documents, '*.graphql'), output }),
        silent: true,
      },
      true,
    );
    await expect(run).rejects.toThrow(/noSuchField/);
    expect(await readdir(output)).toEqual([]);
  });
});
