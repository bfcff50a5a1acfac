import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ConfigError, dataConverterFor, loadConfig, loadTemporalConnection, type Config } from '../config';
import { InvalidInputError } from '../shared/errors';
import { startCodecServer } from '../codec/codec-server';
import { CampaignCreateRunningError, campaignCreateCommand } from './campaign-create';
import { formatCampaigns, listCampaigns } from './campaign-list';
import { act, CliOut, type CliContext, type Io } from './cli-context';
import { cron, integer, repeated, text } from './cli-values';
import { checkConfig, checkConnections, formatConfigCheck, formatConnectionChecks } from './config-check';
import { connectClient } from '../temporal/connection';
import { withSuggestions } from './did-you-mean';
import { EXIT } from './errors';
import { SyncAlreadyRunningError, SyncNotFoundError, TemporalUnreachableError } from '../temporal/errors';
import { formatLocks } from './format';
import { emphasisFor, plain } from './present';
import { registerHealthCommands } from './health';
import { listLocks } from './locks';
import { registerScheduleCommands } from './schedule-command';
import { ScheduleExistsError, ScheduleMissingError } from './schedules';
import { registerStatusCommand } from './status';
import { RemovalDecisionError } from './sync-approve';
import { SyncAllRunningError } from './sync-all';
import { SyncAllNotFoundError, SyncAllNotRunningError } from './sync-all-status';
import { SyncNotRunningError } from './sync-cancel';
import { registerSyncCommands } from './sync-command';
import { valueOption } from './sync-options';
import { cliIdentity, failureMessage } from './sync-status';
import { registerTransitionCommands, TransitionAlreadyRunningError } from './transition';
import { runUrl, uiBaseUrl } from '../temporal/ui-link';

const defaultIo: Io = {
  out: (l) => console.log(l),
  err: (l) => console.error(l),
  isTTY: process.stdout.isTTY,
};

/** The package's version, from package.json (two folders up from src/client, three from dist/src/client). */
function packageVersion(): string {
  for (let dir = __dirname, i = 0; i < 5; dir = dirname(dir), i++) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'campaign-sync' && pkg.version) return pkg.version;
  }
  return 'unknown';
}

const ROOT_HELP = `
Environment: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE (default),
TEMPORAL_TASK_QUEUE (campaign-sync), TEMPORAL_UI_URL. Every setting: docs/configuration.md;
every command: docs/cli.md.

Every command takes --json: stdout then holds exactly one JSON document (errors too, as
{"error": {"message", "exitCode", "meaning"}}) and every other line goes to stderr.

Exit codes: 0 success, 1 failure, 2 invalid input, 3 refused (campaign locked, schedule exists,
scheduled run skipped), 4 not found, 130 Ctrl-C ended a --wait (the run goes on).`;

/**
 * The CLI's command tree. Built anew for each command line: the value parsers refuse a flag given
 * twice by remembering it, and the actions report through `ctx`.
 */
