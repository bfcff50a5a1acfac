import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes';
import { cliTypeName, registerCommand } from '../../src/shared/search-attributes';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Every attribute the workflows set, as `name type` with the CLI's type name: the one list. */
const expected = SEARCH_ATTRIBUTES.map((key) => `${key.name} ${cliTypeName(key.type)}`).sort();

/** The `name type` of every `temporal operator search-attribute create` command in `text`. */
function registered(text: string): string[] {
  const commands = text.match(/temporal operator search-attribute create[^\n;`]*/g) ?? [];
  return commands
    .map((command) => {
      const name = /--name\s+(\S+)/.exec(command)?.[1];
      const type = /--type\s+(\S+)/.exec(command)?.[1];
      return `${name} ${type}`;
    })
    .sort();
}

describe('the search attributes to register, listed from SEARCH_ATTRIBUTES', () => {
  it("README's production steps register every one of them, with its type", () => {
    const readme = read('README.md');
    const start = readme.indexOf('### Real EDD, MailerLite and Temporal');
    expect(start).toBeGreaterThan(0);
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    // The commands to run: the section's shell blocks (the worker's message quoted there is `text`).
    const shell = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
    expect(registered(shell)).toEqual(expected);
    // In the namespace the steps above export, as the worker's message says.
    const namespace = /TEMPORAL_NAMESPACE=(\S+)/.exec(section)?.[1];
    expect(namespace).toBeDefined();
    for (const key of SEARCH_ATTRIBUTES) expect(shell).toContain(registerCommand(key, namespace!));
  });

  it("docker-compose.yml's temporal-setup service registers every one of them, with its type", () => {
    const compose = parse(read('docker-compose.yml')) as {
      services: Record<string, { command?: string | string[] }>;
    };
    const command = compose.services['temporal-setup']?.command;
    expect(command).toBeDefined();
    expect(registered([command ?? []].flat().join('\n'))).toEqual(expected);
  });

  it("names each type as the temporal CLI's --type takes it", () => {
    expect(['KEYWORD', 'TEXT', 'KEYWORD_LIST', 'DATETIME', 'BOOL'].map(cliTypeName)).toEqual([
      'Keyword',
      'Text',
      'KeywordList',
      'Datetime',
      'Bool',
    ]);
    expect(registerCommand({ name: 'SyncMode', type: 'KEYWORD' }, 'marketing', 'temporal:7233')).toBe(
      'temporal operator search-attribute create --address temporal:7233 --namespace marketing --name SyncMode --type Keyword',
    );
  });
});
