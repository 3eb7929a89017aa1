import { type DocumentNode, GraphQLError, type Source, TokenKind } from 'graphql';
// graphql exports its Parser class only from this module (CommonJS, the copy Yoga loads too).
import { Parser } from 'graphql/language/parser.js';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../errors.ts';

export interface ParseLimits {
  /** Lexical tokens per document; comments are counted apart against the same number. */
  maxTokens: number;
  /** Operation definitions per document. */
  maxOperations: number;
  /** Brackets ({, [) open at once: field nesting plus nested literal values and list types. */
  maxNesting: number;
}

type LimitName = 'tokens' | 'operations' | 'nesting';

const describe: Record<LimitName, string> = {
  tokens: 'number of tokens',
  operations: 'number of operations',
  nesting: 'bracket nesting',
};

/**
 * graphql-js's parser with limits checked as it reads, so a huge document is refused after
 * at most `maxTokens` tokens instead of being parsed whole (and held whole in memory), and
 * a deeply nested one before the recursive descent overflows the stack.
 */
class LimitedParser extends Parser {
  readonly #limits: ParseLimits;
  #tokens = 0;
  #nesting = 0;
  #operations = 0;

  constructor(source: string | Source, limits: ParseLimits) {
    // Comments are skipped by the lexer before the parser sees them: graphql counts them.
    super(source, { maxComments: limits.maxTokens });
    this.#limits = limits;
  }

  override advanceLexer(): void {
    super.advanceLexer();
    const { kind } = this._lexer.token;
    if (kind === TokenKind.EOF) return;
    this.#check('tokens', ++this.#tokens, this.#limits.maxTokens);
    if (kind === TokenKind.BRACE_L || kind === TokenKind.BRACKET_L)
      this.#check('nesting', ++this.#nesting, this.#limits.maxNesting);
    else if (kind === TokenKind.BRACE_R || kind === TokenKind.BRACKET_R) this.#nesting--;
  }

  override parseOperationDefinition() {
    this.#check('operations', ++this.#operations, this.#limits.maxOperations);
    return super.parseOperationDefinition();
  }

  #check(limit: LimitName, actual: number, max: number): void {
    if (actual > max) throw tooLarge(limit, max);
  }
}

/** Parses a document within the limits; past one, QUERY_TOO_COMPLEX with `limit` and `max`. */
export function parseWithLimits(source: string | Source, limits: ParseLimits): DocumentNode {
  return new LimitedParser(source, limits).parseDocument();
}

function tooLarge(limit: LimitName, max: number): GraphQLError {
  return new GraphQLError(
    `Query is too complex: its ${describe[limit]} is above the limit of ${max}`,
    {
      extensions: {
        code: ErrorCode.QUERY_TOO_COMPLEX,
        limit,
        max,
        // Yoga marks parse errors `spec`; useRequestErrorStatus answers them 400 all the same.
        http: { status: 400 },
      },
    },
  );
}

/** Replaces Yoga's parser (HTTP, SSE and WebSocket alike) with the limited one. */
export function useParseLimits(limits: ParseLimits): Plugin {
  const parse = (source: string | Source) => parseWithLimits(source, limits);
  return {
    onParse({ setParseFn }) {
      setParseFn(parse);
    },
  };
}
