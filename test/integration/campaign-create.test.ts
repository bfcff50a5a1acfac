import { ScheduleOverlapPolicy, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createCampaign } from '../../src/client/campaign-create';
import { EXIT } from '../../src/client/errors';
import { startSync } from '../../src/temporal/sync-start';
import { DEFAULT_TIERS, purchaseFieldName, tierGroupName } from '../../src/shared/campaign';
import { launcherWorkflowId, syncScheduleId, syncWorkflowId, WORKFLOW_TYPES } from '../../src/shared/names';
import type {
  CampaignCreateInput,
  CampaignCreateResult,
  ProvisioningFailureDetails,
  ScheduledSyncResult,
} from '../../src/shared/provisioning';
import { SYNC_TRIGGER } from '../../src/shared/search-attributes';
import type { SyncInput } from '../../src/shared/sync-types';
import { uniqueTaskQueue, withWorker } from '../helpers/temporal';
import { albums, mailerliteGet, setFaults, startStack, uniqueCampaign, type Stack } from '../helpers/stack';
import { useIntegrationStack } from '../helpers/integration';

const { temporal, stack, cli, useStack } = useIntegrationStack({ customers: 300, temporal: true });
afterEach(async () => {
  await fetch(`${stack.mailerlite.url}/_admin/faults`, { method: 'DELETE' });
});

/** A matcher for any string matching `re` (typed, unlike `expect.stringMatching`). */
const anyMatching = (re: RegExp): string => {
  const matcher: unknown = expect.stringMatching(re);
  return matcher as string;
};

const groupNames = (campaign: string) => DEFAULT_TIERS.map((tier) => tierGroupName(campaign, tier));

async function groupsOf(campaign: string): Promise<{ id: string; name: string }[]> {
  const page = await mailerliteGet<{ data: { id: string; name: string }[] }>(
    stack.mailerlite,
    `/groups?limit=100&filter[name]=${campaign}`,
  );
  return page.data;
}

async function fieldsOf(campaign: string): Promise<{ id: string; name: string; type: string }[]> {
  const page = await mailerliteGet<{ data: { id: string; name: string; type: string }[] }>(
    stack.mailerlite,
    `/fields?limit=100&filter[keyword]=${campaign.toLowerCase()}`,
  );
  return page.data;
}

async function writes(): Promise<number> {
  const stats = (await (await fetch(`${stack.mailerlite.url}/_admin/stats`)).json()) as {
    writes: { total: number };
  };
  return stats.writes.total;
}

