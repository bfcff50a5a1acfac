import { WorkflowFailedError } from '@temporalio/client';
import type { SyncWebhookPayload } from '../../src/activities';
import { EXIT } from '../../src/client/errors';
import { startSync } from '../../src/temporal/sync-start';
import { failureMessage, syncStatus } from '../../src/client/sync-status';
import { readRunHistory } from '../../src/client/sync-report';
import { syncWorkflowId } from '../../src/shared/names';
import { albums, setFaults, startStack, uniqueCampaign, type Stack } from '../helpers/stack';
import { withWorker } from '../helpers/temporal';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';
import { useIntegrationStack } from '../helpers/integration';
import { freePort as closedPort } from '../helpers/ports';

const { temporal, cli } = useIntegrationStack({ stack: false, cliEnv: { USER: 'ops' } });
let webhook: WebhookReceiver<SyncWebhookPayload>;

beforeAll(async () => {
  webhook = await startWebhookReceiver<SyncWebhookPayload>();
});
afterAll(async () => {
  await webhook.close();
});

async function withStack<T>(
  opts: Parameters<typeof startStack>[0],
  fn: (s: Stack) => Promise<T>,
): Promise<T> {
  const stack = await startStack({
    customers: 300,
    ...opts,
    env: { HEALTH_WEBHOOK_URL: webhook.url, ...opts?.env },
  });
  try {
    return await fn(stack);
  } finally {
    await stack.close();
  }
}

/** The activity types a run scheduled, in order. */
async function scheduledActivities(workflowId: string, runId: string): Promise<string[]> {
  return (await readRunHistory(temporal.client, workflowId, runId))
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((n): n is string => n !== undefined && n !== null);
}

