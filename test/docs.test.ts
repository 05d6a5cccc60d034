import fs from 'node:fs';
import path from 'node:path';

// The README and the manual in docs/: every TypeScript block is an excerpt of a runnable example (which
// test/examples.test.ts type-checks and runs), every relative link resolves, the README's links point
// at files the package ships, and the text does not date itself.
const ROOT = path.resolve(__dirname, '..');
const EXAMPLES = path.join(ROOT, 'examples');

function markdownFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(full);
    return entry.name.endsWith('.md') ? [full] : [];
  });
}

const PAGES = [path.join(ROOT, 'README.md'), ...markdownFiles(path.join(ROOT, 'docs'))];
const relative = (file: string) => path.relative(ROOT, file);

interface CodeBlock {
  page: string;
  line: number;
  language: string;
  lines: string[];
}

function codeBlocks(page: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  let open: CodeBlock | null = null;
  fs.readFileSync(page, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      const fence = /^\s*```(\S*)/.exec(text);
      if (fence && !open) open = { page, line: i + 1, language: fence[1], lines: [] };
      else if (fence && open) {
        blocks.push(open);
        open = null;
      } else open?.lines.push(text);
    });
  return blocks;
}

/** The text outside code blocks and inline code spans. */
function prose(page: string): string {
  return fs
    .readFileSync(page, 'utf8')
    .replace(/^\s*```[\s\S]*?^\s*```/gm, '')
    .replace(/`[^`\n]*`/g, '');
}

/** Relative link targets of a page, without their #fragment. */
function links(page: string): string[] {
  return [...prose(page).matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1])
    .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'))
    .map((target) => target.replace(/#.*$/, ''));
}

const exampleLines = fs
  .readdirSync(EXAMPLES)
  .filter((name) => name.endsWith('.mts'))
  .map((name) => ({
    name,
    lines: fs
      .readFileSync(path.join(EXAMPLES, name), 'utf8')
      .split('\n')
      .map((l) => l.trim()),
  }));

/** Whether `block`'s non-blank lines appear, in order, among `lines` (a `// ...` line skips ahead). */
function isExcerpt(block: string[], lines: string[]): boolean {
  const wanted = block.map((l) => l.trim()).filter((l) => l !== '' && l !== '// ...' && l !== '// …');
  let at = lines.indexOf(wanted[0]);
  if (at < 0) return false;
  for (const line of wanted.slice(1)) {
    at = lines.indexOf(line, at + 1);
    if (at < 0) return false;
  }
  return true;
}

describe('the README and docs/', () => {
  const blocks = PAGES.flatMap(codeBlocks).filter((b) => ['ts', 'typescript', 'js', 'mts'].includes(b.language));

  it('quote TypeScript only as excerpts of examples/', () => {
    expect(blocks.length).toBeGreaterThan(0);
    const strays = blocks
      .filter((block) => !exampleLines.some((example) => isExcerpt(block.lines, example.lines)))
      .map((block) => `${relative(block.page)}:${block.line}`);
    expect(strays).toEqual([]);
  });

  it('link only to files that exist', () => {
    const broken = PAGES.flatMap((page) =>
      links(page)
        .filter((target) => !fs.existsSync(path.resolve(path.dirname(page), decodeURIComponent(target))))
        .map((target) => `${relative(page)} -> ${target}`),
    );
    expect(broken).toEqual([]);
  });

  it('link from the README only to what the package ships', () => {
    const files = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { files: string[] }).files;
    const shipped = (target: string) =>
      files.some((pattern) =>
        pattern === 'docs/**/*.md'
          ? target.startsWith('docs/') && target.endsWith('.md')
          : target === pattern || target.startsWith(`${pattern.replace(/\/$/, '')}/`),
      );
    const unshipped = links(path.join(ROOT, 'README.md'))
      .map((target) => path.normalize(target).replace(/\/$/, ''))
      .filter((target) => !shipped(target));
    expect(unshipped).toEqual([]);
  });

  it('keep the README within 15 KB', () => {
    expect(fs.statSync(path.join(ROOT, 'README.md')).size).toBeLessThanOrEqual(15 * 1024);
  });

  it('say nothing that dates itself ("now", "previous", "this round", "today")', () => {
    const dated = PAGES.flatMap((page) =>
      prose(page)
        .split('\n')
        .filter((line) => /\b(now|previous|previously|this round|today|currently|recently|no longer)\b/i.test(line))
        .map((line) => `${relative(page)}: ${line.trim()}`),
    );
    expect(dated).toEqual([]);
  });
});
