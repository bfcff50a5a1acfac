import { DEFAULT_HEALTH_THRESHOLDS } from '../../src/shared/health';
import { durationSchema, parseDuration } from '../../src/shared/duration';
import { SCHEDULE_CATCHUP_WINDOW } from '../../src/shared/sync-schedule';

describe('durations: one form, one parser', () => {
  it('reads a whole number and a unit, and refuses anything else naming the form', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    for (const bad of ['10 minutes', '1.5h', '-5m', '5', 'm', '10M'])
      expect(() => parseDuration(bad)).toThrow(`'${bad}' is not a duration such as 90s, 30m, 2h or 1d`);
  });

  it('a workflow input is exact; a setting may carry spaces', () => {
    expect(durationSchema('x').safeParse(' 30m').success).toBe(false);
    expect(durationSchema('x', { trim: true }).parse(' 30m ')).toBe('30m');
  });

  it('every duration the code writes itself is one its own parser reads', () => {
    // The schedules' catch-up window was '10 minutes': Temporal read it, our parser refused it.
    expect(parseDuration(SCHEDULE_CATCHUP_WINDOW)).toBe(600_000);
    const t = DEFAULT_HEALTH_THRESHOLDS;
    for (const d of [t.stuckNoProgressAfter, t.stuckRunningAfter, t.failureWindow, t.workerStaleAfter])
      expect(parseDuration(d)).toBeGreaterThan(0);
  });
});
