import { EXIT } from '../../src/client/errors';
import { startSync } from '../../src/temporal/sync-start';
import { formatCampaigns } from '../../src/client/campaign-list';
import { formatSyncHistory, syncHistory } from '../../src/client/sync-history';
import { useIntegrationStack } from '../helpers/integration';
import { albums, uniqueCampaign } from '../helpers/stack';
import { withWorker } from '../helpers/temporal';

// A campaign's past syncs, from Temporal's visibility and each sync's result: a completed one, one
// that continued as new (one sync of several runs), one that failed, newest first.

const { temporal, stack, cli } = useIntegrationStack({ customers: 300 });

/** Waits until visibility lists `count` sync runs of the campaign (it lags a little). */
async function visible(campaign: string, count: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    let n = 0;
    for await (const _ of temporal.client.workflow.list({
      query: `WorkflowId = 'campaign-sync-${campaign}' AND WorkflowType = 'campaignSync'`,
    }))
      n++;
    if (n >= count) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`visibility never listed ${count} runs of ${campaign}`);
}

describe('sync history', () => {
  it('lists each sync once, newest first, with its trigger, result, counts and duration', async () => {
    const campaign = uniqueCampaign();
    const product = albums(stack.dataset)[0]!;
    const { first, continued, failed } = await withWorker(temporal, stack.activities, async (tq) => {
      // A campaign create holds the campaign's lock under the same workflow ID: it is no sync.
      const created = await cli(['campaign', 'create', campaign, '--custom'], tq);
      expect(created.code).toBe(EXIT.ok);
      const first = await (
        await startSync(temporal.client, tq, { campaign, productId: product.id, trigger: 'cli' })
      ).result();
      // Small pages and history: the sync continues as new, and is still one sync.
      const handle = await startSync(temporal.client, tq, {
        campaign,
        productId: product.id,
        trigger: 'schedule:test',
        pageSize: 20,
        historyLimit: 200,
      });
      const continued = await handle.result();
      // A product that does not exist: the sync fails.
      const failing = await startSync(temporal.client, tq, { campaign, productId: 999_999, trigger: 'cli' });
      const failed = await failing.result().then(
        () => undefined,
        (err: unknown) => err,
      );
      return { first, continued, failed };
    });
    expect(failed).toBeDefined();
    expect(continued.runs).toBeGreaterThan(1);
    await visible(campaign, continued.runs + 2);

    const history = await syncHistory(temporal.client, campaign, 10);
    expect(history.map((e) => [e.status, e.trigger, e.runs])).toEqual([
      ['FAILED', 'cli', 1],
      ['COMPLETED', 'schedule:test', continued.runs],
      ['COMPLETED', 'cli', 1],
    ]);
    expect(history[0]!.failure).toMatch(/was not found/);
    expect(history[1]!.summary).toMatchObject({ fetched: continued.fetched, unchanged: continued.unchanged });
    expect(history[2]!.summary).toMatchObject({ fetched: first.fetched, created: first.created });
    for (const e of history) expect(e.durationMs).toBeGreaterThan(0);
    // Without results (as `campaign list` asks for each campaign's last sync): the runs alone.
    const [latest] = await syncHistory(temporal.client, campaign, 1, { results: false });
    expect(latest).toMatchObject({ status: 'FAILED', trigger: 'cli', runId: history[0]!.runId });
    expect(latest!.summary).toBeUndefined();
    expect(latest!.failure).toBeUndefined();
    const listed = formatCampaigns(
      [
        {
          campaign,
          productId: product.id,
          title: 'A - B',
          groupsPresent: 8,
          groupsExpected: 8,
          purchaseField: true,
          lastSync: latest!,
        },
        {
          campaign: 'OTHER',
          productId: 7,
          title: 'C - D',
          groupsPresent: 0,
          groupsExpected: 8,
          purchaseField: false,
        },
      ],
      new Date(latest!.closedAt!.getTime() + 3 * 3_600_000),
    );
    expect(listed).toMatch(
      new RegExp(`last sync: FAILED \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d \\(3h ago\\), by cli`),
    );
    expect(listed).toContain('last sync: never');
    // --last 2: the two newest.
    expect((await syncHistory(temporal.client, campaign, 2)).map((e) => e.runId)).toEqual(
      history.slice(0, 2).map((e) => e.runId),
    );

    // The CLI: one JSON document, and exit 1 since the latest sync failed.
    const viaCli = await cli(['sync', 'history', campaign, '--last', '2', '--json'], 'unused');
    expect(viaCli.code).toBe(EXIT.failed);
    expect((JSON.parse(viaCli.out) as { runId: string }[]).map((e) => e.runId)).toEqual(
      history.slice(0, 2).map((e) => e.runId),
    );
    const refused = await cli(['sync', 'history', campaign, '--last', '0'], 'unused');
    expect(refused.code).toBe(EXIT.invalidInput);
    expect(refused.err).toContain('--last');

    const text = formatSyncHistory(campaign, history, { emphasis: (t) => `*${t}*` });
    expect(text).toContain(`Syncs of ${campaign}, newest first:`);
    expect(text).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d \(\d+[smhd] ago\) {2}\*FAILED\*/);
    expect(text).toContain(`created ${first.created}, updated ${first.updated}`);
    expect(text).toContain(`${continued.runs} runs`);
  });

  it('says so for a campaign never synced', async () => {
    const campaign = uniqueCampaign();
    const history = await syncHistory(temporal.client, campaign, 10);
    expect(history).toEqual([]);
    expect(formatSyncHistory(campaign, history)).toBe(
      `Campaign ${campaign} has no sync in Temporal's history.`,
    );
  });
});
