/**
 * HTML pages a WordPress site (or what stands in front of it) answers with instead of EDD's JSON.
 * Shortened to what identifies them; clients should only need the status and that the body is not JSON.
 */

/** What WordPress shows when PHP dies with a fatal error (HTTP 500, WordPress 5.2+). */
export const WP_FATAL_HTML =
  '<!DOCTYPE html><html><body><p>There has been a critical error on this website.</p></body></html>';

/** nginx in front of PHP-FPM when PHP is down or timed out (HTTP 502). */
export const NGINX_BAD_GATEWAY_HTML =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

/**
 * WordPress maintenance mode, `wp_maintenance()` during updates (HTTP 503). The real page also
 * sends `Retry-After: 600`; the emulator leaves it out so a client that obeys it does not stall a
 * test for ten minutes.
 */
export const WP_MAINTENANCE_HTML =
  '<!DOCTYPE html><html><head><title>Maintenance</title></head><body><p>Briefly unavailable for scheduled maintenance. Check back in a minute.</p></body></html>';

/**
 * EDD core has no rate limit; a 429 comes from the host's firewall or CDN. This is shaped after
 * Cloudflare's "Error 1015 — You are being rate limited" page (*unconfirmed* details).
 */
export const WAF_RATE_LIMITED_HTML =
  '<!DOCTYPE html><html><head><title>Access denied | rate limited</title></head><body><h1>Error 1015</h1><h2>You are being rate limited</h2><p>The owner of this website has banned you temporarily from accessing this website.</p></body></html>';