async function mlPost(path: string, body: unknown): Promise<{ id: string }> {
  const res = await fetch(`${stack.mailerlite.url}/api${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${stack.mailerliteToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`POST ${path}: HTTP ${res.status}`);
  return ((await res.json()) as { data: { id: string } }).data;
}

/** Runs `campaignCreate` on a fresh worker, as the CLI does. */
function create(input: CampaignCreateInput): Promise<CampaignCreateResult> {
  return withWorker(temporal, stack.activities, (tq) => createCampaign(temporal.client, tq, input));
}

/** The CampaignProvisioningError a failed create ends with, and its details. */
async function failedCreate(input: CampaignCreateInput) {
  const err = await create(input).then(
    () => {
      throw new Error('campaign create succeeded; it should have failed');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect(cause.type).toBe('CampaignProvisioningError');
  expect(cause.nonRetryable).toBe(true);
  return { message: cause.message, details: cause.details?.[0] as ProvisioningFailureDetails };
}

describe('campaign create', () => {
  it("creates exactly an EDD album's 8 tier groups and number field; a second run changes nothing", async () => {
    const album = albums(stack.dataset)[0]!;
    const campaign = album.campaign;

    const first = await create({ campaign });
    expect(first).toMatchObject({ campaign, productId: album.id, custom: false, dryRun: false });
    expect(first.created.map((r) => `${r.kind} ${r.name}`)).toEqual([
      ...groupNames(campaign).map((name) => `group ${name}`),
      `field ${purchaseFieldName(campaign)}`,
    ]);
    expect(first.reused).toEqual([]);
    expect(first.message).toMatch(/^Created 8 groups and field /);
    const groups = await groupsOf(campaign);
    expect(groups.map((g) => g.name).sort()).toEqual(groupNames(campaign).sort());
    expect(await fieldsOf(campaign)).toEqual([
      expect.objectContaining({ name: purchaseFieldName(campaign), type: 'number' }),
    ]);

    const before = await writes();
    const second = await create({ campaign });
    expect(second.created).toEqual([]);
    expect(second.reused).toHaveLength(9);
    expect(second.message).toMatch(/nothing to create/i);
    expect(await writes()).toBe(before);
    expect(await groupsOf(campaign)).toEqual(groups);
  });

  it('creates a custom campaign without an EDD product, and refuses an unknown non-custom one', async () => {
    const campaign = uniqueCampaign();
    const result = await create({ campaign, custom: true });
    expect(result).toMatchObject({ campaign, productId: null, custom: true });
    expect(result.created).toHaveLength(9);
    expect(await groupsOf(campaign)).toHaveLength(8);

    const unknown = uniqueCampaign();
    const { message, details } = await failedCreate({ campaign: unknown });
    expect(message).toMatch(/step 'resolve campaign in EDD' failed: Campaign \S+ was not found/);
    expect(message).toMatch(/nothing to undo/);
    expect(details).toMatchObject({ failedStep: 'resolve campaign in EDD', created: [], undone: [] });
  });

  it('lists what it would create in a dry run, and creates nothing', async () => {
    const campaign = uniqueCampaign();
    await mlPost('/groups', { name: tierGroupName(campaign, 'Gold') });
    const before = await writes();
    const result = await create({ campaign, custom: true, dryRun: true });
    expect(result.created).toEqual([]);
    expect(result.wouldCreate).toHaveLength(8); // 7 groups and the field
    expect(result.wouldCreate.map((r) => r.name)).not.toContain(tierGroupName(campaign, 'Gold'));
    expect(result.reused).toEqual([{ kind: 'group', name: tierGroupName(campaign, 'Gold') }]);
    expect(result.message).toMatch(/^Dry run: would create 7 groups and field /);
    expect(await writes()).toBe(before);
  });

  it('undoes the groups it created when the 5th group fails, naming the step', async () => {
    const campaign = uniqueCampaign();
    await setFaults(stack.mailerlite, {
      routeFaults: [{ method: 'POST', path: '/api/groups', status: 500, after: 4 }],
    });
    const { message, details } = await failedCreate({ campaign, custom: true });
    const fifth = groupNames(campaign)[4]!;
    expect(message).toContain(`step 'create group ${fifth}' failed: mailerlite POST /groups: HTTP 500`);
    expect(message).toMatch(/; undone: group /);
    expect(details.failedStep).toBe(`create group ${fifth}`);
    expect(details.created).toEqual(
      groupNames(campaign)
        .slice(0, 4)
        .map((n) => `group ${n}`),
    );
    expect(details.undone).toEqual([...details.created].reverse());
    expect(details.leftBehind).toEqual([]);
    expect(await groupsOf(campaign)).toEqual([]);
    expect(await fieldsOf(campaign)).toEqual([]);
  });

  it('undoes the 8 groups when the field step fails', async () => {
    const campaign = uniqueCampaign();
    await setFaults(stack.mailerlite, {
      routeFaults: [{ method: 'POST', path: '/api/fields', status: 422, message: 'The type is invalid.' }],
    });
    const { message, details } = await failedCreate({ campaign, custom: true });
    expect(message).toContain(
      `step 'create field ${purchaseFieldName(campaign)}' failed: mailerlite POST /fields: HTTP 422 The type is invalid.`,
    );
    expect(details.undone).toHaveLength(8);
    expect(await groupsOf(campaign)).toEqual([]);
    expect(await fieldsOf(campaign)).toEqual([]);
  });

  it('never deletes a group that existed before the run', async () => {
    const campaign = uniqueCampaign();
    const gold = await mlPost('/groups', { name: tierGroupName(campaign, 'Gold') });
    await setFaults(stack.mailerlite, {
      routeFaults: [{ method: 'POST', path: '/api/fields', status: 500 }],
    });
    const { details } = await failedCreate({ campaign, custom: true });
    expect(details.created).toHaveLength(7);
    expect(details.created).not.toContain(`group ${tierGroupName(campaign, 'Gold')}`);
    expect(details.undone).toHaveLength(7);
    expect((await groupsOf(campaign)).map((g) => ({ id: g.id, name: g.name }))).toEqual([
      { id: gold.id, name: tierGroupName(campaign, 'Gold') },
    ]);
  });

  it('fails before creating anything when the purchase field exists as a text field', async () => {
    const campaign = uniqueCampaign();
    await mlPost('/fields', { name: purchaseFieldName(campaign), type: 'text' });
    const { message } = await failedCreate({ campaign, custom: true });
    expect(message).toMatch(/step 'check field \S+_PURCHASE' failed: MailerLite field \S+ is a text field/);
    expect(await groupsOf(campaign)).toEqual([]);
  });

  it('says what it left behind when an undo fails too', async () => {
    const campaign = uniqueCampaign();
    await setFaults(stack.mailerlite, {
      routeFaults: [
        { method: 'POST', path: '/api/groups', status: 422, after: 2 },
        // The first undo (of the 2nd group) fails every attempt; the second goes through.
        { method: 'DELETE', path: '/api/groups/{id}', status: 500, times: 5 },
      ],
    });
    const { message, details } = await failedCreate({ campaign, custom: true });
    const [first, second] = groupNames(campaign);
    expect(details.undone).toEqual([`group ${first}`]);
    expect(details.leftBehind).toEqual([
      expect.objectContaining({ kind: 'group', name: second, reason: anyMatching(/HTTP 500/) }),
    ]);
    expect(message).toContain(`NOT undone, left behind in MailerLite (delete by hand): group ${second} (id `);
    expect((await groupsOf(campaign)).map((g) => g.name)).toEqual([second]);
  });
});

describe('campaign create with a schedule, and the scheduled launcher', () => {
  it('creates a sync schedule whose action is the launcher; a trigger runs the sync under the lock ID', async () => {
    const album = albums(stack.dataset)[1]!;
    const campaign = album.campaign;
    const scheduleId = syncScheduleId(campaign);
    const tq = uniqueTaskQueue();
    try {
      await withWorker(
        temporal,
        stack.activities,
        async () => {
          const result = await createCampaign(temporal.client, tq, { campaign, schedule: { every: '1h' } });
          expect(result.created.map((r) => r.kind)).toEqual([
            ...Array<string>(8).fill('group'),
            'field',
            'schedule',
          ]);
          expect(result.schedule).toEqual({ scheduleId, timing: { every: '1h' }, created: true });

          const schedule = await temporal.client.schedule.getHandle(scheduleId).describe();
          expect(schedule.action).toMatchObject({
            type: 'startWorkflow',
            workflowType: WORKFLOW_TYPES.scheduledCampaignSync,
            workflowId: launcherWorkflowId(campaign),
            taskQueue: tq,
            args: [{ campaign, productId: album.id, trigger: `schedule:${scheduleId}` }],
          });
          expect(schedule.policies).toMatchObject({
            overlap: ScheduleOverlapPolicy.SKIP,
            catchupWindow: 10 * 60_000,
          });
          expect(schedule.spec.intervals).toEqual([expect.objectContaining({ every: 3_600_000 })]);

          const again = await createCampaign(temporal.client, tq, { campaign, schedule: { every: '1h' } });
          expect(again.created).toEqual([]);
          expect(again.schedule).toMatchObject({ created: false });
          expect(again.message).toMatch(/nothing to create/i);

          // A tick: the launcher starts the sync as a child under the campaign's lock ID.
          await temporal.client.schedule.getHandle(scheduleId).trigger(ScheduleOverlapPolicy.SKIP);
          const sync = temporal.client.workflow.getHandle(syncWorkflowId(campaign));
          for (let i = 0; ; i++) {
            const run = await sync.describe();
            if (run.type === WORKFLOW_TYPES.campaignSync) break; // (before: the create's lock run)
            if (i > 100) throw new Error('the scheduled sync did not start');
            await new Promise((r) => setTimeout(r, 200));
          }
          const run = await sync.describe();
          expect(run.typedSearchAttributes.get(SYNC_TRIGGER)).toBe(`schedule:${scheduleId}`);
          const launcherId = run.parentExecution?.workflowId ?? '';
          expect(launcherId.startsWith(`${launcherWorkflowId(campaign)}-`)).toBe(true);
          const summary = (await temporal.client.workflow
            .getHandle(launcherId)
            .result()) as ScheduledSyncResult;
          expect(summary).toMatchObject({ campaign, productId: album.id, status: 'completed' });
        },
        tq,
      );
    } finally {
      await temporal.client.schedule
        .getHandle(scheduleId)
        .delete()
        .catch(() => undefined);
    }
  });

  it('the launcher skips, naming the holder, while a sync runs; when free it runs the sync as campaign-sync-<CODE>', async () => {
    const campaign = uniqueCampaign();
    const productId = albums(stack.dataset)[2]!.id;
    // A sync on a task queue no worker polls: it stays running, holding the campaign's lock.
    const held = await startSync(temporal.client, uniqueTaskQueue('nobody'), {
      campaign,
      productId,
      trigger: 'cli',
    });
    const input: SyncInput = { campaign, productId, trigger: 'schedule:test' };
    await withWorker(temporal, stack.activities, async (tq) => {
      const launch = (suffix: string) =>
        temporal.client.workflow.execute<(i: SyncInput) => Promise<ScheduledSyncResult>>(
          WORKFLOW_TYPES.scheduledCampaignSync,
          { taskQueue: tq, workflowId: `${launcherWorkflowId(campaign)}-${suffix}`, args: [input] },
        );
      const skipped = await launch('1');
      expect(skipped).toEqual({
        status: 'skipped',
        campaign,
        holder: {
          workflowId: syncWorkflowId(campaign),
          workflowType: WORKFLOW_TYPES.campaignSync,
          runId: held.firstExecutionRunId,
          startedAt: anyMatching(/^\d{4}-\d\d-\d\dT/),
          trigger: 'cli',
        },
      });
      await held.terminate('test: free the lock');

      const ran = await launch('2');
      expect(ran).toMatchObject({ campaign, productId, status: 'completed' });
      const run = await temporal.client.workflow.getHandle(syncWorkflowId(campaign)).describe();
      expect(run.type).toBe(WORKFLOW_TYPES.campaignSync);
      expect(run.status.name).toBe('COMPLETED');
      expect(run.typedSearchAttributes.get(SYNC_TRIGGER)).toBe('schedule:test');
      expect(run.parentExecution?.workflowId).toBe(`${launcherWorkflowId(campaign)}-2`);
    });
  });
});

describe('campaign create CLI', () => {
  it('exits 0 with the result, 1 naming the failed step, 2 for invalid input, 3 when locked', async () => {
    await withWorker(temporal, stack.activities, async (tq) => {
      const campaign = uniqueCampaign();
      const ok = await cli(['campaign', 'create', campaign, '--custom', '--json'], tq);
      expect(ok.code).toBe(EXIT.ok);
      expect((JSON.parse(ok.out) as CampaignCreateResult).created).toHaveLength(9);
      const again = await cli(['campaign', 'create', campaign, '--custom'], tq);
      expect(again.code).toBe(EXIT.ok);
      expect(again.out).toMatch(/^Nothing to create for campaign /);

      const invalid = await cli(['campaign', 'create', campaign, '--every', '5x'], tq);
      expect(invalid.code).toBe(EXIT.invalidInput);
      expect(invalid.err).toMatch(/schedule.every: every must be a whole number of minutes, hours or days/);
      const both = await cli(['campaign', 'create', campaign, '--every', '1h', '--cron', '0 * * * *'], tq);
      expect(both.code).toBe(EXIT.invalidInput);

      const failing = uniqueCampaign();
      await setFaults(stack.mailerlite, {
        routeFaults: [{ method: 'POST', path: '/api/groups', status: 422, after: 1 }],
      });
      const failed = await cli(['campaign', 'create', failing, '--custom'], tq);
      expect(failed.code).toBe(EXIT.failed);
      expect(failed.err).toContain(`step 'create group ${groupNames(failing)[1]}' failed`);
      expect(failed.err).toContain(`undone: group ${groupNames(failing)[0]}`);
      await fetch(`${stack.mailerlite.url}/_admin/faults`, { method: 'DELETE' });

      const locked = uniqueCampaign();
      const held = await startSync(temporal.client, uniqueTaskQueue('nobody'), { campaign: locked });
      try {
        const refused = await cli(['campaign', 'create', locked, '--custom'], tq);
        expect(refused.code).toBe(EXIT.locked);
        expect(refused.err).toMatch(/Refused: Campaign \S+ is locked/);
        expect(await groupsOf(locked)).toEqual([]);
      } finally {
        await held.terminate('test: free the lock');
      }
    });
  });
});

describe("campaign create within the account's group limit", () => {
  /** An account that holds at most 20 groups, and workers that know it (MAILERLITE_MAX_GROUPS). */
  const small = useStack({
    customers: 300,
    temporal: true,
    mailerliteLimits: { maxGroups: 20 },
    env: { MAILERLITE_MAX_GROUPS: '20' },
  });

  async function groupCount(s: Stack): Promise<number> {
    return (await mailerliteGet<{ meta: { total: number } }>(s.mailerlite, '/groups?limit=1')).meta.total;
  }

  async function addGroups(s: Stack, n: number): Promise<void> {
    const tag = uniqueCampaign();
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${s.mailerlite.url}/api/groups`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${s.mailerliteToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: `${tag}_OTHER_${i}` }),
      });
      if (res.status !== 201) throw new Error(`POST /groups: HTTP ${res.status}`);
    }
  }

  it('says how many groups are left, refuses up front a campaign whose groups do not fit, and creates nothing', async () => {
    await withWorker(temporal, small.activities, async (tq) => {
      const first = uniqueCampaign();
      const ok = await cli(['campaign', 'create', first, '--custom'], tq);
      expect(ok.code).toBe(EXIT.ok);
      expect(ok.out).toContain('MailerLite account: 0 of 20 groups used, 20 left; 12 after this run.');
      expect(ok.out).toContain(
        'Groups in the MailerLite account: 0 of 20 (MAILERLITE_MAX_GROUPS), 20 left, 12 after this run.',
      );

      // 15 of 20 used: 5 left for a campaign that needs 8.
      await addGroups(small, 7);
      const second = uniqueCampaign();
      const dry = await createCampaign(temporal.client, tq, { campaign: second, custom: true, dryRun: true });
      const refusal =
        `The MailerLite account holds 15 of its 20 groups: 5 left, and campaign ${second} needs 8 more. ` +
        'Delete groups that are no longer needed in MailerLite (or raise MAILERLITE_MAX_GROUPS if the ' +
        'account allows more), then create the campaign again.';
      expect(dry.conflicts).toEqual([refusal]);
      expect(dry.accountGroups).toEqual({ used: 15, max: 20, leftBefore: 5, leftAfter: 5 });

      const postsBefore = await groupPosts(small);
      const err = await createCampaign(temporal.client, tq, { campaign: second, custom: true }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause.type).toBe('CampaignProvisioningError');
      const details = cause.details?.[0] as ProvisioningFailureDetails;
      expect(details).toMatchObject({
        failedStep: 'check the account has room for 8 groups',
        cause: refusal,
        created: [],
        undone: [],
        leftBehind: [],
      });
      expect(cause.message).toContain('nothing to undo');
      // Not one group was tried: no creation was refused, none undone.
      expect(await groupPosts(small)).toEqual(postsBefore);
      expect(await groupCount(small)).toBe(15);
    });
  });

  it("a worker that thinks the account holds more meets MailerLite's refusal, and undoes what it created", async () => {
    // The same account, a worker left at the default MAILERLITE_MAX_GROUPS (1000).
    const unaware = await startStack({ customers: 300, temporal, mailerliteLimits: { maxGroups: 20 } });
    try {
      await addGroups(unaware, 16);
      const campaign = uniqueCampaign();
      const err = await withWorker(temporal, unaware.activities, (tq) =>
        createCampaign(temporal.client, tq, { campaign, custom: true }),
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
      const details = cause.details?.[0] as ProvisioningFailureDetails;
      expect(details.failedStep).toBe(`create group ${groupNames(campaign)[4]}`);
      expect(details.cause).toContain('HTTP 422 You have reached the maximum number of groups (20).');
      expect(details.undone).toHaveLength(4);
      expect(await groupCount(unaware)).toBe(16);
    } finally {
      await unaware.close();
    }
  });
});

/** `POST /api/groups` answers the emulator counted, by status. */
async function groupPosts(s: Stack): Promise<Record<string, number>> {
  const stats = (await (await fetch(`${s.mailerlite.url}/_admin/stats`)).json()) as {
    requests: { byRoute: Record<string, Record<string, number>> };
  };
  return stats.requests.byRoute['POST /api/groups'] ?? {};
}
