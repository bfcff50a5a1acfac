import { EDD_CAPABILITIES, type EddCapability } from './auth';

/** The versions the emulator answers as (EDD 3.6.5 is the release its behaviour is read from). */
const WP_VERSION = '6.8.1';
const EDD_VERSION = '3.6.5';

/**
 * `GET /edd-api/v2/info`, reproducing EDD_API::get_info(): the permissions of the key's user, each
 * listed only when the user has it (`true`; a missing one is absent, never `false`), the site's
 * versions only to a user with `view_shop_sensitive_data`, and its currency settings to anyone.
 * No `integrations`: the emulated store runs none of the extensions EDD lists there.
 */
export function infoEndpoint(capabilities: ReadonlySet<EddCapability>): Record<string, unknown> {
  const info: Record<string, unknown> = {};
  const permissions: Partial<Record<EddCapability, true>> = {};
  for (const capability of EDD_CAPABILITIES) if (capabilities.has(capability)) permissions[capability] = true;
  if (Object.keys(permissions).length > 0) info.permissions = permissions;
  const site: Record<string, unknown> = {};
  if (capabilities.has('view_shop_sensitive_data')) {
    site.wp_version = WP_VERSION;
    site.edd_version = EDD_VERSION;
  }
  Object.assign(site, {
    currency: 'USD',
    currency_position: 'before',
    decimal_separator: '.',
    thousands_separator: ',',
  });
  info.site = site;
  return { info };
}
