import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

import type { DemoDataset } from '../demo-data';
import { FaultInjector, FaultStats } from '../shared/faults';
import type { FaultSettings } from '../shared/faults';
import { jsonReply, listen, sendEmpty, sendJson, textReply } from '../shared/http';
import type { Reply } from '../shared/http';
import { RequestCounter } from '../shared/request-counter';
import type { EmulatorHandle } from '../types';
import { EDD_CAPABILITIES, EddKeyring, eddToken, type EddApiKey } from './auth';
import { customersEndpoint } from './customers-endpoint';
import { eddFaultProfile } from './fault-profile';
import { infoEndpoint } from './info-endpoint';
import { productsEndpoint } from './products-endpoint';
import { salesEndpoint } from './sales-endpoint';
import { StoreActivity } from './store-activity';
import { EddStore, type SequentialOrderNumbers } from './store';

export interface EddEmulatorOptions {
  /** The store's content; see `generateDemoData`. */
  dataset: DemoDataset;
  /** The API user's public key (`key` query parameter). Its user is an administrator: it sees everything. */
  publicKey: string;
  /** The API user's secret key; only its md5 with the public key travels, as `token`. */
  secretKey: string;
  /**
   * More keys, of users with fewer capabilities (e.g. `DEMO_EDD_LIMITED_KEYS`). EDD answers such a
   * key HTTP 200 with no data where the user lacks a capability: sales `{}` without
   * `view_shop_reports`, customers `{}` without `view_shop_sensitive_data`, products without
   * `stats` or `notes`. Default none.
   */
  apiKeys?: readonly EddApiKey[];
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0: a random free port. */
  port?: number;
  /**
   * Faults active from the start, as `PUT /_admin/faults` takes them. Default none.
   * @throws FaultSettingsError (the promise rejects) when they cannot be used.
   */
  faults?: FaultSettings;
  /**
   * The store's "sequential order numbers" setting: sales then show `prefix + n + postfix` as their
   * `ID`, not the database ID that `sales?id=` looks up. Default off, as in EDD.
   */
  orderNumbers?: SequentialOrderNumbers;
}

/** Every query mode EDD accepts; anything else is `400 Invalid query!`. */
const ACCEPTED_ENDPOINTS = new Set([
  'stats',
  'products',
  'customers',
  'sales',
  'discounts',
  'file-download-logs',
  'info',
]);
const API_VERSIONS = new Set(['v1', 'v2']);
/** EDD always pretty-prints (JSON_PRETTY_PRINT, four spaces). */
const EDD_INDENT = 4;

interface RoutedRequest {
  endpoint: string;
  query: URLSearchParams;
}

type Route = { kind: 'api'; request: RoutedRequest } | { kind: 'reply'; status: number; body: unknown };

/**
 * Splits `/edd-api[/<version>]/<endpoint>`. Without a version EDD uses the site's default
 * (`edd_default_api_version`, v1 on a fresh site); the emulator serves the v2 shapes on every
 * path, so clients should always ask for `/edd-api/v2/...`.
 */
function route(pathname: string, query: URLSearchParams): Route | null {
  const match = /^\/edd-api(?:\/(.*))?$/.exec(pathname);
  if (!match) return null;
  const rest = (match[1] ?? '').replace(/^\/+|\/+$/g, '');
  if (rest === '') return null;
  let endpoint = rest;
  const slash = rest.indexOf('/');
  if (slash > 0) {
    const version = rest.slice(0, slash).toLowerCase();
    if (!API_VERSIONS.has(version)) {
      return { kind: 'reply', status: 404, body: { error: 'Invalid API version!' } };
    }
    endpoint = rest.slice(slash + 1);
  }
  if (!ACCEPTED_ENDPOINTS.has(endpoint)) {
    return { kind: 'reply', status: 400, body: { error: 'Invalid query!' } };
  }
  return { kind: 'api', request: { endpoint, query } };
}

