import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The documentation lives in the repository and points only into it: every relative link of
 * the Markdown pages resolves to a file (and heading) of the repository, every code comment
 * that cites a page cites one that exists under a heading it has, and nothing refers to
 * design notes outside the repository, which a clone does not have.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every file of the repository, tracked or new, without what .gitignore excludes. */
const repositoryFiles = execFileSync(
  'git',
  ['ls-files', '--cached', '--others', '--exclude-standard', '-z'],
  { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
)
  .split('\0')
  // node_modules may be a symlink git does not ignore (a shared install): never part of it.
  .filter((file) => file !== '' && !file.split('/').includes('node_modules'))
  .filter((file) => existsSync(join(root, file)) && statSync(join(root, file)).isFile());

const markdownPages = repositoryFiles.filter(
  (file) =>
    file === 'README.md' ||
    file === 'client/README.md' ||
    (file.startsWith('docs/') && file.endsWith('.md')),
);

const codeExtensions = new Set(['.ts', '.tsx', '.mts', '.js', '.mjs', '.cjs', '.prisma']);
const codeFiles = repositoryFiles.filter((file) => codeExtensions.has(extname(file)));

// Spelled in pieces so that this file does not name them itself.
const outsideReferences = [['DESIGN', 'md'].join('.'), ['..', 'shared'].join('/')];

interface Link {
  page: string;
  line: number;
  target: string;
}

/** Markdown text with fenced code blocks and inline code blanked out (line numbers kept). */
function prose(markdown: string): string[] {
  let fence: string | null = null;
  return markdown.split('\n').map((line) => {
    const marker = /^\s*(```+|~~~+)/.exec(line)?.[1];
    if (marker && (fence === null || marker.startsWith(fence))) {
      fence = fence === null ? marker : null;
      return '';
    }
    if (fence !== null) return '';
    return line.replace(/`[^`]*`/g, (code) => ' '.repeat(code.length));
  });
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function headingsOf(markdown: string): string[] {
  let fence: string | null = null;
  const headings: string[] = [];
  for (const line of markdown.split('\n')) {
    const marker = /^\s*(```+|~~~+)/.exec(line)?.[1];
    if (marker && (fence === null || marker.startsWith(fence))) {
      fence = fence === null ? marker : null;
      continue;
    }
    const heading = fence === null ? /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1] : undefined;
    if (heading !== undefined) headings.push(heading.replace(/`/g, ''));
  }
  return headings;
}

/** Anchors of a page, with GitHub's -1, -2 suffixes for repeated headings. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const heading of headingsOf(markdown)) {
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

function linksOf(page: string): Link[] {
  const links: Link[] = [];
  prose(readFileSync(join(root, page), 'utf8')).forEach((text, index) => {
    for (const match of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ page, line: index + 1, target: match[1] as string });
    }
    for (const match of text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/g)) {
      links.push({ page, line: index + 1, target: match[1] as string });
    }
  });
  return links;
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

/** What is wrong with a relative link, or null when it resolves inside the repository. */
function problemOf(link: Link): string | null {
  const [path = '', anchor] = link.target.split('#', 2);
  const file = path === '' ? join(root, link.page) : resolve(dirname(join(root, link.page)), path);
  const inside = relative(root, file);
  if (inside.startsWith('..') || inside.startsWith(sep)) return 'leaves the repository';
  if (!existsSync(file)) return 'names no file';
  if (anchor === undefined || anchor === '') return null;
  if (!statSync(file).isFile() || extname(file) !== '.md') return 'has an anchor on a non-page';
  const anchors = anchorsOf(readFileSync(file, 'utf8'));
  return anchors.has(decodeURIComponent(anchor)) ? null : `names no heading #${anchor}`;
}

interface Citation {
  file: string;
  page: string;
  /** The text after "docs/<page>.md, ", which starts with a heading of that page. */
  heading: string | null;
}

/** "docs/protocol.md, Idempotency" in code comments, joined across comment lines. */
function citationsOf(file: string): Citation[] {
  const text = readFileSync(join(root, file), 'utf8').replace(/\n\s*(?:\*(?!\/)|\/\/\/?)\s?/g, ' ');
  return [...text.matchAll(/\bdocs\/([\w/.-]+?\.md)(?:,\s*"?([^"\n]*))?/g)].map((match) => ({
    file,
    page: `docs/${match[1]}`,
    heading: match[2] ?? null,
  }));
}

describe('documentation links', () => {
  it('finds the pages it checks', () => {
    expect(markdownPages).toEqual(
      expect.arrayContaining([
        'README.md',
        'client/README.md',
        'docs/README.md',
        'docs/protocol.md',
        'docs/client.md',
        'docs/operations.md',
        'docs/model.md',
        'docs/dashboard/README.md',
      ]),
    );
  });

  it('every relative link of the pages resolves to a file and heading of the repository', () => {
    const links = markdownPages.flatMap(linksOf).filter((link) => !isExternal(link.target));
    expect(links.length).toBeGreaterThan(20);
    const broken = links
      .map((link) => ({ link, problem: problemOf(link) }))
      .filter(({ problem }) => problem !== null)
      .map(({ link, problem }) => `${link.page}:${link.line} ${link.target} ${problem}`);
    expect(broken).toEqual([]);
  });

  it('every docs page is reachable from the docs index', () => {
    const reachable = new Set<string>(['docs/README.md']);
    const queue = ['docs/README.md'];
    for (let page = queue.shift(); page !== undefined; page = queue.shift()) {
      for (const link of linksOf(page)) {
        if (isExternal(link.target)) continue;
        const path = link.target.split('#')[0] ?? '';
        const target = relative(root, resolve(dirname(join(root, page)), path || page));
        if (markdownPages.includes(target) && !reachable.has(target)) {
          reachable.add(target);
          queue.push(target);
        }
      }
    }
    const docs = markdownPages.filter((page) => page.startsWith('docs/'));
    expect(docs.filter((page) => !reachable.has(page))).toEqual([]);
  });

  it('code comments cite pages that exist, under headings they have', () => {
    const citations = codeFiles.flatMap(citationsOf);
    expect(citations.length).toBeGreaterThan(30);
    const broken = citations
      .filter(({ page, heading }) => {
        if (!markdownPages.includes(page)) return true;
        if (heading === null) return false;
        const headings = headingsOf(readFileSync(join(root, page), 'utf8'));
        return !headings.some((candidate) => heading.startsWith(candidate));
      })
      .map(({ file, page, heading }) => `${file}: ${page}, ${heading ?? ''}`);
    expect(broken).toEqual([]);
  });

  it('no file of the repository refers to design notes outside it', () => {
    const mentions = repositoryFiles.flatMap((file) => {
      const text = readFileSync(join(root, file), 'latin1');
      return outsideReferences
        .filter((reference) => text.includes(reference))
        .map((reference) => `${file} mentions ${reference}`);
    });
    expect(mentions).toEqual([]);
  });
});
