import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { abortAfter } from '../../src/client/sync-watch';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('abortAfter: the deadline of each progress query of --wait', () => {
  it('aborts after its time even when a garbage collection runs before (Node 20 loses AbortSignal.any of a timeout)', async () => {
    const parent = new AbortController();
    const deadline = abortAfter(200, parent.signal);
    gc();
    await wait(50);
    gc();
    await wait(400);
    expect(deadline.signal.aborted).toBe(true);
    expect(String(deadline.signal.reason)).toContain('timed out after 200 ms');
  });

  it('aborts at once with its parent, and not at all once cleared', async () => {
    const parent = new AbortController();
    const deadline = abortAfter(10_000, parent.signal);
    parent.abort(new Error('run ended'));
    expect(deadline.signal.aborted).toBe(true);
    expect(String(deadline.signal.reason)).toContain('run ended');

    const cleared = abortAfter(50);
    cleared.clear();
    await wait(150);
    expect(cleared.signal.aborted).toBe(false);
  });
});
