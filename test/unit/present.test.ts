import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { formatStatus } from '../../src/client/format';
import { boldRed, emphasisFor, markStatus, plain } from '../../src/client/present';
import { whenAndAge } from '../../src/shared/when';
import { formatSystemStatus, statusAlarms, type SystemStatus } from '../../src/client/status';
import type { SyncStatus } from '../../src/client/sync-status';

const RED = (t: string) => `\x1b[1;31m${t}\x1b[0m`;

/**
 * Evaluates `body` (which sees `present`, `format` and `status`, the client modules, and `when`) in a node
 * process whose time zone is `tz`, and gives what it returns (jest's process.env is its own copy,
 * so TZ is set on a child process, as a person's shell sets it).
 */
function inZone<T = string>(tz: string, body: string): T {
  const script =
    `const present = require('./src/client/present.ts'); const when = require('./src/shared/when.ts'); const format = require('./src/client/format.ts'); ` +
    `const status = require('./src/client/status.ts'); ` +
    `process.stdout.write(JSON.stringify((() => { ${body} })()));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: join(__dirname, '../..'),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TZ: tz },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`in ${tz}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

describe('times for people: local time and age', () => {
  const now = new Date('2026-12-05T12:00:00Z');
  const at = "new Date('2026-12-05T09:12:30Z'), new Date('2026-12-05T12:00:00Z')";

  it('shows the process time zone (TZ), to the minute, with the age', () => {
    expect(inZone('UTC', `return when.whenAndAge(${at})`)).toBe('2026-12-05 09:12 (2h ago)');
    expect(inZone('Asia/Kolkata', `return when.whenAndAge(${at})`)).toBe('2026-12-05 14:42 (2h ago)');
    expect(
      inZone('America/New_York', `return when.whenAndAge('2026-12-05T09:12:30Z', '2026-12-05T12:00:00Z')`),
    ).toBe('2026-12-05 04:12 (2h ago)');
  });

  it('says seconds, minutes, hours and days; a time to come is "in"; none is never', () => {
    const age = (iso: string) => whenAndAge(new Date(iso), now).replace(/^.* \(/, '(');
    expect(age('2026-12-05T11:59:15Z')).toBe('(45s ago)');
    expect(age('2026-12-05T11:30:00Z')).toBe('(30m ago)');
    expect(age('2026-12-01T12:00:00Z')).toBe('(4d ago)');
    expect(age('2026-12-05T14:00:00Z')).toBe('(in 2h)');
    expect(whenAndAge(undefined, now)).toBe('never');
  });
});

describe('emphasis: on a terminal only', () => {
  it('is bold red on a terminal, nothing in a pipe, with NO_COLOR or on a dumb terminal', () => {
    expect(emphasisFor(true, {})('FAILED')).toBe(RED('FAILED'));
    expect(emphasisFor(false, {})('FAILED')).toBe('FAILED');
    expect(emphasisFor(undefined, {})('FAILED')).toBe('FAILED');
    expect(emphasisFor(true, { NO_COLOR: '' })('FAILED')).toBe('FAILED');
    expect(emphasisFor(true, { TERM: 'dumb' })('FAILED')).toBe('FAILED');
  });

  it('marks what needs a person, whatever its case, and nothing else', () => {
    for (const s of ['FAILED', 'TIMED_OUT', 'TERMINATED', 'CANCELLED', 'UNHEALTHY', 'degraded', 'unhealthy'])
      expect(markStatus(s, boldRed)).toBe(RED(s));
    for (const s of ['COMPLETED', 'RUNNING', 'healthy', 'HEALTHY']) expect(markStatus(s, boldRed)).toBe(s);
    expect(markStatus('FAILED', plain)).toBe('FAILED');
  });
});

function syncStatus(over: Partial<SyncStatus> = {}): SyncStatus {
  return {
    campaign: '2024_ETB_NBL',
    workflowId: 'campaign-sync-2024_ETB_NBL',
    runId: 'r1',
    status: 'FAILED',
    startedAt: new Date('2026-12-05T10:00:00Z'),
    closedAt: new Date('2026-12-05T10:05:00Z'),
    taskQueue: 'campaign-sync',
    failure: 'MailerLite refused the token',
    ...over,
  };
}

describe('sync status for people', () => {
  const now = new Date('2026-12-05T12:00:00Z');
  it('shows local times with their age, and FAILED in bold red on a terminal only', () => {
    const lines = inZone<string[]>(
      'Europe/Berlin',
      `const s = ${JSON.stringify(syncStatus())};
       s.startedAt = new Date(s.startedAt); s.closedAt = new Date(s.closedAt);
       return format.formatStatus(s, { now: new Date('${now.toISOString()}'), emphasis: present.boldRed }).split('\\n');`,
    );
    expect(lines.slice(0, 5)).toEqual([
      `Campaign 2024_ETB_NBL: ${RED('FAILED')}`,
      '  workflow   campaign-sync-2024_ETB_NBL',
      '  run        r1',
      '  started    2026-12-05 11:00 (2h ago)',
      '  closed     2026-12-05 11:05 (1h ago)',
    ]);
    expect(formatStatus(syncStatus(), { now })).toMatch(/^Campaign 2024_ETB_NBL: FAILED\n/);
    expect(formatStatus(syncStatus(), { now })).not.toContain('\x1b');
    expect(formatStatus(syncStatus({ status: 'COMPLETED' }), { now, emphasis: boldRed })).not.toContain(
      '\x1b',
    );
  });
});

function systemStatus(over: Partial<SystemStatus> = {}): SystemStatus {
  return {
    checkedAt: '2026-12-05T12:00:00.000Z',
    taskQueue: 'campaign-sync',
    problems: [],
    workers: {
      queues: [
        { taskQueue: 'campaign-sync', kind: 'workflow', pollers: 1, lastSeen: '2026-12-05T11:59:58.000Z' },
      ],
      workers: [],
    },
    running: [],
    runningOmitted: 0,
    locks: [],
    schedules: [],
    healthSchedule: null,
    lastHealth: {
      status: 'healthy',
      score: 100,
      checkedAt: '2026-12-05T11:00:00.000Z',
      workflowId: 'health-1',
      findings: [],
    },
    failures: { since: '2026-12-04T12:00:00.000Z', total: 0, byCampaign: [] },
    ...over,
  };
}

describe('status: what needs a person (exit 1) and how it is shown', () => {
  it('nothing needs a person when workers poll, nothing is listed and health is not unhealthy', () => {
    expect(statusAlarms(systemStatus())).toEqual([]);
    const degraded = systemStatus({ lastHealth: { ...systemStatus().lastHealth!, status: 'degraded' } });
    expect(statusAlarms(degraded)).toEqual([]);
  });

  it('names each thing that does: a problem, a queue without a worker, an unhealthy report', () => {
    const s = systemStatus({
      problems: ['campaign-sync-2024_A (campaign 2024_A) runs on task queue x, which no worker polls'],
      workers: {
        queues: [{ taskQueue: 'campaign-sync', kind: 'workflow', pollers: 0, lastSeen: null }],
        workers: [],
      },
      lastHealth: { ...systemStatus().lastHealth!, status: 'unhealthy' },
    });
    expect(statusAlarms(s)).toEqual([
      '1 problem listed under PROBLEMS',
      'no worker polls task queue campaign-sync (workflow tasks)',
      "the last health report is UNHEALTHY ('campaign-sync health' shows it)",
    ]);
    const text = inZone(
      'Asia/Tokyo',
      `return status.formatSystemStatus(${JSON.stringify(s)}, present.boldRed)`,
    );
    expect(text).toContain(`campaign-sync status at 2026-12-05 21:00 (0s ago) (task queue campaign-sync)`);
    expect(text).toContain(`${RED('PROBLEMS')}: 1`);
    expect(text).toContain(`campaign-sync (workflow tasks): ${RED('NO WORKER')}, last seen never`);
    expect(text).toContain(`  ${RED('UNHEALTHY')} (score 100) at 2026-12-05 20:00 (1h ago), run health-1`);
    expect(text).toContain('Failed syncs since 2026-12-04 21:00 (1d ago): 0');
    expect(formatSystemStatus(s)).not.toContain('\x1b');
  });
});
