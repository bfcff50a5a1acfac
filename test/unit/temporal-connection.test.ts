import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ConfigError, loadConfig, loadTemporalConnection } from '../../src/config';
import { checkConfig } from '../../src/client/config-check';
import { uiBaseUrl } from '../../src/temporal/ui-link';

// Only the PEM armour is looked at before connecting; real certificates are made by the TLS
// integration test (test/integration/temporal-tls.test.ts).
const CERT = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIEsecretkeymaterial\n-----END PRIVATE KEY-----\n';
const API_KEY = 'tmprl-api-key-do-not-print';

let dir: string;
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'temporal-connection-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.join('\n');
  }
  throw new Error('expected a ConfigError');
}

describe('loadTemporalConnection (the worker, the CLI and the main job connect with it)', () => {
  it('keeps the defaults: localhost:7233, namespace default, no TLS, no credentials', () => {
    for (const env of [{}, { TEMPORAL_ADDRESS: '  ', TEMPORAL_NAMESPACE: '' }]) {
      const c = loadTemporalConnection(env);
      expect(c.address).toBe('localhost:7233');
      expect(c.namespace).toBe('default');
      expect(c.connectionOptions()).toEqual({ address: 'localhost:7233' });
      expect(c.summary).toMatchObject({ tls: false, apiKey: false, clientCertificate: false });
      expect(c.settings.defaultAddress).toBe(true);
    }
  });

  it('sends an API key over TLS with the system trust store, and never shows the key', () => {
    const c = loadTemporalConnection({
      TEMPORAL_ADDRESS: 'marketing.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'marketing.a1b2c',
      TEMPORAL_API_KEY: API_KEY,
    });
    expect(c.connectionOptions()).toEqual({
      address: 'marketing.a1b2c.tmprl.cloud:7233',
      apiKey: API_KEY,
      tls: {},
    });
    expect(c.summary).toMatchObject({ tls: true, apiKey: true, serverCa: "the system's trust store" });
    for (const shown of [JSON.stringify(c), inspect(c), c.describe(), JSON.stringify({ ...c })]) {
      expect(shown).not.toContain(API_KEY);
      expect(shown).toContain('marketing.a1b2c.tmprl.cloud:7233');
    }
  });

  it('reads mTLS files named by the variables, and names the variable in the summary', () => {
    const ca = file('ca.pem', CERT);
    const env = {
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca,
      TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem', CERT),
      TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.key', KEY),
      TEMPORAL_TLS_SERVER_NAME: 'temporal',
    };
    const c = loadTemporalConnection(env);
    const { tls } = c.connectionOptions();
    expect(Buffer.from(tls!.serverRootCACertificate!).toString()).toBe(CERT);
    expect(Buffer.from(tls!.clientCertPair!.key).toString()).toBe(KEY);
    expect(tls!.serverNameOverride).toBe('temporal');
    expect(c.summary).toMatchObject({
      tls: true,
      clientCertificate: true,
      serverCa: `TEMPORAL_TLS_SERVER_CA_CERT_PATH=${ca}`,
      serverName: 'temporal',
    });
    for (const shown of [JSON.stringify(c), inspect(c), JSON.stringify(checkConfig(env))]) {
      expect(shown).not.toContain('secretkeymaterial');
    }
  });

  it('names the variable and the path of a missing or wrong file, without echoing a key', () => {
    const missing = join(dir, 'nope', 'ca.pem');
    expect(problemsOf(() => loadTemporalConnection({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: missing }))).toBe(
      `TEMPORAL_TLS_SERVER_CA_CERT_PATH=${missing}: no such file; it should hold the CA certificate that signed the server's certificate.`,
    );
    const notPem = file('client.key', 'secretkeymaterial, not PEM');
    const wrong = problemsOf(() =>
      loadTemporalConnection({
        TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem', CERT),
        TEMPORAL_TLS_CLIENT_KEY_PATH: notPem,
      }),
    );
    expect(wrong).toMatch(`TEMPORAL_TLS_CLIENT_KEY_PATH=${notPem}: not a PEM private key`);
    expect(wrong).not.toContain('secretkeymaterial');
    expect(
      problemsOf(() => loadTemporalConnection({ TEMPORAL_TLS_CLIENT_CERT_PATH: file('c.pem', CERT) })),
    ).toMatch(/TEMPORAL_TLS_CLIENT_CERT_PATH=.* is set but no key is: set TEMPORAL_TLS_CLIENT_KEY_PATH/);
    expect(
      problemsOf(() => loadTemporalConnection({ TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true' })),
    ).toMatch(/^TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: not supported/);
  });

  it("takes a profile of Temporal's config file, the environment overriding it", () => {
    const ca = file('ca.pem', CERT);
    const configFile = file(
      'temporal.toml',
      [
        '[profile.default]',
        'address = "localhost:7233"',
        '[profile.prod]',
        'address = "temporal.example.internal:7233"',
        'namespace = "marketing"',
        '[profile.prod.tls]',
        `server_ca_cert_path = "${ca}"`,
        `client_cert_path = "${join(dir, 'gone.pem')}"`,
        `client_key_path = "${file('client.key', KEY)}"`,
      ].join('\n'),
    );
    // A profile naming a certificate that is not there: the key, the profile and the file are named.
    expect(
      problemsOf(() =>
        loadTemporalConnection({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'prod' }),
      ),
    ).toBe(
      `tls.client_cert_path of [profile.prod] in ${configFile} = "${join(dir, 'gone.pem')}": no such file; it should hold the client certificate (mTLS).`,
    );
    // The environment overrides the file: here the missing certificate, and the namespace.
    const env = {
      TEMPORAL_CONFIG_FILE: configFile,
      TEMPORAL_PROFILE: 'prod',
      TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem', CERT),
      TEMPORAL_NAMESPACE: 'marketing-test',
    };
    const c = loadTemporalConnection(env);
    expect(c.address).toBe('temporal.example.internal:7233');
    expect(c.namespace).toBe('marketing-test');
    expect(c.summary).toMatchObject({
      tls: true,
      clientCertificate: true,
      profile: 'prod',
      configFile,
      serverCa: `tls.server_ca_cert_path of [profile.prod] in ${configFile} = "${ca}"`,
    });
    // loadConfig agrees, so UI links and messages name the server connected to.
    expect(loadConfig(env)).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal.example.internal:7233',
      TEMPORAL_NAMESPACE: 'marketing-test',
    });
    expect(loadConfig({ TEMPORAL_CONFIG_FILE: configFile }).TEMPORAL_ADDRESS).toBe('localhost:7233');
  });

  it('says which profiles exist, and names a config file that is not there or not TOML', () => {
    const configFile = file('temporal.toml', '[profile.default]\n[profile.prod]\naddress = "x:7233"\n');
    expect(
      problemsOf(() =>
        loadTemporalConnection({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'staging' }),
      ),
    ).toBe(
      `TEMPORAL_PROFILE=staging: ${configFile} has no [profile.staging] (it has 'default', 'prod'). Set TEMPORAL_PROFILE to one of its profiles, or unset it.`,
    );
    const gone = join(dir, 'gone.toml');
    expect(problemsOf(() => loadConfig({ TEMPORAL_CONFIG_FILE: gone }))).toMatch(
      `TEMPORAL_CONFIG_FILE=${gone}: no such file.`,
    );
    const broken = file('broken.toml', '[profile.default\naddress = ');
    expect(problemsOf(() => loadTemporalConnection({ TEMPORAL_CONFIG_FILE: broken }))).toMatch(
      `TEMPORAL_CONFIG_FILE=${broken}: not a valid Temporal client config file`,
    );
  });

  it('reads the default config file from the home folder, as the temporal CLI does', () => {
    const home = join(dir, 'home');
    const configDir = join(home, '.config', 'temporalio');
    mkdirSync(configDir, { recursive: true });
    writeFileSync(join(configDir, 'temporal.toml'), '[profile.default]\nnamespace = "from-home"\n');
    expect(loadTemporalConnection({ HOME: home }).namespace).toBe('from-home');
    expect(readFileSync(join(configDir, 'temporal.toml'), 'utf8')).toContain('from-home');
  });
});

describe('config check', () => {
  it('lists the connection variables, hides the API key and key data, and reports a missing file', () => {
    const check = checkConfig({
      TEMPORAL_API_KEY: API_KEY,
      TEMPORAL_TLS_CLIENT_KEY_DATA: KEY,
      TEMPORAL_TLS_CLIENT_CERT_DATA: CERT,
    });
    expect(check.ok).toBe(true);
    const shown = JSON.stringify(check);
    expect(shown).not.toContain(API_KEY);
    expect(shown).not.toContain('secretkeymaterial');
    expect(check.variables.find((v) => v.name === 'TEMPORAL_API_KEY')?.value).toMatch(/hidden/);
    expect(check.temporal).toMatchObject({ tls: true, apiKey: true, clientCertificate: true });

    const missing = join(dir, 'ca.pem');
    const bad = checkConfig({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: missing, TEMPORAL_TLS: 'yes' });
    expect(bad.ok).toBe(false);
    expect(bad.problems.join('\n')).toMatch(/^TEMPORAL_TLS: /m);
    const fileProblem = checkConfig({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: missing });
    expect(fileProblem.problems).toEqual([
      `TEMPORAL_TLS_SERVER_CA_CERT_PATH=${missing}: no such file; it should hold the CA certificate that signed the server's certificate.`,
    ]);
  });
});

describe('UI links', () => {
  it("point at Temporal Cloud's UI for a Cloud endpoint, unless TEMPORAL_UI_URL says otherwise", () => {
    expect(uiBaseUrl('marketing.a1b2c.tmprl.cloud:7233')).toBe('https://cloud.temporal.io');
    expect(uiBaseUrl('us-east-1.aws.api.temporal.io:7233')).toBe('https://cloud.temporal.io');
    expect(uiBaseUrl('us-east-1.aws.api.temporal.io:7233', 'https://ui.example/')).toBe('https://ui.example');
    expect(uiBaseUrl('localhost:7233')).toBe('http://localhost:8233');
  });
});
