import { generateDemoData } from '../../dev/emulators';
import { withExtraPurchases } from '../../dev/emulators/extra-purchases';
import { startSync } from '../../src/client';
import {
  albums,
  expectEveryRecordCounted,
  mailerliteSubscribers,
  startStack,
  uniqueCampaign,
} from '../helpers/stack';
import { withWorker } from '../helpers/temporal';
import { useIntegrationStack } from '../helpers/integration';

const { temporal } = useIntegrationStack({ stack: false });

describe('names a real sync refuses or writes (validation over HTTP)', () => {
  it('reports names with a line separator, a bidi mark or a soft hyphen as invalid with the reason, and writes a 128-emoji name', async () => {
    const base = generateDemoData({ seed: 42, customers: 200 });
    const product = albums(base)[0]!;
    const guitars = '🎸'.repeat(128);
    // EDD serves a stored name's first word as first_name, the rest as last_name: no spaces here.
    const { dataset, added } = withExtraPurchases(base, {
      customers: [
        { email: 'line.separator@example.com', firstName: 'Line\u2028Sep', lastName: 'Smith' },
        { email: 'bidi.mark@example.com', firstName: 'Ltr\u200eMark', lastName: 'Rtl\u200fMark' },
        { email: 'soft.hyphen@example.com', firstName: 'Soft', lastName: 'Hyph\u00aden' },
        { email: 'paragraph@example.com', firstName: 'Para\u2029Graph', lastName: 'Jones' },
        { email: 'guitars@example.com', firstName: guitars, lastName: 'Rock' },
      ],
      purchases: [0, 1, 2, 3, 4].map((buyer) => ({ buyer, productId: product.id })),
    });
    const stack = await startStack({ dataset });
    try {
      const campaign = uniqueCampaign();
      const summary = await withWorker(temporal, stack.activities, async (tq) =>
        (
          await startSync(temporal.client, tq, { campaign, productId: product.id, reportLimit: 1000 })
        ).result(),
      );
      expect(summary.status).toBe('completed');
      expectEveryRecordCounted(summary);
      const reasonsOf = (i: number) =>
        summary.invalidRecords.find((r) => r.orderId === added.sales[i]!.id)?.reasons;
      expect(reasonsOf(0)).toEqual([
        'first name has a control or invisible character (U+2028); fix the name in EDD',
      ]);
      expect(reasonsOf(1)).toEqual([
        'first name has a control or invisible character (U+200E); fix the name in EDD',
        'last name has a control or invisible character (U+200F); fix the name in EDD',
      ]);
      expect(reasonsOf(2)).toEqual([
        'last name has a control or invisible character (U+00AD); fix the name in EDD',
      ]);
      expect(reasonsOf(3)).toEqual([
        'first name has a control or invisible character (U+2029); fix the name in EDD',
      ]);
      expect(reasonsOf(4)).toBeUndefined();

      const written = new Map((await mailerliteSubscribers(stack.mailerlite)).map((s) => [s.email, s]));
      for (const email of ['line.separator', 'bidi.mark', 'soft.hyphen', 'paragraph'])
        expect(written.has(`${email}@example.com`)).toBe(false);
      expect(written.get('guitars@example.com')?.fields).toMatchObject({ name: guitars, last_name: 'Rock' });
    } finally {
      await stack.close();
    }
  });
});