export function buildProgram(ctx: CliContext): Command {
  const { out } = ctx;
  const program = new Command('campaign-sync')
    .description("keeps a store's customers (EDD) and MailerLite in step, campaign by campaign, on Temporal")
    .version(packageVersion(), '-V, --version', 'print the version')
    .addHelpText('after', ROOT_HELP)
    // A command's options come after its name (`health --last 5`, `health run --json`), not its parent's.
    .enablePositionalOptions();

  registerSyncCommands(program, ctx);
  registerTransitionCommands(program, ctx);

  program
    .command('locks')
    .description(
      'campaign locks held now: holder (cli, schedule:..., sync-all:..., transition:..., create:...), start, ' +
        'progress, latest release time',
    )
    .option('--json', 'print them as JSON')
    .action(
      act(ctx, async () => {
        const locks = await listLocks(await ctx.connect());
        out.result(locks, formatLocks(locks));
        return EXIT.ok;
      }),
    );

  registerScheduleCommands(program, ctx);

  const campaign = program
    .command('campaign')
    .description("campaigns: list them, create one's MailerLite groups");
  campaign
    .command('create')
    .description(
      "create a campaign's MailerLite tier groups and purchase field (those missing; a second run creates nothing), " +
        'and with --every/--cron a sync schedule. If a step fails, what this run created is deleted again',
    )
    .argument('<campaign>', 'campaign code, e.g. 2024_ETB_NBL')
    .option('--custom', 'a campaign without an EDD product')
    .addOption(
      valueOption(
        '--every <interval>',
        'also a sync schedule at this interval, e.g. 1h',
        text('--every', 50),
      ),
    )
    .addOption(
      valueOption('--cron <expression>', 'also a sync schedule at these times (UTC)', cron('--cron')),
    )
    .option('--dry-run', 'list what it would create')
    .option('--json', 'print the result as JSON')
    .action(
      act(ctx, (code: string, opts: { custom?: boolean; every?: string; cron?: string; dryRun?: boolean }) =>
        campaignCreateCommand(code, opts, ctx),
      ),
    );
  campaign
    .command('list')
    .description(
      "campaigns EDD's album products give (YEAR_ARTIST_ALBUM), and whether their MailerLite groups and " +
        'purchase field exist',
    )
    .option('--json', 'print them as JSON')
    .action(
      act(ctx, async () => {
        const campaigns = await listCampaigns(await ctx.connect(), ctx.taskQueue());
        out.result(campaigns, formatCampaigns(campaigns, new Date(), ctx.emphasis));
        return EXIT.ok;
      }),
    );

  program
    .command('config')
    .description('the configuration')
    .command('check')
    .description(
      'the effective configuration (secrets masked), every invalid variable named; exit 2 when invalid',
    )
    .option('--json', 'print it as JSON')
    .option(
      '--connect',
      'also connect to Temporal (and check its search attributes), EDD and MailerLite as the worker would; exit 1 when one fails',
    )
    .action(
      act(ctx, async (opts: { connect?: boolean }) => {
        const check = checkConfig(ctx.env);
        const connections = check.ok && opts.connect ? await checkConnections(ctx.env) : undefined;
        const text = [
          formatConfigCheck(check),
          ...(connections
            ? ['', formatConnectionChecks(connections)]
            : opts.connect
              ? ['', 'Connections not tried: fix the configuration first.']
              : []),
        ].join('\n');
        out.result({ ...check, ...(connections ? { connections } : {}) }, text);
        if (!check.ok) return EXIT.invalidInput;
        return connections?.some((c) => !c.ok) ? EXIT.failed : EXIT.ok;
      }),
    );

  program
    .command('codec-server')
    .description(
      'serve /encode and /decode for the Temporal UI when payload encryption is on (PAYLOAD_ENCRYPTION_KEYS); ' +
        'runs until interrupted',
    )
    .addOption(valueOption('--port <n>', 'port, 1 to 65535 (default: 8888)', integer('--port', 1, 65_535)))
    .addOption(
      new Option(
        '--origin <url>',
        'UI origin allowed to call it (repeatable; default: the UI URL)',
      ).argParser(repeated(text('--origin', 500))),
    )
    .option('--json', 'print where it listens as JSON')
    .action(act(ctx, (opts: { port?: number; origin?: string[] }) => codecServer(opts, ctx)));

  registerStatusCommand(program, ctx);
  registerHealthCommands(program, ctx);
  return program;
}

async function codecServer(opts: { port?: number; origin?: string[] }, ctx: CliContext): Promise<number> {
  const config = ctx.config();
  const converter = dataConverterFor(config);
  if (!converter?.payloadCodecs?.[0])
    throw new InvalidInputError('codec-server needs PAYLOAD_ENCRYPTION_KEYS (the same keys as the worker)');
  const origins = opts.origin ?? [uiBaseUrl(address(config), config.TEMPORAL_UI_URL)];
  const server = await startCodecServer({
    codec: converter.payloadCodecs[0],
    origins,
    port: opts.port ?? 8888,
    ...(config.CODEC_SERVER_TOKEN ? { token: config.CODEC_SERVER_TOKEN } : {}),
  });
  ctx.out.out(
    `Codec server on ${server.url} for ${origins.join(', ')}; start the UI with --ui-codec-endpoint ${server.url}`,
  );
  ctx.out.result({ url: server.url, origins });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return EXIT.ok;
}

function address(config: Config): string {
  return config.TEMPORAL_ADDRESS ?? 'localhost:7233';
}

/** `--json` on the command line (before a `--`), known before parsing so parse errors are JSON too. */
function jsonRequested(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** The command the words of `argv` name (`sync start`), for "see `campaign-sync sync start --help`". */
function commandPath(program: Command, argv: string[]): string {
  const names = [program.name()];
  let cmd = program;
  for (const word of argv) {
    if (word.startsWith('-')) continue;
    const sub = cmd.commands.find((c) => c.name() === word);
    if (!sub) break;
    names.push(word);
    cmd = sub;
  }
  return names.join(' ');
}

/** The subcommands of the command `path` names (`campaign-sync sync`). */
function subcommandNames(program: Command, path: string): string[] {
  let cmd: Command | undefined = program;
  for (const word of path.split(' ').slice(1)) cmd = cmd?.commands.find((c) => c.name() === word);
  return (cmd?.commands ?? []).map((c) => c.name()).filter((n) => n !== 'help');
}

/** Every command of the tree, depth first. */
export function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(allCommands)];
}

