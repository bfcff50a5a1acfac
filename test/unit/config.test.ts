import { ConfigError, eddToken, loadConfig, providerSettings } from '../../src/config';

describe('config', () => {
  it('has a default for every option', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: 'campaign-sync',
      MAILERLITE_BASE_URL: 'https://connect.mailerlite.com/api',
      HTTP_TIMEOUT_MS: 30_000,
      LOG_LEVEL: 'info',
      LOG_PRETTY: false,
    });
    expect(config.TEMPORAL_ADDRESS).toBeUndefined();
  });

  it('takes MAILERLITE_LIST_LIMIT from 1 to 10000, default 1000, naming it when wrong', () => {
    expect(loadConfig({}).MAILERLITE_LIST_LIMIT).toBe(1000);
    expect(loadConfig({ MAILERLITE_LIST_LIMIT: '100' }).MAILERLITE_LIST_LIMIT).toBe(100);
    for (const wrong of ['0', '10001', '2.5', 'many']) {
      expect(() => loadConfig({ MAILERLITE_LIST_LIMIT: wrong })).toThrow(/MAILERLITE_LIST_LIMIT: /);
    }
  });

  it('takes MAILERLITE_MAX_GROUPS, default 1000 (the account limit), naming it when wrong', () => {
    expect(loadConfig({}).MAILERLITE_MAX_GROUPS).toBe(1000);
    expect(loadConfig({ MAILERLITE_MAX_GROUPS: '250' }).MAILERLITE_MAX_GROUPS).toBe(250);
    expect(() => loadConfig({ MAILERLITE_MAX_GROUPS: '0' })).toThrow(/MAILERLITE_MAX_GROUPS: /);
  });

  it('parses booleans explicitly and names every wrong variable', () => {
    expect(loadConfig({ LOG_PRETTY: 'true' }).LOG_PRETTY).toBe(true);
    expect(loadConfig({ LOG_PRETTY: 'false' }).LOG_PRETTY).toBe(false);
    let error: unknown;
    try {
      loadConfig({ LOG_PRETTY: 'yes', HTTP_TIMEOUT_MS: 'soon', EDD_BASE_URL: 'not a url' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^LOG_PRETTY: /m);
    expect(problems).toMatch(/^HTTP_TIMEOUT_MS: /m);
    expect(problems).toMatch(/^EDD_BASE_URL: /m);
  });

  it('computes the EDD token from the secret key and says which credentials are missing', () => {
    const settings = providerSettings(
      loadConfig({
        EDD_BASE_URL: 'http://shop.test',
        EDD_PUBLIC_KEY: 'pub',
        EDD_SECRET_KEY: 'sec',
        MAILERLITE_API_TOKEN: 't',
      }),
    );
    expect(settings.edd.token).toBe(eddToken('sec', 'pub'));
    expect(settings.edd.token).toMatch(/^[0-9a-f]{32}$/);
    expect(() => providerSettings(loadConfig({}))).toThrow(
      /EDD_BASE_URL[\s\S]*EDD_PUBLIC_KEY[\s\S]*EDD_TOKEN or EDD_SECRET_KEY[\s\S]*MAILERLITE_API_TOKEN/,
    );
  });
});