/** Starts the EDD REST API emulator; `token` is the value clients must send with `key`. */
export async function startEddEmulator(
  opts: EddEmulatorOptions,
): Promise<EmulatorHandle & { token: string }> {
  const store = new EddStore(opts.dataset, opts.orderNumbers);
  const activity = new StoreActivity(store);
  const token = eddToken(opts.publicKey, opts.secretKey);
  const keyring = new EddKeyring([
    { publicKey: opts.publicKey, secretKey: opts.secretKey, capabilities: EDD_CAPABILITIES },
    ...(opts.apiKeys ?? []),
  ]);
  const counter = new RequestCounter();
  const salesReads = { list: 0, email: 0, id: 0 };
  const faultStats = new FaultStats();
  const faults = new FaultInjector(eddFaultProfile, { initial: opts.faults, stats: faultStats });
  let siteUrl = '';

  const serveApi = ({ endpoint, query }: RoutedRequest): Reply => {
    const started = performance.now();
    const auth = keyring.authenticate({ endpoint, key: query.get('key'), token: query.get('token') });
    if (auth.kind === 'rejected') return jsonReply(auth.status, { error: auth.error }, {}, EDD_INDENT);
    const capabilities = auth.kind === 'authenticated' ? auth.capabilities : new Set<never>();
    let data: Record<string, unknown>;
    // Without the capability EDD returns an empty array before it reads anything: HTTP 200, no
    // error, only `request_speed` (get_customers() and get_recent_sales() in class-edd-api-v2.php).
    if (endpoint === 'customers') {
      data = capabilities.has('view_shop_sensitive_data') ? customersEndpoint(store, query) : {};
    } else if (endpoint === 'sales') {
      // A store that keeps selling: orders come and go between one page of the list and the next.
      if (!query.has('id') && !query.has('purchasekey')) activity.beforeSalesList();
      data = capabilities.has('view_shop_reports') ? salesEndpoint(store, query) : {};
    } else if (endpoint === 'products') {
      data = productsEndpoint(store, query, { siteUrl, capabilities });
    } else if (endpoint === 'info') {
      data = infoEndpoint(capabilities);
    } else {
      return jsonReply(
        501,
        { error: `The emulator does not implement the ${endpoint} endpoint.` },
        {},
        EDD_INDENT,
      );
    }
    // EDD appends the handling time (seconds) to every answered query, errors like "No customers found!" included.
    data.request_speed = (performance.now() - started) / 1000;
    return jsonReply(200, data, {}, EDD_INDENT);
  };

  const handleApi = (url: URL): Reply => {
    const routed = route(url.pathname, url.searchParams);
    if (!routed) {
      counter.record('other', 404);
      return textReply(404, 'Not Found');
    }
    if (routed.kind === 'reply') {
      counter.record('invalid', routed.status);
      return jsonReply(routed.status, routed.body, {}, EDD_INDENT);
    }
    const reply = serveApi(routed.request);
    counter.record(routed.request.endpoint, reply.status);
    if (routed.request.endpoint === 'sales') {
      // Reads of the sales list (pages and windows of it) apart from look-ups of one order or email.
      const kind = url.searchParams.has('email') ? 'email' : url.searchParams.has('id') ? 'id' : 'list';
      salesReads[kind]++;
    }
    return reply;
  };

  const serveAdmin = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    if (await faults.serveAdmin(req, res, path)) return;
    if (await activity.serveAdmin(req, res, path)) return;
    if (path === '/_admin/stats') {
      sendJson(res, 200, {
        requests: counter.toJSON(),
        salesReads: { ...salesReads },
        faults: faultStats.toJSON(),
      });
    } else if (path === '/_admin/reset' && req.method === 'POST') {
      counter.reset();
      Object.assign(salesReads, { list: 0, email: 0, id: 0 });
      faultStats.reset();
      // The fault settings stay; their sequence starts over.
      faults.restart();
      sendEmpty(res, 204);
    } else {
      sendJson(res, 404, { error: 'Unknown admin endpoint.' });
    }
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator.local');
    // Admin requests are never faulted; every other request meets its fault (if any) before WordPress sees it.
    const work = url.pathname.startsWith('/_admin/')
      ? serveAdmin(req, res, url.pathname)
      : faults.serve(req, res, () => Promise.resolve(handleApi(url)));
    work.catch((err: unknown) => {
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
    });
  });
  const handle = await listen(server, opts.host ?? '127.0.0.1', opts.port ?? 0);
  siteUrl = handle.url;
  return { ...handle, token };
}
