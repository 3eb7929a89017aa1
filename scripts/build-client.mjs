// `npm run client:build` (or `npm run build` in client/): compiles client/ to the package apps
// install, @converge/client: ES modules with type declarations in client/dist. `npm pack` in
// client/ runs it first (prepack), so a tarball never ships stale or missing JavaScript.
//
// The sources import each other with `.ts` specifiers (the repo runs them without a build).
// tsc rewrites those to `.js` in the JavaScript (rewriteRelativeImportExtensions) but keeps
// them in the declarations, where an app's TypeScript would look for `.ts` files the package
// does not ship: the declarations get the same rewrite here.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const clientDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'client');
const outDir = join(clientDir, 'dist');

function compile() {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(clientDir, 'tsconfig.build.json')], {
    stdio: 'inherit',
    cwd: clientDir,
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function declarationFiles(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

// Only relative specifiers: `from './engine.ts'`, `import('../storage/types.ts')`.
const relativeTsSpecifier = /(['"])(\.{1,2}\/[^'"]*?)\.ts\1/g;

function rewriteDeclarationImports() {
  for (const file of declarationFiles(outDir)) {
    const text = readFileSync(file, 'utf8');
    const rewritten = text.replace(relativeTsSpecifier, '$1$2.js$1');
    if (rewritten !== text) writeFileSync(file, rewritten);
  }
}

rmSync(outDir, { recursive: true, force: true });
compile();
rewriteDeclarationImports();
console.log(`@converge/client built in ${outDir}`);
