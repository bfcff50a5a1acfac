import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CommanderError, type Command } from 'commander';
import { allCommands, buildProgram } from '../../src/client/cli';
import { CliOut, type CliContext } from '../../src/client/cli-context';

/**
 * Every command the code advises a person to type (`'campaign-sync sync cancel ${campaign} --force'`
 * in a message, `campaign-sync sync start ${n.campaign} --wait` in a notification's commands)
 * is collected from the source and parsed by the real command tree: each subcommand, flag and
 * argument it names must exist and take the value shown.
 */

const ROOT = join(__dirname, '../..');
const SAMPLE_CAMPAIGN = '2024_ETB_NBL';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Text that starts with `campaign-sync ` but is a name or a note, not a command to type. */
const NOT_ADVICE = [
  /^campaign-sync health check \(installed by/, // the health schedule's note
  /^campaign-sync health: stuck/, // a termination reason
  /^campaign-sync is /, // an alert's title
  /^campaign-sync status at /, // status's heading
  /^campaign-sync CLI /, // the CLI's identity in Temporal
];

interface Advice {
  file: string;
  line: number;
  /** As written, holes (`${campaign}`) and all. */
  text: string;
}

/**
 * The advice in the source: from `campaign-sync ` to the quote or backtick that closes it, holes
 * (`${...}`, which may hold quotes themselves) skipped whole. Comment lines are not messages.
 */
function collectAdvice(): Advice[] {
  const found: Advice[] = [];
  for (const file of sourceFiles(join(ROOT, 'src'))) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (/^\s*(\/\/|\/?\*)/.test(line)) return;
      for (let at = line.indexOf('campaign-sync '); at !== -1; at = line.indexOf('campaign-sync ', at + 1)) {
        const before = line[at - 1];
        if (before !== "'" && before !== '`' && before !== '"') continue;
        let end = at;
        while (end < line.length && !["'", '`', '"'].includes(line[end]!)) {
          if (line.startsWith('${', end)) {
            end += 2;
            for (let depth = 1; depth > 0 && end < line.length; end++) {
              if (line[end] === '{') depth++;
              if (line[end] === '}') depth--;
            }
          } else end++;
        }
        const text = line.slice(at, end);
        if (!NOT_ADVICE.some((re) => re.test(text)))
          found.push({ file: relative(ROOT, file), line: i + 1, text });
      }
    });
  }
  return found;
}

/** Each way the holes of an advice can be filled (a campaign code, a count, a schedule's kind flag). */
function fillings(text: string): string[] {
  let variants = [text];
  for (const hole of text.match(/\$\{[^}]*(\{[^}]*\}[^}]*)*\}/g) ?? []) {
    let values: string[];
    // A schedule's arguments (`scheduleArgs`): a campaign's own, its incremental one, or all campaigns'.
    if (/scheduleArgs|names/.test(hole))
      values = [SAMPLE_CAMPAIGN, `${SAMPLE_CAMPAIGN} --incremental`, '--all-campaigns'];
    else if (/kind/i.test(hole)) values = ['', ' --incremental'];
    else if (/campaign/i.test(hole)) values = [SAMPLE_CAMPAIGN];
    else if (/toRemove|length|count|pending/i.test(hole)) values = ['3'];
    // `sync all` again for the campaigns skipped (its output is checked in sync-all.test.ts).
    else if (/retryArgs/.test(hole)) values = [`sync all --campaign ${SAMPLE_CAMPAIGN}=7 --wait`];
    else throw new Error(`No sample value for ${hole} in: ${text} (add a rule to fillings())`);
    variants = variants.flatMap((v) => values.map((value) => v.replace(hole, value)));
  }
  // Placeholders a person replaces.
  return variants.map((v) => v.replace(/<campaign>/g, SAMPLE_CAMPAIGN).replace(/<interval>/g, '1h'));
}

/** The real command tree, every action replaced by nothing: parsing alone is checked. */
function parser(): Command {
  const unused = () => {
    throw new Error('not in this test');
  };
  const ctx: CliContext = {
    out: new CliOut({ out: () => undefined, err: () => undefined }, false),
    argv: [],
    env: {},
    user: undefined,
    emphasis: (t) => t,
    code: 0,
    interrupts: process,
    config: unused,
    taskQueue: unused,
    connect: unused,
    runLink: unused,
  };
  const program = buildProgram(ctx);
  for (const cmd of allCommands(program)) {
    cmd.exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    // A command with subcommands but no action of its own prints its help: keep that an error.
    if (cmd.commands.length === 0 || (cmd as unknown as { _actionHandler?: unknown })._actionHandler)
      cmd.action(() => undefined);
  }
  return program;
}

/** Why `words` does not parse, or undefined when it does. */
async function refusal(words: string[]): Promise<string | undefined> {
  try {
    await parser().parseAsync(words, { from: 'user' });
    return undefined;
  } catch (err) {
    // --help and --version end parsing well.
    if (err instanceof CommanderError && err.exitCode === 0) return undefined;
    return err instanceof Error ? err.message : String(err);
  }
}

/** Splits a command line as a shell would (single and double quotes). */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

describe('advice names commands and flags that exist', () => {
  const advice = collectAdvice();

  it('finds the advice in the source (the collector works)', () => {
    const texts = advice.map((a) => a.text);
    expect(texts).toContain('campaign-sync sync cancel ${campaign} --force');
    expect(texts).toContain('campaign-sync sync approve ${n.campaign} --count ${r.pending}');
    expect(texts).toContain('campaign-sync sync all status');
    expect(advice.length).toBeGreaterThan(30);
  });

  it('the check refuses a flag or a subcommand that does not exist, and a bad value', async () => {
    expect(await refusal(['sync', 'status', SAMPLE_CAMPAIGN])).toBeUndefined();
    expect(await refusal(['sync', 'status', SAMPLE_CAMPAIGN, '--force'])).toMatch(/unknown option '--force'/);
    expect(await refusal(['sync', 'restart', SAMPLE_CAMPAIGN])).toMatch(/unknown command|too many arguments/);
    expect(await refusal(['sync', 'approve', SAMPLE_CAMPAIGN, '--count', 'x'])).toMatch(/--count must be/);
    expect(await refusal(['schedule'])).toBeDefined();
  });

  it('every advised command parses with the real CLI', async () => {
    const failures: string[] = [];
    for (const a of advice) {
      for (const filled of fillings(a.text)) {
        const words = shellWords(filled).slice(1);
        const why = await refusal(words);
        if (why) failures.push(`${a.file}:${a.line}: '${filled}': ${why}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
