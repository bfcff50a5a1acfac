/**
 * Whether an EDD API key's user may see what a sync reads, told from EDD's own answers.
 *
 * EDD (3.6.5, includes/api/) answers a key whose user lacks a capability with HTTP 200 and no data,
 * never an error: sales without `view_shop_reports` are `{}` (get_recent_sales()), customers without
 * `view_shop_sensitive_data` are `{}` (get_customers()). Read naively, that is a store without
 * purchasers: a sync would "succeed" with none, and a mirror sync would remove every member. What
 * tells "no permission" from "no data", exactly:
 *
 * - `view_shop_sensitive_data`, from `GET /customers`: a user with it always gets `customers` or,
 *   when there are none, `{"error": "No customers found!"}`; a user without it gets neither.
 * - `view_shop_reports`, from `GET /info` (EDD_API::get_info(), in EDD since 2.6.5): its
 *   `info.permissions` lists each capability the user has as `true` and leaves out the others.
 *   When a site does not answer `info` as EDD does (an extension may remove the query mode), from
 *   the first product of `GET /products` with the key: get_product_data() adds `stats` only for
 *   `view_shop_reports` (and `notes` only for `view_shop_sensitive_data`). A store with no product
 *   at all cannot tell that way: then a sale listed proves the capability, and no sale proves
 *   nothing (`unknown`; such a store has no album to sync either).
 */

/** The capabilities a sync needs of the EDD API key's user. */
export const EDD_NEEDED_CAPABILITIES = ['view_shop_reports', 'view_shop_sensitive_data'] as const;
export type EddNeededCapability = (typeof EDD_NEEDED_CAPABILITIES)[number];

/** What EDD answered, as parsed JSON bodies; each read only when the ones before did not tell. */
export interface EddPermissionEvidence {
  /** `GET /customers?number=1`. */
  customers: unknown;
  /** `info.permissions` of `GET /info` (`{}` when EDD lists none), or undefined when the site did not answer it as EDD does. */
  infoPermissions?: Record<string, unknown>;
  /** The first product of `GET /products?number=1` with the key, or null when the store lists none. */
  product?: Record<string, unknown> | null;
  /** `GET /sales?number=1`. */
  sales?: unknown;
}

/** One capability: held, lacking, or not to be told from the answers; with what told it. */
export interface EddCapabilityVerdict {
  granted: boolean | undefined;
  /** Which answer decided, in words for a message. */
  by: string;
}

export type EddPermissions = Record<EddNeededCapability, EddCapabilityVerdict>;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `info.permissions` of a `GET /info` body, `{}` when it lists none, or undefined when it is not EDD's answer. */
export function infoPermissionsOf(body: unknown): Record<string, unknown> | undefined {
  if (!isObject(body) || !isObject(body.info) || !isObject(body.info.site)) return undefined;
  return isObject(body.info.permissions) ? body.info.permissions : {};
}

/** Which answer tells what, by the rule above; an answer not given counts as not telling. */
export function judgeEddPermissions(e: EddPermissionEvidence): EddPermissions {
  const customers = isObject(e.customers) && ('customers' in e.customers || 'error' in e.customers);
  const sensitive: EddCapabilityVerdict = {
    granted: customers,
    by: customers
      ? 'EDD lists customers to the key'
      : 'EDD answered GET /customers with neither customers nor "No customers found!"',
  };
  let reports: EddCapabilityVerdict;
  if (e.infoPermissions) {
    const granted = e.infoPermissions.view_shop_reports === true;
    reports = {
      granted,
      by: granted ? "EDD's GET /info lists it" : "EDD's GET /info lists the key's permissions without it",
    };
  } else if (e.product) {
    const granted = 'stats' in e.product;
    reports = {
      granted,
      by: granted
        ? 'the products EDD lists to the key carry stats'
        : 'the products EDD lists to the key carry no stats',
    };
  } else if (isObject(e.sales) && 'sales' in e.sales) {
    reports = { granted: true, by: 'EDD lists sales to the key' };
  } else {
    reports = {
      granted: undefined,
      by: 'the store lists no product and no sale, and did not answer GET /info as EDD does',
    };
  }
  return { view_shop_reports: reports, view_shop_sensitive_data: sensitive };
}

/** The capabilities the verdicts say are lacking (an unknown one is not counted). */
export function missingCapabilities(p: EddPermissions): EddNeededCapability[] {
  return EDD_NEEDED_CAPABILITIES.filter((c) => p[c].granted === false);
}

/** EDD's roles that hold each capability (includes/class-edd-roles.php, add_caps()). */
const ROLES_WITH: Record<EddNeededCapability, string> = {
  view_shop_reports: 'the Administrator, Shop Manager and Shop Accountant roles have it',
  view_shop_sensitive_data: 'the Administrator and Shop Manager roles have it, Shop Accountant does not',
};

/** What the key gets no data of, and what a sync would make of it. */
const WITHOUT: Record<EddNeededCapability, string> = {
  view_shop_reports:
    'its sales requests with no data (HTTP 200, no error), so a sync would find no purchasers and a mirror sync would remove every member',
  view_shop_sensitive_data:
    "its customers requests with no data (HTTP 200, no error), so a sync could read no buyer's name",
};

/**
 * Says which capabilities the key's user lacks, how that was told, what EDD then answers, and which
 * roles have them. It names no key: credentials stay out of messages.
 */
export function missingCapabilitiesMessage(
  p: EddPermissions,
  missing: readonly EddNeededCapability[],
): string {
  const how = missing.map((c) => p[c].by).join('; ');
  if (missing.length === 1) {
    const c = missing[0]!;
    return (
      `the EDD API key's user lacks the ${c} capability (${how}): EDD answers ${WITHOUT[c]}. ` +
      `Grant it to that WordPress user (${ROLES_WITH[c]}), or use a key of a user who has it`
    );
  }
  return (
    `the EDD API key's user lacks the ${missing.join(' and ')} capabilities (${how}): EDD answers its ` +
    'sales and customers requests with no data (HTTP 200, no error), so a sync would find no purchasers ' +
    'and a mirror sync would remove every member. Grant them to that WordPress user (the Administrator ' +
    'and Shop Manager roles have both), or use a key of a user who has them'
  );
}
