/**
 * runConformance: checks a running Converge server against a model, over HTTP only
 * (docs/conformance.md). It needs the URL, the model and the HS256 secret; it creates its own
 * workspace and users, so it can run against a deployment in use without touching other data.
 */

import type { ModelDescription } from '../model/index.ts';
import {
  checkCreatesWithDefaults,
  checkFullCreates,
  checkOwnerRule,
  checkReferences,
  checkRefusals,
  checkValidValues,
} from './checks-entities.ts';
import {
  checkAudit,
  checkConflicts,
  checkPull,
  checkStrategies,
  checkStream,
} from './checks-sync.ts';
import { ConformanceClient, type ServerOptions } from './client.ts';
import { type CheckResult, dependencyOrder, RunContext } from './context.ts';

export type { CheckResult } from './context.ts';

export interface ConformanceOptions extends ServerOptions {
  model: ModelDescription;
  /** Called with each check as it finishes, e.g. to print it. */
  log?: (result: CheckResult) => void;
  /** How long to wait for live events. */
  streamTimeoutMs?: number;
}

export interface ConformanceReport {
  passed: number;
  failed: number;
  checks: CheckResult[];
}

const runDefaults = { streamTimeoutMs: 15_000 };

export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const client = new ConformanceClient(options);
  const ctx = new RunContext(client, options.model, options.log ?? (() => {}));
  const ready = await setUp(ctx);
  if (ready) {
    await checkCreatesWithDefaults(ctx, dependencyOrder(options.model));
    await checkFullCreates(ctx);
    await checkValidValues(ctx);
    await checkRefusals(ctx);
    await checkReferences(ctx);
    await checkOwnerRule(ctx);
    await checkStrategies(ctx);
    await checkConflicts(ctx);
    await checkPull(ctx);
    await checkStream(ctx, options.streamTimeoutMs ?? runDefaults.streamTimeoutMs);
    await checkAudit(ctx);
  }
  const passed = ctx.checks.filter((check) => check.ok).length;
  return { passed, failed: ctx.checks.length - passed, checks: ctx.checks };
}

/** The suite's own workspace: its ADMIN and two EDITORs are fresh user ids of this run. */
async function setUp(ctx: RunContext): Promise<boolean> {
  const { admin, editor, otherEditor } = ctx.users;
  return ctx.check('setup: a workspace of its own with an ADMIN and two EDITORs', async () => {
    const { createWorkspace } = await ctx.client.data<{
      createWorkspace: { id: string; cursor: string };
    }>(admin, ctx.docs.createWorkspace, { name: `Conformance ${new Date().toISOString()}` });
    ctx.workspaceId = createWorkspace.id;
    ctx.startCursor = createWorkspace.cursor;
    for (const userId of [editor, otherEditor]) {
      await ctx.client.data(admin, ctx.docs.addMember, {
        workspaceId: ctx.workspaceId,
        userId,
        role: 'EDITOR',
      });
    }
    return `workspace ${ctx.workspaceId}`;
  });
}
