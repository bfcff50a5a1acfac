import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ensureChromium } from '../../dev/browser/ensure-chromium';
import { startLocalServer, type LocalServer } from '../../dev/temporal/local-server';
import { DEFAULT_TASK_QUEUE, syncWorkflowId, WORKFLOW_TYPES } from '../../src/shared/names';
import { CAMPAIGN_CODE, SYNC_MODE, SYNC_STATUS } from '../../src/shared/search-attributes';
import type { SyncSummary } from '../../src/shared/sync-types';
import { SyncWorkers } from '../../src/workers/create-worker';
import { startSync } from '../../src/temporal/sync-start';
import { albums, startStack, type Stack } from '../helpers/stack';

/**
 * Drives the Temporal Web UI in a real browser (Debian's Chromium through playwright-core): starts a
 * sync through the UI's "Start Workflow" form, follows it to completion and through its history,
 * then starts one with a bad input and reads the reason on the run's page. The test has its own dev
 * server with the UI (on free ports, never 7233/8233), the emulators, and a worker on the default
 * task queue, the one a UI user types. Screenshots of each step go to test-artifacts/ui/.
 */

const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'ui');
const STEP_TIMEOUT = 60_000;

jest.setTimeout(600_000);

let server: LocalServer;
let stack: Stack;
let connection: Connection;
let nativeConnection: NativeConnection;
let client: Client;
let workers: SyncWorkers;
let workersDone: Promise<unknown>;
let stopWorkers: () => void;
let browser: Browser;
let page: Page;
let campaign: string;

beforeAll(async () => {
  const executablePath = ensureChromium((m) => process.stderr.write(`${m}\n`));
  mkdirSync(ARTIFACTS, { recursive: true });
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
    });
  } catch {
    // Installed already in this process.
  }
  const [port, uiPort] = await freePorts(2);
  server = await startLocalServer({ port, ui: true, uiPort });
  stack = await startStack({ customers: 300 });
  campaign = albums(stack.dataset)[0]!.campaign;
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection, namespace: 'default' });
  nativeConnection = await NativeConnection.connect({ address: server.address });
  workers = await SyncWorkers.create({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue: DEFAULT_TASK_QUEUE,
    activities: stack.activities,
    mailerliteRequestsPerMinute: 0,
    workflowBundle: { code: readFileSync(process.env.CAMPAIGN_SYNC_TEST_BUNDLE!, 'utf8') },
    shutdownGraceTime: '2s',
  });
  workersDone = workers.runUntil(new Promise<void>((resolve) => (stopWorkers = resolve)));
  browser = await chromium.launch({ executablePath, headless: true });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(STEP_TIMEOUT);
});

afterAll(async () => {
  await browser?.close();
  stopWorkers?.();
  await workersDone?.catch(() => undefined);
  await nativeConnection?.close();
  await connection?.close();
  await stack?.close();
  await server?.env.teardown();
});

