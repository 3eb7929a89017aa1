/**
 * Strings that match a @pattern regex, so the suite can write valid values for any pattern a
 * model declares. Covers the regex syntax patterns are written in (literals, escapes, classes,
 * groups, alternatives, quantifiers); anything else returns null and the caller reports that
 * it found no value, instead of guessing.
 */

type Node =
  | { kind: 'chars'; chars: string[] }
  | { kind: 'group'; alternatives: Item[][] }
  | { kind: 'anchor' };

interface Item {
  node: Node;
  min: number;
  max: number;
}

const PRINTABLE_ASCII = Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) =>
  String.fromCharCode(0x20 + i),
);
const DIGITS = [...'0123456789'];
const WORD = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_'];
const SPACE = [' '];

class Unsupported extends Error {}

class Parser {
  private position = 0;
  constructor(private readonly source: string) {}

  parse(): Item[][] {
    const alternatives = this.alternatives();
    if (this.position < this.source.length) throw new Unsupported('unbalanced )');
    return alternatives;
  }

  private peek(): string | undefined {
    return this.source[this.position];
  }

  private next(): string {
    const char = this.source[this.position++];
    if (char === undefined) throw new Unsupported('unexpected end');
    return char;
  }

  private alternatives(): Item[][] {
    const alternatives: Item[][] = [this.sequence()];
    while (this.peek() === '|') {
      this.position++;
      alternatives.push(this.sequence());
    }
    return alternatives;
  }

  private sequence(): Item[] {
    const items: Item[] = [];
    while (this.position < this.source.length && this.peek() !== '|' && this.peek() !== ')') {
      const node = this.atom();
      items.push({ node, ...this.quantifier() });
    }
    return items;
  }

  private atom(): Node {
    const char = this.next();
    if (char === '^' || char === '$') return { kind: 'anchor' };
    if (char === '.') return { kind: 'chars', chars: PRINTABLE_ASCII };
    if (char === '(') {
      if (this.peek() === '?') {
        this.position++;
        if (this.next() !== ':') throw new Unsupported('lookaround or named group');
      }
      const alternatives = this.alternatives();
      if (this.next() !== ')') throw new Unsupported('unclosed group');
      return { kind: 'group', alternatives };
    }
    if (char === '[') return this.characterClass();
    if (char === '\\') return { kind: 'chars', chars: this.escape() };
    if ('*+?{'.includes(char)) throw new Unsupported('quantifier without atom');
    return { kind: 'chars', chars: [char] };
  }

  private escape(): string[] {
    const char = this.next();
    if (char === 'd') return DIGITS;
    if (char === 'w') return WORD;
    if (char === 's') return SPACE;
    if ('DWSbB'.includes(char) || /[1-9kpPuxc]/.test(char)) throw new Unsupported(`\\${char}`);
    if (char === 'n' || char === 't' || char === 'r') throw new Unsupported('control character');
    return [char];
  }

  private characterClass(): Node {
    const negated = this.peek() === '^';
    if (negated) this.position++;
    const members = new Set<string>();
    let first = true;
    while (first || this.peek() !== ']') {
      first = false;
      let start = this.next();
      if (start === '\\') {
        const escaped = this.escape();
        if (escaped.length > 1) {
          for (const member of escaped) members.add(member);
          continue;
        }
        start = escaped[0] as string;
      }
      if (this.peek() === '-' && this.source[this.position + 1] !== ']') {
        this.position++;
        let end = this.next();
        if (end === '\\') end = this.escape()[0] as string;
        for (let code = start.charCodeAt(0); code <= end.charCodeAt(0); code++) {
          members.add(String.fromCharCode(code));
        }
      } else {
        members.add(start);
      }
    }
    this.position++;
    const chars = negated
      ? PRINTABLE_ASCII.filter((char) => !members.has(char))
      : [...members].filter((char) => char !== '');
    if (chars.length === 0) throw new Unsupported('empty class');
    return { kind: 'chars', chars };
  }

  private quantifier(): { min: number; max: number } {
    const char = this.peek();
    let bounds = { min: 1, max: 1 };
    if (char === '*') bounds = { min: 0, max: Number.POSITIVE_INFINITY };
    else if (char === '+') bounds = { min: 1, max: Number.POSITIVE_INFINITY };
    else if (char === '?') bounds = { min: 0, max: 1 };
    else if (char === '{') {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.position));
      if (!match) return bounds;
      this.position += match[0].length - 1;
      const min = Number(match[1]);
      const max =
        match[2] === undefined ? min : match[3] ? Number(match[3]) : Number.POSITIVE_INFINITY;
      bounds = { min, max };
    } else {
      return bounds;
    }
    this.position++;
    if (this.peek() === '?') this.position++;
    return bounds;
  }
}

function generate(alternatives: Item[][], variant: number): string {
  const sequence = alternatives[variant % alternatives.length] as Item[];
  return sequence
    .map(({ node, min, max }) => {
      if (node.kind === 'anchor') return '';
      // One repetition when the quantifier allows it: short values fit @length limits.
      const count = Math.max(min, Math.min(1, max));
      let text = '';
      for (let i = 0; i < count; i++) {
        text +=
          node.kind === 'chars'
            ? (node.chars[(variant + i) % node.chars.length] as string)
            : generate(node.alternatives, variant);
      }
      return text;
    })
    .join('');
}

/** The whole value must match: a value that does passes whether or not the server anchors. */
export function wholeMatch(regex: string): RegExp {
  return new RegExp(`^(?:${regex})$`, 'u');
}

/**
 * Up to `count` distinct strings that match `regex` as a whole, or fewer (none) when the
 * regex uses syntax this sampler does not know.
 */
export function sampleRegex(regex: string, count = 2): string[] {
  let alternatives: Item[][];
  try {
    alternatives = new Parser(regex).parse();
  } catch {
    return [];
  }
  const matcher = wholeMatch(regex);
  const samples = new Set<string>();
  for (let variant = 0; variant < count * 8 && samples.size < count; variant++) {
    const candidate = generate(alternatives, variant);
    if (matcher.test(candidate)) samples.add(candidate);
  }
  return [...samples];
}
