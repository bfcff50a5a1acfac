import {
  infoPermissionsOf,
  judgeEddPermissions,
  missingCapabilities,
  missingCapabilitiesMessage,
  type EddPermissionEvidence,
} from '../../src/providers/edd-permissions';

const speed = { request_speed: 0.01 };
const customersListed = { customers: [{ info: { customer_id: '1' } }], ...speed };
const noCustomers = { error: 'No customers found!', ...speed };
const withheld = { ...speed };

const verdicts = (e: EddPermissionEvidence) => {
  const p = judgeEddPermissions(e);
  return { reports: p.view_shop_reports.granted, sensitive: p.view_shop_sensitive_data.granted };
};

describe('judging an EDD key from EDD answers', () => {
  it('view_shop_sensitive_data: customers listed or "No customers found!" prove it; a bare answer proves its lack', () => {
    expect(verdicts({ customers: customersListed }).sensitive).toBe(true);
    expect(verdicts({ customers: noCustomers }).sensitive).toBe(true);
    expect(verdicts({ customers: withheld }).sensitive).toBe(false);
    expect(verdicts({ customers: [] }).sensitive).toBe(false);
  });

  it("view_shop_reports: info's permissions decide first, whatever the products or sales say", () => {
    const infoPermissions = infoPermissionsOf({
      info: { permissions: { view_shop_reports: true }, site: {} },
    });
    expect(verdicts({ customers: noCustomers, infoPermissions, product: { info: {} } }).reports).toBe(true);
    const none = infoPermissionsOf({ info: { site: { currency: 'USD' } }, ...speed });
    expect(none).toEqual({});
    expect(verdicts({ customers: noCustomers, infoPermissions: none, product: { stats: {} } }).reports).toBe(
      false,
    );
  });

  it("an answer that is not EDD's info is no evidence", () => {
    expect(infoPermissionsOf({ error: 'Invalid query!' })).toBeUndefined();
    expect(infoPermissionsOf({ info: { permissions: { view_shop_reports: true } } })).toBeUndefined();
    expect(infoPermissionsOf(null)).toBeUndefined();
  });

  it('without info: a product with stats proves view_shop_reports, one without proves its lack', () => {
    expect(
      verdicts({ customers: customersListed, product: { info: {}, stats: {}, notes: '' } }).reports,
    ).toBe(true);
    expect(verdicts({ customers: customersListed, product: { info: {}, notes: '' } }).reports).toBe(false);
  });

  it('without info and without products: a sale listed proves view_shop_reports, no sale tells nothing', () => {
    expect(
      verdicts({ customers: noCustomers, product: null, sales: { sales: [{}], ...speed } }).reports,
    ).toBe(true);
    expect(verdicts({ customers: customersListed, product: null, sales: withheld }).reports).toBeUndefined();
    const p = judgeEddPermissions({ customers: customersListed, product: null, sales: withheld });
    expect(missingCapabilities(p)).toEqual([]);
  });

  it('names each missing capability with how it was told and the roles that have it, and no key', () => {
    const p = judgeEddPermissions({ customers: withheld, infoPermissions: {} });
    const missing = missingCapabilities(p);
    expect(missing).toEqual(['view_shop_reports', 'view_shop_sensitive_data']);
    expect(missingCapabilitiesMessage(p, missing)).toBe(
      "the EDD API key's user lacks the view_shop_reports and view_shop_sensitive_data capabilities " +
        "(EDD's GET /info lists the key's permissions without it; EDD answered GET /customers with neither " +
        'customers nor "No customers found!"): EDD answers its sales and customers requests with no data ' +
        '(HTTP 200, no error), so a sync would find no purchasers and a mirror sync would remove every member. ' +
        'Grant them to that WordPress user (the Administrator and Shop Manager roles have both), or use a key ' +
        'of a user who has them',
    );
  });
});
