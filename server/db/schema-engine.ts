import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';

export type { SchemaEngine } from '@prisma/schema-engine-wasm';

type EngineModule = typeof import('@prisma/schema-engine-wasm') & {
  __wbg_set_wasm(exports: WebAssembly.Exports): void;
};

export interface SchemaEngineOptions {
  /**
   * Prisma schema (a folder of `.prisma` files, or one file) given to the engine as its
   * datamodel; omit for migration-only work.
   */
  schemaPath?: string | undefined;
  /** Receives the engine's JSON log lines; silent by default. */
  onLog?: ((line: string) => void) | undefined;
}

export interface SchemaEngineHandle {
  engine: SchemaEngine;
  /** Frees the engine and disposes every connection it opened through the adapter factory. */
  close(): Promise<void>;
}

export interface SchemaFile {
  path: string;
  content: string;
}

/** The schema's files as the engine takes them: every `.prisma` file of a folder, sorted. */
export async function readSchemaFiles(path: string): Promise<SchemaFile[]> {
  const entries = await readdir(path, { withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOTDIR') return null;
      throw error;
    },
  );
  const paths =
    entries === null
      ? [path]
      : entries
          .filter((entry) => entry.isFile() && entry.name.endsWith('.prisma'))
          .map((entry) => join(path, entry.name))
          .sort();
  return Promise.all(
    paths.map(async (file) => ({ path: file, content: await readFile(file, 'utf8') })),
  );
}

let loading: Promise<EngineModule> | undefined;
let lastPanic: string | undefined;

/**
 * The bindings report a Rust panic through this global before trapping; without it the
 * panic surfaces as an unrelated TypeError and its message is lost.
 */
function registerPanicHook(): void {
  const registry = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(m: string): void } };
  registry.PRISMA_WASM_PANIC_REGISTRY ??= {
    set_message(message: string) {
      lastPanic = message;
    },
  };
}

/** Turns a trap of the engine into an error that says why it panicked. */
export function explainEngineError(error: unknown): unknown {
  if (!(error instanceof WebAssembly.RuntimeError) || lastPanic === undefined) return error;
  const message = lastPanic;
  lastPanic = undefined;
  return new Error(`Prisma schema engine panicked: ${message}`, { cause: error });
}

/**
 * The package entry imports its .wasm file as an ES module, which Node cannot load, so we
 * compile the binary ourselves and hand it to the generated bindings. Instantiation is
 * costly (several MB of wasm), hence once per process.
 */
export function loadSchemaEngineModule(): Promise<EngineModule> {
  loading ??= instantiate().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function instantiate(): Promise<EngineModule> {
  registerPanicHook();
  // The package exports no package.json; its bindings subpath locates the directory.
  const bindingsPath = createRequire(import.meta.url).resolve(
    '@prisma/schema-engine-wasm/schema_engine_bg',
  );
  const bindingsUrl = pathToFileURL(bindingsPath).href;
  const [bytes, bindings] = await Promise.all([
    readFile(join(dirname(bindingsPath), 'schema_engine_bg.wasm')),
    import(bindingsUrl) as Promise<EngineModule>,
  ]);
  const compiled = await WebAssembly.compile(bytes);
  const instance = await WebAssembly.instantiate(compiled, {
    './schema_engine_bg.js': bindings as unknown as WebAssembly.ModuleImports,
  });
  bindings.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return bindings;
}

/**
 * Opens Prisma's schema engine on the database behind `adapterFactory`. The engine opens
 * connections (and shadow databases) itself; we track them so close() releases them even
 * though the engine does not dispose what it connected.
 */
export async function openSchemaEngine(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  schemaPathOrOptions: string | SchemaEngineOptions = {},
): Promise<SchemaEngineHandle> {
  const options =
    typeof schemaPathOrOptions === 'string'
      ? { schemaPath: schemaPathOrOptions }
      : schemaPathOrOptions;
  const module = await loadSchemaEngineModule();
  const tracked = trackConnections(adapterFactory);
  const datamodels: [string, string][] | undefined = options.schemaPath
    ? (await readSchemaFiles(options.schemaPath)).map((file) => [file.path, file.content])
    : undefined;
  const onLog = options.onLog ?? (() => {});
  const engine = await module.SchemaEngine.new(
    { datamodels },
    (line: string) => onLog(line),
    bindMigrationAwareSqlAdapterFactory(tracked.factory),
  ).catch(async (error: unknown) => {
    await tracked.disposeAll();
    throw explainEngineError(error);
  });
  let closed = false;
  return {
    engine,
    async close() {
      if (closed) return;
      closed = true;
      try {
        engine.free();
      } catch {
        // After a panic the engine still counts as borrowed and refuses to be freed; the
        // connections below are what matters.
      }
      await tracked.disposeAll();
    },
  };
}

interface TrackedFactory {
  factory: SqlMigrationAwareDriverAdapterFactory;
  disposeAll(): Promise<void>;
}

function trackConnections(inner: SqlMigrationAwareDriverAdapterFactory): TrackedFactory {
  const open = new Set<SqlDriverAdapter>();
  const track = (adapter: SqlDriverAdapter): SqlDriverAdapter => {
    open.add(adapter);
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      if (!open.delete(adapter)) return;
      await dispose();
    };
    return adapter;
  };
  return {
    factory: {
      provider: inner.provider,
      adapterName: inner.adapterName,
      connect: async () => track(await inner.connect()),
      connectToShadowDb: async () => track(await inner.connectToShadowDb()),
    },
    async disposeAll() {
      const adapters = [...open];
      await Promise.allSettled(adapters.map((adapter) => adapter.dispose()));
    },
  };
}
