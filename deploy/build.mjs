// `npm run build`: compiles the server (with the generated Prisma client, which is TypeScript)
// to plain JavaScript and copies what it reads at run time next to it, so that
// `node <outDir>/server/main.js` needs no TypeScript loader.
//
// Usage: node deploy/build.mjs [--outDir <directory inside the project>]
//
// The output must stay inside the project: Node resolves node_modules by walking up from
// the compiled files. server/db/migrations.ts finds prisma/ two levels above its own file,
// which is <outDir>/prisma once compiled, hence the copy; model.graphql likewise.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function outDirFrom(args) {
  const index = args.indexOf('--outDir');
  if (index === -1) return join(projectRoot, 'dist');
  const value = args[index + 1];
  if (!value) throw new Error('--outDir needs a directory');
  return resolve(value);
}

function compile(outDir) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(
    process.execPath,
    [tsc, '-p', join(projectRoot, 'tsconfig.build.json'), '--outDir', outDir],
    { stdio: 'inherit', cwd: projectRoot },
  );
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function copyDashboard(outDir) {
  // server/dashboard.ts serves ../dashboard/dist relative to itself: <outDir>/dashboard/dist
  // once compiled. The page is built by `node dashboard/build.mjs` (Vite), not here.
  const page = join(projectRoot, 'dashboard', 'dist');
  if (!existsSync(join(page, 'index.html'))) {
    console.warn(
      'No dashboard/dist: /dashboard will answer 404 (build it with node dashboard/build.mjs)',
    );
    return;
  }
  cpSync(page, join(outDir, 'dashboard', 'dist'), { recursive: true });
}

function copyRuntimeFiles(outDir) {
  const prisma = join(outDir, 'prisma');
  mkdirSync(prisma, { recursive: true });
  cpSync(join(projectRoot, 'prisma', 'migrations'), join(prisma, 'migrations'), {
    recursive: true,
  });
  cpSync(join(projectRoot, 'prisma', 'schema'), join(prisma, 'schema'), { recursive: true });
  // The server reads the model at start: model/load.ts looks one level above its own file,
  // <outDir>/model.graphql once compiled.
  cpSync(join(projectRoot, 'model.graphql'), join(outDir, 'model.graphql'));
  // The compiled files are ES modules whatever package.json sits above them.
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ type: 'module' })}\n`);
}

// The output directory is deleted first: only accept places that hold nothing else.
function assertDisposable(outDir) {
  const path = relative(projectRoot, outDir).split(sep).join('/');
  if (/^dist[^/]*(\/|$)/.test(path) || /^node_modules\/\.cache\/[^/]+/.test(path)) return;
  console.error(
    `--outDir must be dist* or node_modules/.cache/<name> inside ${projectRoot} (got ${outDir})`,
  );
  process.exit(2);
}

const outDir = outDirFrom(process.argv.slice(2));
assertDisposable(outDir);
rmSync(outDir, { recursive: true, force: true });
compile(outDir);
copyRuntimeFiles(outDir);
copyDashboard(outDir);
console.log(
  `Built ${relative(projectRoot, outDir) || '.'}: node ${relative(projectRoot, join(outDir, 'server', 'main.js'))}`,
);