describe('a provider the worker cannot use fails the sync at once, naming the setting to fix, and a person hears of it', () => {
  it('an unreachable EDD: no page is read, the failure names EDD, its URL, the worker and EDD_BASE_URL', async () => {
    const eddBaseUrl = `http://127.0.0.1:${await closedPort()}`;
    await withStack({ eddBaseUrl }, async (stack) => {
      const campaign = uniqueCampaign();
      await withWorker(temporal, stack.activities, async (tq) => {
        const started = Date.now();
        const handle = await startSync(temporal.client, tq, {
          campaign,
          productId: albums(stack.dataset)[0]!.id,
        });
        const err: unknown = await handle.result().catch((e: unknown) => e);
        const elapsed = Date.now() - started;
        expect(err).toBeInstanceOf(WorkflowFailedError);
        const message = failureMessage(err);
        expect(message).toMatch(
          new RegExp(
            `^EDD at ${eddBaseUrl.replace(/[.]/g, '\\.')} could not be reached from worker \\d+@\\S+ \\(.*ECONNREFUSED.*\\)\\. ` +
              `Check EDD_BASE_URL in the worker's environment`,
          ),
        );
        // Three quick attempts of the check, not the sync's ten over four minutes.
        expect(elapsed).toBeLessThan(60_000);
        const activities = await scheduledActivities(handle.workflowId, handle.firstExecutionRunId);
        expect(activities.filter((a) => a === 'checkEddConnection')).toHaveLength(1);
        expect(activities).not.toContain('resolveCampaign');
        expect(activities).not.toContain('fetchPurchasersPage');

        // One notification, with the reason and what to type.
        const sent = await webhook.waitFor((b) => b.campaign === campaign, `for ${campaign}`);
        expect(sent).toMatchObject({
          source: 'campaign-sync',
          kind: 'sync-failed',
          campaign,
          workflowId: syncWorkflowId(campaign),
          runId: handle.firstExecutionRunId,
          trigger: 'manual',
          pages: 0,
          commands: [`campaign-sync sync status ${campaign}`, `campaign-sync sync report ${campaign}`],
        });
        expect(sent.message).toContain(`Sync of ${campaign} failed after 0 pages`);
        expect(sent.message).toContain('EDD_BASE_URL');
        expect(sent.link).toMatch(
          new RegExp(`/workflows/${syncWorkflowId(campaign)}/${handle.firstExecutionRunId}/history$`),
        );
        expect(webhook.received.filter((b) => b.campaign === campaign)).toHaveLength(1);
      });
    });
  });

  it('a wrong MailerLite token: the failure names MailerLite, the worker and MAILERLITE_API_TOKEN', async () => {
    await withStack({ mailerliteToken: 'not-the-token' }, async (stack) => {
      const campaign = uniqueCampaign();
      await withWorker(temporal, stack.activities, async (tq) => {
        const run = await cli(
          ['sync', 'start', campaign, '--product-id', String(albums(stack.dataset)[0]!.id), '--wait'],
          tq,
        );
        expect(run.code).toBe(EXIT.failed);
        expect(run.err).toMatch(
          new RegExp(
            `Sync failed: MailerLite at ${stack.mailerlite.url}/api refused the credentials of worker \\d+@\\S+ ` +
              `\\(mailerlite GET /groups: HTTP 401 Unauthenticated\\.\\)\\. Set MAILERLITE_API_TOKEN to a valid API token`,
          ),
        );
        const sent = await webhook.waitFor((b) => b.campaign === campaign, `for ${campaign}`);
        expect(sent).toMatchObject({ kind: 'sync-failed', trigger: 'cli' });
        expect(sent.message).toContain('MAILERLITE_API_TOKEN');
      });
    });
  });
  it('a sync all whose connection check fails: every campaign it would have synced is notified and counted failed', async () => {
    await withStack({ mailerliteToken: 'not-the-token' }, async (stack) => {
      const [a, b] = [uniqueCampaign(), uniqueCampaign()];
      const [first, second] = albums(stack.dataset);
      await withWorker(temporal, stack.activities, async (tq) => {
        const run = await cli(
          ['sync', 'all', '--campaign', `${a}=${first!.id}`, '--campaign', `${b}=${second!.id}`, '--wait'],
          tq,
        );
        expect(run.code).toBe(EXIT.failed);
        expect(run.err).toContain('MAILERLITE_API_TOKEN');
        for (const campaign of [a, b]) {
          const sent = await webhook.waitFor((n) => n.campaign === campaign, `for ${campaign}`);
          expect(sent).toMatchObject({ kind: 'sync-failed', pages: 0 });
          expect(sent.trigger).toMatch(/^sync-all:/);
          expect(sent.message).toMatch(
            new RegExp(
              `^Sync of ${campaign} by sync all failed before it started \\(no page read, nothing written\\): MailerLite at .*MAILERLITE_API_TOKEN`,
            ),
          );
          expect(webhook.received.filter((n) => n.campaign === campaign)).toHaveLength(1);
        }
        // The failed-runs series behind CampaignSyncFailing counts each campaign once.
        const failed = (
          await stack.metrics.registry.getSingleMetric('campaign_sync_runs_total')!.get()
        ).values.filter((v) => v.labels.status === 'failed' && [a, b].includes(String(v.labels.campaign)));
        expect(failed.map((v) => v.value)).toEqual([1, 1]);
      });
    });
  });
  it('an unreachable MailerLite: the group look-up is the check, and fails at once naming MAILERLITE_BASE_URL', async () => {
    const mailerliteBaseUrl = `http://127.0.0.1:${await closedPort()}/api`;
    await withStack({ mailerliteBaseUrl }, async (stack) => {
      const campaign = uniqueCampaign();
      await withWorker(temporal, stack.activities, async (tq) => {
        const started = Date.now();
        const handle = await startSync(temporal.client, tq, {
          campaign,
          productId: albums(stack.dataset)[0]!.id,
        });
        const err: unknown = await handle.result().catch((e: unknown) => e);
        expect(failureMessage(err)).toMatch(
          new RegExp(
            `^MailerLite at ${mailerliteBaseUrl.replace(/[.]/g, '\\.')} could not be reached from worker \\d+@\\S+ ` +
              `\\(.*ECONNREFUSED.*\\)\\. Check MAILERLITE_BASE_URL in the worker's environment`,
          ),
        );
        // Three quick attempts of the look-up, as of a check: not the sync's ten over four minutes.
        expect(Date.now() - started).toBeLessThan(60_000);
        const activities = await scheduledActivities(handle.workflowId, handle.firstExecutionRunId);
        expect(activities).not.toContain('checkMailerLiteConnection');
        expect(activities.filter((a) => a === 'ensureCampaignResources')).toHaveLength(1);
        expect(activities).not.toContain('fetchPurchasersPage');
      });
    });
  });
});