test('a sync started from the UI form completes, and its history names the activities', async () => {
  const workflowId = syncWorkflowId(campaign);
  await page.goto(`${server.uiUrl}/namespaces/default/workflows`);
  await page.getByRole('button', { name: /start workflow/i }).click();
  await fillStartForm(page, {
    workflowId,
    taskQueue: DEFAULT_TASK_QUEUE,
    workflowType: WORKFLOW_TYPES.campaignSync,
    input: `{"campaign": "${campaign}"}`,
  });
  await shot(page, '01-start-form');
  await submitStartForm(page, workflowId);

  // The run's result, read with the client too, so a failure shows its reason here.
  const summary = await client.workflow.getHandle<() => Promise<SyncSummary>>(workflowId).result();
  expect(summary).toMatchObject({ campaign, status: 'completed' });
  expect(summary.created).toBeGreaterThan(0);

  const { runId } = await client.workflow.getHandle(workflowId).describe();
  const runUrl = `${server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}/${runId}`;
  await page.goto(`${runUrl}/history`);
  await page.getByText('Completed', { exact: true }).first().waitFor();
  // The summary is the run's result, on the run's page.
  await page.getByText(`"created": ${summary.created}`).first().waitFor();
  await shot(page, '02-completed-run');

  // The history: its latest events first (the stats), then, in ascending order, the first ones
  // (connections, the campaign, the first page read and validated).
  await page.getByText('recordSyncStats').first().waitFor();
  await page.getByRole('button', { name: 'Descending' }).click();
  await page.getByRole('button', { name: 'Ascending' }).waitFor();
  for (const activity of [
    'checkEddConnection',
    'mailerliteTurn',
    'resolveCampaign',
    'ensureCampaignResources',
    'fetchPurchasersPage',
    'validateRecords',
  ])
    await page.getByText(activity).first().waitFor();
  await shot(page, '03-history');

  // The search attributes, filterable in the list.
  const described = await client.workflow.getHandle(workflowId).describe();
  expect(described.typedSearchAttributes.get(CAMPAIGN_CODE)).toBe(campaign);
  expect(described.typedSearchAttributes.get(SYNC_MODE)).toBe('upsert');
  expect(described.typedSearchAttributes.get(SYNC_STATUS)).toBe('completed');
  const query = `CampaignCode="${campaign}" AND SyncMode="upsert" AND SyncStatus="completed"`;
  await page.goto(`${server.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
  await page.getByText(workflowId).first().waitFor();
  await shot(page, '04-filtered-list');
});

test('a bad input typed in the UI fails at once, the field and what is expected named on the run page', async () => {
  const workflowId = syncWorkflowId(campaign);
  await page.goto(`${server.uiUrl}/namespaces/default/workflows`);
  await page.getByRole('button', { name: /start workflow/i }).click();
  await fillStartForm(page, {
    workflowId,
    taskQueue: DEFAULT_TASK_QUEUE,
    workflowType: WORKFLOW_TYPES.campaignSync,
    input: `{"campaign": "${campaign}", "pageSize": 5000}`,
  });
  await submitStartForm(page, workflowId);

  const failure = await client.workflow
    .getHandle(workflowId)
    .result()
    .then(
      () => undefined,
      (err: unknown) => err,
    );
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const message = (failure as WorkflowFailedError).cause?.message ?? '';
  expect(message).toMatch(/^Invalid sync input: pageSize: /);

  await page.goto(`${server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
  await page.getByText('Failed', { exact: true }).first().waitFor();
  await page.getByText(message).first().waitFor();
  await shot(page, '05-invalid-input');
});

test('a sync started by the CLI shows its summary on its page; the syncs-only filter lists it, with its campaign, status and trigger as columns', async () => {
  const other = albums(stack.dataset)[1]!.campaign;
  const handle = await startSync(client, DEFAULT_TASK_QUEUE, {
    campaign: other,
    trigger: 'cli',
    mode: 'update-only',
  });
  const summaryOf = await handle.result();
  const summary = `Sync ${other}: update-only, by cli`;
  expect(await (await handle.describe()).staticSummary()).toBe(summary);
  // The filter docs/web-ui.md suggests saving as a view: syncs only, whatever else runs in the namespace.
  const query = `WorkflowType="campaignSync"`;
  await page.goto(`${server.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
  await page.getByText(handle.workflowId).first().waitFor();
  // The list shows a run's search attributes as columns once added with the gear (UI 2.42 has no
  // summary column): each sync's campaign, how it ended and who started it, at a glance.
  await page.getByTestId('workflows-summary-table-configuration-button').click();
  // In place of the run ID, type and end (a sync's type is in its workflow ID), to fit the screen.
  for (const column of ['Run ID', 'Type', 'End']) {
    await page.getByTestId(`orderable-list-item-${column}-remove-button`).click();
  }
  for (const column of ['CampaignCode', 'SyncStatus', 'SyncTrigger']) {
    await page.getByTestId(`orderable-list-item-${column}-add-button`).click();
  }
  await page.getByTestId('drawer-close-button').click();
  await page.getByText('Configure Workflows Table').waitFor({ state: 'hidden' });
  await page.getByRole('button', { name: 'Collapse saved views' }).click();
  const row = page
    .getByTestId('workflows-summary-configurable-table-row')
    .filter({ hasText: handle.workflowId });
  for (const value of [other, 'completed', 'cli']) {
    const cell = row.getByText(value, { exact: true }).first();
    await cell.waitFor();
    // On the screen, not scrolled out of the table's view.
    const box = (await cell.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(page.viewportSize()!.width);
  }
  await shot(page, '06-syncs-only');
  await page.goto(
    `${server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(handle.workflowId)}/${handle.firstExecutionRunId}`,
  );
  await page.getByText('User Metadata', { exact: true }).first().click();
  // The UI renders user metadata (markdown) in a sandboxed frame.
  await page.frameLocator('iframe').first().getByText(summary).waitFor();
  // Its current details: the last phase and counts (answered by a worker replaying the run).
  await page
    .frameLocator('iframe')
    .last()
    .getByText(new RegExp(`\\d+ pages; fetched ${summaryOf.fetched}, invalid ${summaryOf.invalid}, created`))
    .waitFor();
  await shot(page, '07-run-summary');
});

async function fillStartForm(
  p: Page,
  form: { workflowId: string; taskQueue: string; workflowType: string; input: string },
): Promise<void> {
  await p.getByTestId('workflowId').fill(form.workflowId);
  await p.getByTestId('taskQueue').fill(form.taskQueue);
  await p.getByTestId('workflowType').fill(form.workflowType);
  // The input is a code editor (CodeMirror), not a plain field: click into it and type.
  const editor = p.locator('.cm-content[contenteditable="true"]').first();
  await editor.click();
  await p.keyboard.insertText(form.input);
  // Leaving the editor reformats the JSON (the form grows): do it before aiming at the button.
  await p.getByRole('heading', { name: 'Start a Workflow' }).click();
  await p.locator('.cm-content').first().getByText('"campaign"').waitFor();
  await p.waitForTimeout(500);
}

/** Starts the workflow with the form's button and waits for the server's answer to the UI. */
async function submitStartForm(p: Page, workflowId: string): Promise<void> {
  const button = p.getByTestId('start-workflow-button');
  await expectEnabled(button);
  const started = p.waitForResponse(
    (r) =>
      r.request().method() === 'POST' &&
      new URL(r.url()).pathname.endsWith(`/workflows/${encodeURIComponent(workflowId)}`),
  );
  await button.click();
  const response = await started;
  if (!response.ok())
    throw new Error(`the UI's start request failed: HTTP ${response.status()} ${await response.text()}`);
}

async function expectEnabled(locator: ReturnType<Page['getByTestId']>): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT;
  while (!(await locator.isEnabled())) {
    if (Date.now() > deadline) throw new Error('the Start Workflow button stayed disabled');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
