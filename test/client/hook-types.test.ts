import { dirname, join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The generated hooks are typed, not merely present: code that uses them right compiles under
 * the project's own compiler settings, and code that gets a variable, a field or a result type
 * wrong does not. (`npm run check:types` checks the project; this checks the hooks' contract.)
 */
const projectRoot = join(dirname(new URL(import.meta.url).pathname), '..', '..');
const checkedFile = join(projectRoot, 'test', 'client', '__hook-usage.tsx');

const imports = `
import { useConflictChangedSubscription, usePushChangesMutation, useTaskQuery }
  from '../../client/generated/hooks.ts';
`;

const rightUse = `${imports}
export function useEverything() {
  const [{ data }] = useTaskQuery({ variables: { id: 'task-1' } });
  const title: string | undefined = data?.task?.title;
  const tags: readonly string[] | undefined = data?.task?.tags;
  const [, push] = usePushChangesMutation();
  void push({
    input: { workspaceId: 'w', clientId: 'c', changes: [{ task: { mutationId: 'm', id: 't', patch: { priority: 2 } } }] },
  }).then((result) => result.data?.pushChanges.results[0]?.status);
  const [{ data: live }] = useConflictChangedSubscription({ variables: { workspaceId: 'w' } });
  const field: string | undefined = live?.conflictChanged.field;
  return [title, tags, field];
}
`;

// The accessors generated from the model (`sync.tasks`, ...), as an app holds them.
const accessorImports = `
import type { SyncClient, TaskEntity } from '../../client/index.ts';
declare const sync: SyncClient;
`;

const rightAccessorUse = `${accessorImports}
export function edit() {
  const id: string = sync.tasks.create({ title: 't', tags: ['a'], timeSpentMinutes: 5, priority: 2 });
  sync.tasks.update(id, { tagsAdd: ['b'], tagsRemove: ['a'], timeSpentDelta: 3, title: 'u' });
  sync.projects.create({ name: 'p', color: null });
  sync.comments.create({ taskId: id, body: 'hi' });
  const task: TaskEntity | null = sync.tasks.get(id);
  sync.tasks.delete(id);
  return task?.tags;
}
`;

/** Each wrong use, and a word its type error must contain (so it fails for that reason). */
const wrongUses: Record<string, [source: string, mentions: string]> = {
  'a create with a field the entity does not have': [
    `${accessorImports} export const id = sync.tasks.create({ title: 't', colour: 'red' });`,
    "'colour'",
  ],
  'a set field passed to create as its add operation': [
    `${accessorImports} export const id = sync.tasks.create({ title: 't', tagsAdd: ['a'] });`,
    "'tagsAdd'",
  ],
  'an owner field in a create': [
    `${accessorImports} export const id = sync.comments.create({ taskId: 't', body: 'b', authorId: 'u' });`,
    "'authorId'",
  ],
  'a create without a required field': [
    `${accessorImports} export const id = sync.tasks.create({ tags: ['a'] });`,
    "'title'",
  ],
  'a counter total given as text': [
    `${accessorImports} export const id = sync.tasks.create({ title: 't', timeSpentMinutes: '5' });`,
    "'string'",
  ],
  'a set value in an update instead of its operations': [
    `${accessorImports} sync.tasks.update('t', { tags: ['a'] });`,
    "'tags'",
  ],
  'a field read as the wrong type': [
    `${imports}
    export function use() {
      const [{ data }] = useTaskQuery({ variables: { id: 'task-1' } });
      const title: number | undefined = data?.task?.title;
      return title;
    }`,
    "'number'",
  ],
  'a misspelt variable': [
    `${imports}
    export function use() {
      return useTaskQuery({ variables: { taskId: 'task-1' } });
    }`,
    'taskId',
  ],
  'a field the schema does not have': [
    `${imports}
    export function use() {
      const [{ data }] = useTaskQuery({ variables: { id: 'task-1' } });
      return data?.task?.owner;
    }`,
    "'owner'",
  ],
  'a mutation input missing its clientId': [
    `${imports}
    export function use() {
      const [, push] = usePushChangesMutation();
      return push({ input: { workspaceId: 'w', changes: [] } });
    }`,
    'clientId',
  ],
  'a patch field of the wrong type': [
    `${imports}
    export function use() {
      const [, push] = usePushChangesMutation();
      return push({
        input: { workspaceId: 'w', clientId: 'c', changes: [{ task: { mutationId: 'm', id: 't', patch: { priority: 'high' } } }] },
      });
    }`,
    "'string'",
  ],
};

function compilerOptions(): ts.CompilerOptions {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    join(projectRoot, 'tsconfig.json'),
    { jsx: ts.JsxEmit.ReactJSX },
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (!parsed) throw new Error('tsconfig.json could not be read');
  return parsed.options;
}

// Parsed once for all the checks: React's, urql's and the generated code's declarations.
const parsed = new Map<string, ts.SourceFile | undefined>();

/** The type errors of `source` compiled as a file beside this test. */
function typeErrors(source: string, options: ts.CompilerOptions): string[] {
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (file) => (file === checkedFile ? source : readFile(file));
  host.fileExists = (file) => file === checkedFile || ts.sys.fileExists(file);
  host.getSourceFile = (file, language, ...rest) => {
    if (file === checkedFile) {
      return ts.createSourceFile(file, source, language, true, ts.ScriptKind.TSX);
    }
    if (!parsed.has(file)) parsed.set(file, getSourceFile(file, language, ...rest));
    return parsed.get(file);
  };
  const program = ts.createProgram({ rootNames: [checkedFile], options, host });
  return ts
    .getPreEmitDiagnostics(program, program.getSourceFile(checkedFile))
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
}

describe('generated hooks and entity accessors', () => {
  const options = compilerOptions();

  it('type-check code that uses them right', () => {
    expect(typeErrors(rightUse, options)).toEqual([]);
  });

  it('type-check code that uses the entity accessors right', () => {
    expect(typeErrors(rightAccessorUse, options)).toEqual([]);
  });

  it.each(Object.entries(wrongUses))('reject %s', (_name, [source, mentions]) => {
    const errors = typeErrors(source, options);
    expect(errors.length, 'one type error').toBe(1);
    expect(errors[0]).toContain(mentions);
  });
});
