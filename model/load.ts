/** Reading a model from disk (Node only; the rest of model/ runs in browsers too). */

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkModel, describeModel, type ModelCheck } from './describe.ts';
import type { ModelDescription } from './description.ts';

/** The repository's model.graphql, whatever the working directory. */
// Not `new URL(relative, import.meta.url)`: in a DOM test environment (happy-dom) `URL` is
// the DOM's, which Node's fileURLToPath refuses.
export const defaultModelPath = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'model.graphql',
);

/** Problems name a file under the working directory relatively, as editors and CI logs expect. */
function displayPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere && !fromHere.startsWith('..') && !isAbsolute(fromHere) ? fromHere : path;
}

export function checkModelFile(path: string = defaultModelPath): ModelCheck {
  return checkModel(readFileSync(path, 'utf8'), { path: displayPath(path) });
}

/** Throws ModelError listing every problem. */
export function loadModel(path: string = defaultModelPath): ModelDescription {
  return describeModel(readFileSync(path, 'utf8'), { path: displayPath(path) });
}