/** Runs one CLI command; returns the process exit code. */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  io: Io = defaultIo,
  /** Where Ctrl-C is heard (default: the process's SIGINT). */
  interrupts: CliContext['interrupts'] = process,
): Promise<number> {
  const out = new CliOut(io, jsonRequested(argv));
  let client: Client | undefined;
  let config: Config | undefined;
  const ctx: CliContext = {
    out,
    argv,
    env,
    user: env.USER,
    emphasis: out.json ? plain : emphasisFor(io.isTTY, env),
    code: EXIT.ok,
    interrupts,
    config: () => (config ??= loadConfig(env)),
    taskQueue: () => ctx.config().TEMPORAL_TASK_QUEUE,
    connect: async () => {
      const c = ctx.config();
      const connection = loadTemporalConnection(env);
      client ??= await connectClient({
        connection,
        dataConverter: dataConverterFor(c),
        identity: cliIdentity(env.USER),
      }).catch((err: unknown) => {
        throw new TemporalUnreachableError(connection.address, connection.settings.defaultAddress === true, {
          cause: err,
        });
      });
      return client;
    },
    runLink: (workflowId, runId) => {
      const c = ctx.config();
      return runUrl(uiBaseUrl(address(c), c.TEMPORAL_UI_URL), c.TEMPORAL_NAMESPACE, workflowId, runId);
    },
  };
  const program = buildProgram(ctx);
  for (const cmd of allCommands(program)) {
    cmd.exitOverride().configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      // Only the help commander prints after an error: the error is one line and names where the help is.
      writeErr: () => undefined,
      // Printed by reportError, as one line with where to find the help.
      outputError: () => undefined,
    });
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    out.finish(ctx.code);
    return ctx.code;
  } catch (err) {
    // A campaign not found that looks like a typo of a known one: name that one.
    return reportError(await withSuggestions(err, client), out, program, commandPath(program, argv));
  } finally {
    await client?.connection.close();
  }
}

type ErrorType = abstract new (...args: never[]) => Error;
const isOneOf = (err: unknown, types: ErrorType[]): err is Error => types.some((type) => err instanceof type);

/** Refusals because something holds what was asked for (exit 3). */
const REFUSED: ErrorType[] = [
  SyncAlreadyRunningError,
  ScheduleExistsError,
  SyncAllRunningError,
  TransitionAlreadyRunningError,
  CampaignCreateRunningError,
];
/** What was named does not exist, or is not running (exit 4). */
const NOT_FOUND: ErrorType[] = [
  SyncNotFoundError,
  SyncNotRunningError,
  SyncAllNotFoundError,
  SyncAllNotRunningError,
  ScheduleMissingError,
];

/** Prints what went wrong (one line, and for invalid input where the help is) and maps it to an exit code. */
export function reportError(err: unknown, out: CliOut, program: Command, command = 'campaign-sync'): number {
  const fail = (code: number, message: string, line = message): number => {
    out.err(line);
    if (code === EXIT.invalidInput) out.err(`See '${command} --help'.`);
    out.finish(code, message);
    return code;
  };
  if (err instanceof CommanderError) {
    // --help, --version and `help` print and end well; `campaign-sync sync` alone prints its help as an error.
    if (err.exitCode === 0) {
      out.finish(EXIT.ok);
      return EXIT.ok;
    }
    if (err.code === 'commander.help') {
      const message = `'${command}' needs a command: ${subcommandNames(program, command).join(', ')}`;
      return fail(EXIT.invalidInput, message, `Error: ${message}`);
    }
    const message = err.message.replace(/^error: /, '');
    return fail(EXIT.invalidInput, message, `Error: ${message}`);
  }
  if (err instanceof InvalidInputError || err instanceof ConfigError)
    return fail(EXIT.invalidInput, err.message, `Error: ${err.message}`);
  if (isOneOf(err, REFUSED)) return fail(EXIT.locked, err.message, `Refused: ${err.message}`);
  if (isOneOf(err, NOT_FOUND)) return fail(EXIT.notFound, err.message);
  if (err instanceof RemovalDecisionError) return fail(EXIT.failed, err.message, `Not done: ${err.message}`);
  if (err instanceof WorkflowFailedError) {
    const message = failureMessage(err);
    return fail(EXIT.failed, message, `Sync failed: ${message}`);
  }
  const message = err instanceof Error ? err.message : String(err);
  return fail(EXIT.failed, message, `Error: ${message}`);
}
