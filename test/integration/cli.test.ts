import { EventEmitter } from 'node:events';
import { runCli } from '../../src/client';
import { EXIT } from '../../src/client/errors';
import { useIntegrationStack } from '../helpers/integration';
import { uniqueTaskQueue, withWorker } from '../helpers/temporal';
import { albums, uniqueCampaign } from '../helpers/stack';

const { temporal, stack, cli } = useIntegrationStack({ customers: 300 });

describe('campaign-sync CLI', () => {
  it('prints usage for help, and exits 2 without a command or for an unknown one', async () => {
    expect((await cli(['help'])).code).toBe(EXIT.ok);
    expect((await cli([])).code).toBe(EXIT.invalidInput);
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(EXIT.invalidInput);
    expect(unknown.err).toMatch(/unknown command 'frobnicate'/);
  });

  it('exits 2 naming what to fix for a bad campaign code or option', async () => {
    const badCode = await cli(['sync', 'start', 'etb-nbl']);
    expect(badCode.code).toBe(EXIT.invalidInput);
    expect(badCode.err).toMatch(/campaign: campaign must be a code like 2024_ETB_NBL/);
    const badOption = await cli(['sync', 'start', '2024_ETB_NBL', '--page-size', 'lots']);
    expect(badOption.code).toBe(EXIT.invalidInput);
    expect(badOption.err).toMatch(
      /--page-size must be a whole number from 1 to 1000 \(digits only\), not 'lots'/,
    );
    const badMode = await cli(['sync', 'start', '2024_ETB_NBL', '--mode', 'mirror-everything']);
    expect(badMode.code).toBe(EXIT.invalidInput);
    expect(badMode.err).toMatch(/--mode must be one of upsert, update-only, mirror, not 'mirror-everything'/);
    const badEnv = await runCli(
      ['locks'],
      { TEMPORAL_ADDRESS: temporal.address, HTTP_TIMEOUT_MS: 'x' },
      { out: () => undefined, err: () => undefined },
    );
    expect(badEnv).toBe(EXIT.invalidInput);
  });

  it('lists the campaigns EDD products give, with what exists of each in MailerLite', async () => {
    const albumsInData = albums(stack.dataset);
    const first = albumsInData[0]!;
    // Two of the first campaign's eight tier groups exist already.
    for (const tier of ['GOLD', 'WOOD']) {
      const res = await fetch(`${stack.mailerlite.url}/api/groups`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${stack.mailerliteToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: `${first.campaign}_${tier}` }),
      });
      expect(res.status).toBe(201);
    }
    const listed = await withWorker(temporal, stack.activities, (tq) =>
      cli(['campaign', 'list', '--json'], tq),
    );
    expect(listed.code).toBe(EXIT.ok);
    const campaigns = JSON.parse(listed.out) as {
      campaign: string;
      productId: number;
      groupsPresent: number;
    }[];
    expect(campaigns.map((c) => c.campaign).sort()).toEqual(albumsInData.map((a) => a.campaign).sort());
    expect(campaigns.find((c) => c.campaign === first.campaign)).toMatchObject({
      productId: first.id,
      groupsPresent: 2,
      groupsExpected: 8,
      purchaseField: false,
    });
    const text = await withWorker(temporal, stack.activities, (tq) => cli(['campaign', 'list'], tq));
    expect(text.out).toMatch(
      new RegExp(`${first.campaign}\\s+product ${first.id}\\s+groups 2/8\\s+purchase field no`),
    );
  });

  it('starts a sync, waits with progress, prints the summary and the UI link; status shows it', async () => {
    const campaign = uniqueCampaign();
    const productId = albums(stack.dataset)[0]!.id;
    const run = await withWorker(temporal, stack.activities, (tq) =>
      cli(['sync', 'start', campaign, '--product-id', String(productId), '--wait'], tq),
    );
    expect(run.err).toBe('');
    expect(run.code).toBe(EXIT.ok);
    expect(run.out).toMatch(new RegExp(`Campaign ${campaign} \\(EDD product ${productId}\\): completed`));
    expect(run.out).toMatch(
      /Temporal UI: http:\/\/localhost:\d+\/namespaces\/default\/workflows\/campaign-sync-2099_T\w+\/[\w-]+\/history/,
    );
    expect(run.out).toMatch(/created\s+[1-9]\d*/);

    const status = await cli(['sync', 'status', campaign]);
    expect(status.code).toBe(EXIT.ok);
    expect(status.out).toMatch(new RegExp(`Campaign ${campaign}: COMPLETED`));
    const json = await cli(['sync', 'status', campaign, '--json']);
    expect(JSON.parse(json.out)).toMatchObject({
      status: 'COMPLETED',
      summary: { campaign, status: 'completed' },
    });

    // Nothing waits for a decision: said so, naming the sync's state (not "no sync was found").
    const approve = await cli(['sync', 'approve', campaign]);
    expect(approve.code).toBe(EXIT.failed);
    expect(approve.err).toBe(
      `Not done: Campaign ${campaign}: no sync is waiting for a decision on removals; its latest sync is COMPLETED ` +
        `('campaign-sync sync status ${campaign}' shows it).`,
    );
  });

  it('--json: stdout holds one JSON document for a start without --wait, a refusal, a cancel and a not-found', async () => {
    const campaign = uniqueCampaign();
    const productId = String(albums(stack.dataset)[0]!.id);
    const queue = uniqueTaskQueue(); // nobody polls it: the run stays open
    const first = await cli(['sync', 'start', campaign, '--product-id', productId, '--json'], queue);
    expect(first.code).toBe(EXIT.ok);
    const started = JSON.parse(first.out) as { workflowId: string; runId: string; url: string };
    expect(started).toMatchObject({ campaign, workflowId: `campaign-sync-${campaign}` });
    expect(started.runId).toMatch(/^[\w-]{36}$/);
    // The human lines (and the warning that no worker polls the queue) went to stderr.
    expect(first.err).toMatch(new RegExp(`Started sync of ${campaign}: workflow campaign-sync-${campaign}`));

    const second = await cli(['sync', 'start', campaign, '--product-id', productId, '--json'], queue);
    expect(second.code).toBe(EXIT.locked);
    expect(JSON.parse(second.out)).toMatchObject({
      error: {
        message: expect.stringMatching(/is already syncing/) as unknown,
        exitCode: 3,
        meaning: 'refused',
      },
    });

    const report = await cli(['sync', 'report', campaign, '--run', started.runId, '--json'], queue);
    expect(report.code).toBe(EXIT.ok);
    expect(JSON.parse(report.out)).toMatchObject({ campaign });

    const cancel = await cli(['sync', 'cancel', campaign, '--force', '--json'], queue);
    expect(cancel.code).toBe(EXIT.ok);
    expect(JSON.parse(cancel.out)).toMatchObject({ campaign, outcome: 'terminated', runId: started.runId });

    // transition run without --wait: the run it started, as JSON.
    const destination = uniqueCampaign();
    const transition = await cli(['transition', 'run', campaign, destination, '--dry-run', '--json'], queue);
    expect(transition.code).toBe(EXIT.ok);
    const moved = JSON.parse(transition.out) as { workflowId: string; runId: string };
    expect(moved).toMatchObject({ source: campaign, destination, dryRun: true });
    expect(transition.err).toMatch(/^Started transition /);
    await temporal.client.workflow.getHandle(moved.workflowId, moved.runId).terminate('test cleanup');

    const missing = await cli(['sync', 'status', '2099_NEVER_SYNCED', '--json']);
    expect(missing.code).toBe(EXIT.notFound);
    expect(JSON.parse(missing.out)).toMatchObject({ error: { exitCode: 4, meaning: 'not found' } });
  });

  it('Ctrl-C during --wait stops waiting, says the run goes on and how to follow or cancel it', async () => {
    const campaign = uniqueCampaign();
    const productId = String(albums(stack.dataset)[0]!.id);
    const queue = uniqueTaskQueue(); // nobody polls it: the run waits
    const interrupts = new EventEmitter();
    const err: string[] = [];
    const code = await runCli(
      ['sync', 'start', campaign, '--product-id', productId, '--wait', '--progress-interval', '1s'],
      { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: queue },
      {
        out: (l) => {
          if (l.startsWith('Temporal UI:')) setTimeout(() => interrupts.emit('SIGINT'), 300);
        },
        err: (l) => err.push(l),
      },
      interrupts,
    );
    expect(code).toBe(EXIT.interrupted);
    expect(err.at(-1)).toMatch(
      new RegExp(
        `^Stopped waiting: the sync of ${campaign} goes on \\(run [\\w-]+\\)\\. Follow it with ` +
          `'campaign-sync sync status ${campaign}'; cancel it with 'campaign-sync sync cancel ${campaign}'\\.$`,
      ),
    );
    expect(interrupts.listenerCount('SIGINT')).toBe(0);
    // It does go on: still running, holding the lock, until cancelled.
    const handle = temporal.client.workflow.getHandle(`campaign-sync-${campaign}`);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('test cleanup');
  });

  it('refuses a second start with exit 3, lists the lock, cancels it, and says 4 for unknown campaigns', async () => {
    const campaign = uniqueCampaign();
    const productId = String(albums(stack.dataset)[0]!.id);
    const queue = uniqueTaskQueue(); // nobody polls it: the run stays open
    const first = await cli(['sync', 'start', campaign, '--product-id', productId], queue);
    expect(first.code).toBe(EXIT.ok);
    const second = await cli(['sync', 'start', campaign, '--product-id', productId], queue);
    expect(second.code).toBe(EXIT.locked);
    expect(second.err).toMatch(
      new RegExp(
        `Refused: Campaign ${campaign} is already syncing: workflow campaign-sync-${campaign}, run [\\w-]+, started \\d{4}-`,
      ),
    );

    // Visibility is eventually consistent: give the lock list a few seconds to show the run.
    let locks = '';
    for (let i = 0; i < 50 && !locks.includes(campaign); i++) {
      locks = (await cli(['locks'])).out;
      if (!locks.includes(campaign)) await new Promise((r) => setTimeout(r, 200));
    }
    expect(locks).toMatch(new RegExp(`${campaign}\\s+run [\\w-]+\\s+since \\d{4}-.*by cli`));

    const cancel = await cli(['sync', 'cancel', campaign]);
    expect(cancel.code).toBe(EXIT.ok);
    // A worker on the run's queue picks it up, sees the cancellation and ends it as cancelled.
    await withWorker(
      temporal,
      stack.activities,
      () =>
        temporal.client.workflow
          .getHandle(`campaign-sync-${campaign}`)
          .result()
          .catch(() => undefined),
      queue,
    );
    const status = await cli(['sync', 'status', campaign]);
    expect(status.out).toMatch(new RegExp(`Campaign ${campaign}: CANCELLED`));
    expect((await cli(['sync', 'cancel', campaign])).code).toBe(EXIT.notFound);

    const never = await cli(['sync', 'status', '2099_NEVER_SYNCED']);
    expect(never.code).toBe(EXIT.notFound);
    expect(never.err).toBe(
      "No sync of campaign 2099_NEVER_SYNCED was found. Start one with 'campaign-sync sync start 2099_NEVER_SYNCED'.",
    );
    expect((await cli(['sync', 'cancel', '2099_NEVER_SYNCED'])).code).toBe(EXIT.notFound);

    // A typo of a campaign that has syncs names that campaign, instead of advising a sync of the typo.
    const typo = `${campaign.slice(0, -1)}${campaign.endsWith('Z') ? 'Y' : 'Z'}`;
    const meant = new RegExp(`did you mean (\\S+ or )*${campaign}( or \\S+)*\\?`);
    for (const command of [
      ['sync', 'status', typo],
      ['sync', 'cancel', typo],
      ['sync', 'report', typo],
      ['sync', 'approve', typo],
      ['sync', 'reject', typo],
    ]) {
      const r = await cli(command);
      expect({ command, code: r.code }).toEqual({ command, code: EXIT.notFound });
      expect(r.err).toMatch(new RegExp(`^No sync of campaign ${typo} was found; ${meant.source}`));
      expect(r.err).toContain("'campaign-sync campaign list' lists the campaigns and their last syncs.");
      expect(r.err).not.toContain('sync start');
    }
    const history = await cli(['sync', 'history', typo]);
    expect(history.out).toBe(`Campaign ${typo} has no sync in Temporal's history.`);
    expect(history.err).toMatch(new RegExp(`^Did you mean (\\S+ or )*${campaign}( or \\S+)*\\?$`));
  });
});
