import { EXIT } from '../../src/client/errors';
import { runCliCaptured } from '../helpers/cli';
import { albums, startStack, uniqueCampaign, type Stack } from '../helpers/stack';
import { uniqueTaskQueue } from '../helpers/temporal';
import { startTlsTemporal, type TlsTemporalServer } from '../helpers/tls-temporal';
import { spawnWorkerProcess, startWorkerProcess } from '../helpers/worker-process';
import { DEMO_EDD_PUBLIC_KEY, DEMO_EDD_SECRET_KEY, DEMO_MAILERLITE_TOKEN } from '../../dev/emulators';

/**
 * A real Temporal server whose frontend requires TLS with a client certificate (mTLS), with a CA
 * and certificates made by this test: the worker process, the CLI and `config check --connect`
 * connect to it with the TEMPORAL_TLS_* settings only.
 */
let server: TlsTemporalServer;
let stack: Stack;

// A first run builds the server with go install (minutes; `npm run temporal-server:ensure` does it ahead).
beforeAll(async () => {
  server = await startTlsTemporal((m) => process.stderr.write(`${m}\n`));
  stack = await startStack({ customers: 200 });
}, 900_000);
afterAll(async () => {
  await stack?.close();
  await server?.stop();
});

/** What a worker on this host would have in its environment: the providers and the TLS settings. */
function workerEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    EDD_BASE_URL: stack.edd.url,
    EDD_PUBLIC_KEY: DEMO_EDD_PUBLIC_KEY,
    EDD_SECRET_KEY: DEMO_EDD_SECRET_KEY,
    MAILERLITE_BASE_URL: `${stack.mailerlite.url}/api`,
    MAILERLITE_API_TOKEN: DEMO_MAILERLITE_TOKEN,
    ...server.env,
    ...extra,
  };
}

describe('Temporal over TLS (a real server with certificates made in the test)', () => {
  it('runs a sync: the worker process and the CLI connect with mTLS; config check --connect passes', async () => {
    const taskQueue = uniqueTaskQueue('tls');
    const worker = await startWorkerProcess(server.address, taskQueue, stack, 0, server.env);
    try {
      // The worker says how it connected, without the key.
      expect(worker.output()).toMatch(/"tls":true,"clientCertificate":true/);
      expect(worker.output()).not.toMatch(/BEGIN PRIVATE KEY/);

      const campaign = uniqueCampaign();
      const productId = String(albums(stack.dataset)[0]!.id);
      const run = await runCliCaptured(['sync', 'start', campaign, '--product-id', productId, '--wait'], {
        address: server.address,
        taskQueue,
        env: server.env,
      });
      expect(run.err).toBe('');
      expect(run.code).toBe(EXIT.ok);
      expect(run.out).toMatch(new RegExp(`Campaign ${campaign} \\(EDD product ${productId}\\): completed`));
      expect(run.out).toMatch(/created\s+[1-9]\d*/);

      const status = await runCliCaptured(['sync', 'status', campaign, '--json'], {
        address: server.address,
        taskQueue,
        env: server.env,
      });
      expect(JSON.parse(status.out)).toMatchObject({ status: 'COMPLETED' });
    } finally {
      await worker.stop();
    }

    const check = await runCliCaptured(['config', 'check', '--connect'], {
      address: server.address,
      taskQueue,
      env: workerEnv(),
    });
    expect(check.code).toBe(EXIT.ok);
    expect(check.out).toMatch(
      new RegExp(
        `ok\\s+Temporal\\s+connected to ${server.address} \\(namespace default, TLS with a client certificate, ` +
          `CA from TEMPORAL_TLS_SERVER_CA_CERT_PATH=${server.certs.ca}\\) as the CLI \\(\\d+ ms\\) and as the worker ` +
          `\\(\\d+ ms\\); the 5 search attributes the workflows set are registered in namespace default`,
      ),
    );
    expect(check.out).toMatch(/ok\s+EDD\s+http:\/\/127\.0\.0\.1:\d+ accepted the credentials/);
    expect(check.out).toMatch(/ok\s+MailerLite\s+http:\/\/127\.0\.0\.1:\d+\/api accepted the credentials/);
  });

  it('refuses a server certificate a wrong CA does not vouch for, naming the setting, in the CLI and the worker', async () => {
    const env = { ...server.env, TEMPORAL_TLS_SERVER_CA_CERT_PATH: server.certs.otherCa };
    const setting = `TEMPORAL_TLS_SERVER_CA_CERT_PATH=${server.certs.otherCa}`;
    const status = await runCliCaptured(['sync', 'status', uniqueCampaign()], {
      address: server.address,
      taskQueue: uniqueTaskQueue('tls'),
      env,
    });
    expect(status.code).toBe(EXIT.failed);
    expect(status.err).toContain(`Could not connect to Temporal at ${server.address}`);
    expect(status.err).toContain(
      `The server's certificate is not signed by the CA of ${setting}: set TEMPORAL_TLS_SERVER_CA_CERT_PATH`,
    );

    const worker = spawnWorkerProcess(server.address, uniqueTaskQueue('tls'), stack, 0, env);
    expect(await worker.exited).toBe(1);
    expect(worker.output()).toContain(`The server's certificate is not signed by the CA of ${setting}`);

    const check = await runCliCaptured(['config', 'check', '--connect'], {
      address: server.address,
      taskQueue: uniqueTaskQueue('tls'),
      env: workerEnv({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: server.certs.otherCa }),
    });
    expect(check.code).toBe(EXIT.failed);
    expect(check.out).toMatch(/FAIL\s+Temporal\s+Could not connect/);
    expect(check.out).toContain(setting);
  });

  it('says what is missing: the client certificate the server asks for, a certificate file that is not there', async () => {
    const noClientCert = spawnWorkerProcess(server.address, uniqueTaskQueue('tls'), stack, 0, {
      ...server.env,
      TEMPORAL_TLS_CLIENT_CERT_PATH: '',
      TEMPORAL_TLS_CLIENT_KEY_PATH: '',
    });
    expect(await noClientCert.exited).toBe(1);
    expect(noClientCert.output()).toContain(
      'The server asks for a client certificate (mTLS): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH.',
    );

    const missing = `${server.certs.dir}/no-such-client.pem`;
    const cli = await runCliCaptured(['locks'], {
      address: server.address,
      taskQueue: uniqueTaskQueue('tls'),
      env: { ...server.env, TEMPORAL_TLS_CLIENT_CERT_PATH: missing },
    });
    expect(cli.code).toBe(EXIT.invalidInput);
    expect(cli.err).toContain(`TEMPORAL_TLS_CLIENT_CERT_PATH=${missing}: no such file`);
  });
});
