import { emptyCounts } from '../../src/shared/sync-types';
import { syncNotificationText, type SyncNotification } from '../../src/shared/notifications';

const base: SyncNotification = {
  kind: 'sync-failed',
  campaign: '2024_ETB_NBL',
  workflowId: 'campaign-sync-2024_ETB_NBL',
  runId: 'r1',
  trigger: 'cli',
  mode: 'upsert',
  pages: 3,
  counts: { ...emptyCounts(), created: 5, updated: 2, failed: 1 },
};

describe('what a sync tells a person (the workflow sends facts; these words are the activity’s)', () => {
  it('a failed or timed-out sync: what it did, that it is kept, why, and what to look at', () => {
    expect(syncNotificationText({ ...base, error: 'EDD answered 503' })).toEqual({
      message:
        'Sync of 2024_ETB_NBL failed after 3 pages (created 5, updated 2, failed 1; what was written is kept): ' +
        'EDD answered 503',
      commands: ['campaign-sync sync status 2024_ETB_NBL', 'campaign-sync sync report 2024_ETB_NBL'],
    });
    expect(
      syncNotificationText({ ...base, kind: 'sync-timed-out', error: 'overall timeout (1h)' }).message,
    ).toMatch(/^Sync of 2024_ETB_NBL timed out after 3 pages .*: overall timeout \(1h\)$/);
  });

  it('a sync that sync all never started says so, and how to run it', () => {
    expect(
      syncNotificationText({ ...base, pages: 0, notStarted: true, error: 'MailerLite refused the token' }),
    ).toEqual({
      message:
        'Sync of 2024_ETB_NBL by sync all failed before it started (no page read, nothing written): ' +
        'MailerLite refused the token',
      commands: ['campaign-sync sync start 2024_ETB_NBL --wait'],
    });
  });

  it('removals waiting for an approval: how many, what share against the allowed one, until when', () => {
    const text = syncNotificationText({
      ...base,
      kind: 'approval-waiting',
      removals: {
        pending: 80,
        groupMembers: 200,
        maxRemovalShare: 0.1,
        approvalDeadline: '2026-12-06T10:00:00Z',
      },
    });
    expect(text.message).toBe(
      'Mirror sync of 2024_ETB_NBL waits for an approval to remove 80 of the 200 members of its purchase group ' +
        '(40.0%, above the 10.0% allowed without one), until 2026-12-06T10:00:00Z; without it the run fails and ' +
        'removes nobody.',
    );
    expect(text.commands).toEqual([
      'campaign-sync sync report 2024_ETB_NBL --kind removed',
      'campaign-sync sync approve 2024_ETB_NBL --count 80',
      'campaign-sync sync reject 2024_ETB_NBL',
    ]);
  });
});
