import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The README and docs/*.md read in a terminal and hold together: lines of at most 100 characters
 * (no exceptions: a long URL or command is wrapped or shortened, a long quote wrapped), the Quick
 * start first with its two command lines, relative links and #anchors that resolve, and
 * docs/design.md naming no path outside the repository.
 */
const ROOT = join(__dirname, '..', '..');
const MAX_LINE = 100;
const QUICK_START = ['npm install && npm start', 'npm test'];

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const DOCS = readdirSync(join(ROOT, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => `docs/${name}`);
const PAGES = ['README.md', ...DOCS];

/** Text with fenced code blocks blanked (line count kept) and inline code spans removed. */
function prose(text: string): string {
  const unfenced = text.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, (block) => block.replace(/[^\n]/g, ''));
  return unfenced.replace(/`[^`]*`/g, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a markdown file's headings, with GitHub's -1, -2 for repeated ones. */
function anchors(path: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const match of prose(readFileSync(path, 'utf8')).matchAll(/^#{1,6} +(.*)$/gm)) {
    const base = slug(match[1]!.trim());
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** Every link target of a markdown file outside code: `[text](target)` and `![alt](target)`. */
function links(text: string): string[] {
  return [...prose(text).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

/** What is wrong with one relative link of `page`, or undefined when it resolves. */
function brokenLink(page: string, target: string): string | undefined {
  if (/^[a-z]+:/i.test(target)) return undefined; // https:, mailto:
  const [file, anchor] = target.split('#') as [string, string | undefined];
  const path = file === '' ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), file);
  const inRepo = relative(ROOT, path);
  if (inRepo.startsWith('..') || resolve(path) !== join(ROOT, inRepo))
    return `${target}: outside the repository`;
  if (!existsSync(path)) return `${target}: no such file`;
  if (anchor === undefined) return undefined;
  if (!path.endsWith('.md') || statSync(path).isDirectory())
    return `${target}: an anchor in a non-markdown file`;
  return anchors(path).has(anchor) ? undefined : `${target}: no heading with that anchor`;
}

describe('the README and docs/*.md', () => {
  it('have no line over 100 characters', () => {
    const long = PAGES.flatMap((page) =>
      read(page)
        .split('\n')
        .map((line, i) => ({ line, at: `${page}:${i + 1} (${line.length} characters)` }))
        .filter(({ line }) => line.length > MAX_LINE)
        .map(({ at }) => at),
    );
    expect(long).toEqual([]);
  });

  it('start with the Quick start, which holds exactly the two command lines', () => {
    const readme = read('README.md');
    const headings = [...prose(readme).matchAll(/^#{1,6} .*$/gm)].map((m) => m[0]);
    expect(headings.slice(0, 2)).toEqual(['# campaign-sync', '## Quick start']);
    const start = readme.indexOf('## Quick start');
    const section = readme.slice(start, readme.indexOf('\n## ', start));
    const commands = [...section.matchAll(/^```[^\n]*\n([\s\S]*?)^```$/gm)].flatMap((m) =>
      m[1]!.split('\n').filter((line) => line.trim() !== ''),
    );
    expect(commands).toEqual(QUICK_START);
  });

  it('link only to files of the repository that exist, and to headings that exist', () => {
    const broken = PAGES.flatMap((page) =>
      links(read(page))
        .map((target) => brokenLink(page, target))
        .filter((problem) => problem !== undefined)
        .map((problem) => `${page}: ${problem}`),
    );
    expect(broken).toEqual([]);
  });

  it('link every docs page from the README', () => {
    const linked = new Set(links(read('README.md')).map((target) => target.split('#')[0]));
    expect(DOCS.filter((page) => !linked.has(page))).toEqual([]);
  });
});

describe('docs/design.md', () => {
  // Links are held to the repository by the link test above; URLs name no local path.
  const design = read('docs/design.md')
    .replace(/\]\([^)\s]*\)/g, ']')
    .replace(/https?:\/\/\S+/g, '');

  it('names no path outside the repository', () => {
    // Absolute paths, home folders and parent folders outside code spans and inside them.
    const outside = design.match(/(?<![\w.])(?:~\/|\.\.\/|\/(?:work|tmp|home|root|srv|mnt|opt|Users)\/)\S*/g);
    expect(outside ?? []).toEqual([]);
  });

  it('names only files and folders that exist, from the repository root', () => {
    // Every file path (with a slash and a file's extension), and every folder path in a code
    // span ending with a slash: `shared/seeds/` would be a folder of another checkout.
    const files =
      design.match(/[\w.-]+(?:\/[\w.-]+)+\.(?:ts|js|mjs|md|ya?ml|json|toml|service|png)\b/g) ?? [];
    const folders = [...design.matchAll(/`([\w.-]+(?:\/[\w.-]+)*\/)`/g)].map((m) => m[1]!);
    const missing = [...files, ...folders].filter((path) => !existsSync(join(ROOT, path)));
    expect(missing).toEqual([]);
  });
});

describe('the pointers to the docs from the code, the CLI and the deploy files', () => {
  /** Every text file under `dir`, recursively. */
  function files(dir: string): string[] {
    return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? files(`${dir}/${entry.name}`) : [`${dir}/${entry.name}`],
    );
  }
  const sources = [...files('src'), ...files('deploy'), ...files('bin'), '.env.example', '.ci/run'].filter(
    (path) => !path.endsWith('.json'),
  );

  it('name docs that exist, and sections of them that exist', () => {
    const wrong: string[] = [];
    for (const path of sources) {
      const text = read(path);
      // `docs/x.md`, `README.md`, optionally followed by a quoted section: `, "Health"` or ` ("Health")`.
      for (const m of text.matchAll(/\b(docs\/[\w-]+\.md|README\.md)(?:,? \(?"([^"\n]+)"\)?)?/g)) {
        const [, doc, section] = m;
        const file = join(ROOT, doc!);
        if (!existsSync(file)) wrong.push(`${path}: ${doc}: no such file`);
        else if (section !== undefined && !anchors(file).has(slug(section)))
          wrong.push(`${path}: ${doc}: no section "${section}"`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('the anchors the links are checked against', () => {
  it("are GitHub's: lower case, punctuation dropped, spaces as hyphens", () => {
    expect(slug("Follow a sync's history")).toBe('follow-a-syncs-history');
    expect(slug('Temporal Cloud, TLS and profiles')).toBe('temporal-cloud-tls-and-profiles');
    expect(slug('Scripting: `--json`')).toBe('scripting---json');
    expect(slug('Operations: health, metrics')).toBe('operations-health-metrics');
  });
});
