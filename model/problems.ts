import { type ASTNode, type GraphQLError, getLocation } from 'graphql';
import type { ModelProblem, SourceLocation } from './description.ts';

/** Thrown by describeModel: every problem of the model, not only the first. */
export class ModelError extends Error {
  readonly problems: readonly ModelProblem[];

  constructor(problems: readonly ModelProblem[]) {
    super(`The model has ${countProblems(problems)}:\n${formatProblems(problems)}`);
    this.name = 'ModelError';
    this.problems = problems;
  }
}

/** One line per problem, `path:line:column: message`, as compilers print them. */
export function formatProblems(problems: readonly ModelProblem[]): string {
  return problems
    .map((problem) => `${problem.path}:${problem.line}:${problem.column}: ${problem.message}`)
    .join('\n');
}

export function countProblems(problems: readonly ModelProblem[]): string {
  return problems.length === 1 ? '1 problem' : `${problems.length} problems`;
}

export function locationOf(node: ASTNode | undefined | null): SourceLocation {
  if (!node?.loc) return { line: 1, column: 1 };
  const { line, column } = getLocation(node.loc.source, node.loc.start);
  return { line, column };
}

/**
 * Recognised by shape, not by class: a bundler may load graphql's ESM build for `graphql` and
 * its CommonJS build for the deep validateSDL import, and then their GraphQLError classes differ.
 */
function isGraphQLError(error: unknown): error is GraphQLError {
  return error instanceof Error && error.name === 'GraphQLError' && 'locations' in error;
}

/** Collects problems in the order they are found; sorted by position when read. */
export class ProblemList {
  private readonly found: ModelProblem[] = [];

  constructor(private readonly path: string) {}

  at(node: ASTNode | undefined | null, message: string): void {
    this.found.push({ path: this.path, ...locationOf(node), message });
  }

  atLocation(location: SourceLocation, message: string): void {
    this.found.push({ path: this.path, ...location, message });
  }

  fromGraphQLError(error: unknown, fallback: ASTNode | undefined | null, hint = ''): void {
    if (!isGraphQLError(error)) throw error;
    const location = error.locations?.[0] ?? locationOf(error.nodes?.[0] ?? fallback);
    const message = hint ? `${error.message} ${hint}` : error.message;
    this.found.push({ path: this.path, line: location.line, column: location.column, message });
  }

  get size(): number {
    return this.found.length;
  }

  sorted(): ModelProblem[] {
    return [...this.found].sort((a, b) => a.line - b.line || a.column - b.column);
  }
}