describe('a passing error is not mistaken for a wrong setting', () => {
  it('EDD answering 503 to the connection check for a while: the check is retried and the sync completes', async () => {
    await withStack({}, async (stack) => {
      const campaign = uniqueCampaign();
      await withWorker(temporal, stack.activities, async (tq) => {
        // Nine answers: three attempts of the check, each trying its read three times in place.
        await setFaults(stack.edd, {
          routeFaults: [{ method: 'GET', path: '/edd-api/v2/customers', status: 503, times: 9 }],
        });
        const handle = await startSync(temporal.client, tq, {
          campaign,
          productId: albums(stack.dataset)[0]!.id,
        });
        await expect(handle.result()).resolves.toMatchObject({ status: 'completed' });
        const activities = await scheduledActivities(handle.workflowId, handle.firstExecutionRunId);
        expect(activities).toContain('fetchPurchasersPage');
        const history = await readRunHistory(temporal.client, handle.workflowId, handle.firstExecutionRunId);
        const attempts = history.find(
          (e) => e.activityTaskStartedEventAttributes && e.activityTaskStartedEventAttributes.attempt! > 3,
        );
        expect(attempts).toBeDefined();
      });
    });
  });
});

describe('a sync that retries shows it', () => {
  it('sync status names the retrying activity, its attempt and its last error; the run then completes', async () => {
    await withStack({}, async (stack) => {
      const campaign = uniqueCampaign();
      await withWorker(temporal, stack.activities, async (tq) => {
        await setFaults(stack.edd, {
          routeFaults: [
            { method: 'GET', path: '/edd-api/v2/sales', status: 503, message: 'Store under maintenance' },
          ],
        });
        const handle = await startSync(temporal.client, tq, {
          campaign,
          productId: albums(stack.dataset)[0]!.id,
        });
        let shown = '';
        for (let i = 0; i < 100 && !/attempt [2-9]/.test(shown); i++) {
          await new Promise((r) => setTimeout(r, 200));
          shown = (await cli(['sync', 'status', campaign], tq)).out;
        }
        expect(shown).toMatch(
          /activity {3}fetchPurchasersPage: attempt [2-9] of 10(, next attempt in \d+s|, running); last error \(ProviderTransientError\): edd GET \/sales: HTTP 503/,
        );
        const status = await syncStatus(temporal.client, campaign);
        expect(status.activities?.[0]).toMatchObject({
          type: 'fetchPurchasersPage',
          maximumAttempts: 10,
          lastFailure: { type: 'ProviderTransientError' },
        });
        await fetch(`${stack.edd.url}/_admin/faults`, { method: 'DELETE' });
        await expect(handle.result()).resolves.toMatchObject({ status: 'completed' });
      });
    });
  });
});

describe('sync start --wait', () => {
  it('returns as soon as the run ends, not at the next progress interval', async () => {
    await withStack({}, async (stack) => {
      const campaign = uniqueCampaign();
      await withWorker(temporal, stack.activities, async (tq) => {
        const started = Date.now();
        const run = await cli(
          [
            'sync',
            'start',
            campaign,
            '--product-id',
            String(albums(stack.dataset)[0]!.id),
            '--progress-interval',
            '60s',
            '--wait',
          ],
          tq,
        );
        const elapsed = Date.now() - started;
        expect(run.code).toBe(EXIT.ok);
        expect(run.out).toMatch(/completed in (\d+\.\d) s/);
        const took = Number(/completed in (\d+\.\d) s/.exec(run.out)![1]) * 1000;
        // Before, it waited out the 60 s interval after the run had ended.
        expect(elapsed - took).toBeLessThan(10_000);
      });
    });
  });
});
