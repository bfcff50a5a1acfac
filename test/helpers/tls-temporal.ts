import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { findTemporalServer } from '../../dev/temporal/find-server';
import { registerSearchAttributes } from '../../dev/temporal/search-attributes';
import { eventually } from './eventually';
import { freePort } from './ports';

/** PEM files made for one test run with `openssl`: a CA, a server and a client certificate it signed, and another CA. */
export interface TestCertificates {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here: a client trusting only it must refuse the server. */
  otherCa: string;
}

function openssl(dir: string, args: string[]): void {
  const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
}

/** A CA, a server certificate for localhost and 127.0.0.1, a client certificate (mTLS) and another CA. */
export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'campaign-sync-tls-'));
  writeFileSync(
    join(dir, 'ext.cnf'),
    [
      '[server_cert]',
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature, keyEncipherment',
      'extendedKeyUsage = serverAuth, clientAuth',
      'subjectAltName = DNS:localhost, IP:127.0.0.1',
      '[client_cert]',
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature, keyEncipherment',
      'extendedKeyUsage = clientAuth',
      'subjectAltName = DNS:campaign-sync-worker',
      '',
    ].join('\n'),
  );
  for (const name of ['ca', 'other-ca', 'server', 'client'])
    openssl(dir, [
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-out',
      `${name}.key`,
    ]);
  for (const name of ['ca', 'other-ca'])
    openssl(dir, [
      'req', '-x509', '-new', '-key', `${name}.key`, '-subj', `/CN=campaign-sync test ${name}`, '-days', '2',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-out', `${name}.pem`,
    ]); // prettier-ignore
  for (const [name, cn] of [
    ['server', 'localhost'],
    ['client', 'campaign-sync-worker'],
  ] as const) {
    openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`]);
    openssl(dir, [
      'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
      '-extfile', 'ext.cnf', '-extensions', `${name}_cert`, '-out', `${name}.pem`,
    ]); // prettier-ignore
  }
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
    otherCa: join(dir, 'other-ca.pem'),
  };
}

export interface TlsTemporalServer {
  /** `localhost:<port>`: the name the server certificate holds. */
  address: string;
  certs: TestCertificates;
  /** The environment a worker or the CLI connects with (mTLS, the test CA). */
  env: Record<string, string>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * A real Temporal server (the full server binary, {@link findTemporalServer}; the CLI's dev server
 * takes no TLS settings) whose frontend requires TLS with a client certificate (mTLS), with the
 * certificates made by {@link makeCertificates}, SQLite in memory, the namespace `default` and the
 * project's search attributes.
 */
export async function startTlsTemporal(log?: (m: string) => void): Promise<TlsTemporalServer> {
  const certs = makeCertificates();
  const binary = findTemporalServer({ log });
  const [grpc, http, history, matching, worker] = await Promise.all([1, 2, 3, 4, 5].map(() => freePort()));
  // Membership ports must be below 32768 (the server keeps them in a smallint): pick from a range
  // from the frontend port, which freePort takes from the kernel's (higher) ephemeral range.
  const membership = await lowPorts(4);
  const root = join(certs.dir, 'server');
  mkdirSync(join(root, 'config'), { recursive: true });
  const sqlite = (name: string) => ({
    sql: {
      pluginName: 'sqlite',
      databaseName: name,
      connectAddr: 'localhost',
      connectProtocol: 'tcp',
      connectAttributes: { mode: 'memory', cache: 'private' },
      maxConns: 1,
      maxIdleConns: 1,
      maxConnLifetime: '1h',
    },
  });
  const clientTls = { serverName: 'localhost', rootCaFiles: [certs.ca] };
  const config = {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'sqlite-default',
      visibilityStore: 'sqlite-visibility',
      numHistoryShards: 1,
      datastores: { 'sqlite-default': sqlite('default'), 'sqlite-visibility': sqlite('default') },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      tls: {
        frontend: {
          server: {
            certFile: certs.serverCert,
            keyFile: certs.serverKey,
            requireClientAuth: true,
            clientCaFiles: [certs.ca],
          },
          client: clientTls,
        },
        // The server's own system workers connect to its frontend, with a client certificate too.
        systemWorker: { certFile: certs.clientCert, keyFile: certs.clientKey, client: clientTls },
      },
    },
    services: {
      frontend: {
        rpc: { grpcPort: grpc, membershipPort: membership[0], bindOnLocalHost: true, httpPort: http },
      },
      history: { rpc: { grpcPort: history, membershipPort: membership[1], bindOnLocalHost: true } },
      matching: { rpc: { grpcPort: matching, membershipPort: membership[2], bindOnLocalHost: true } },
      worker: { rpc: { grpcPort: worker, membershipPort: membership[3], bindOnLocalHost: true } },
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `localhost:${grpc}`,
          httpAddress: `localhost:${http}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
  };
  // YAML is a superset of JSON.
  writeFileSync(join(root, 'config', 'tls.yaml'), JSON.stringify(config, null, 2));
  let output = '';
  const child: ChildProcess = spawn(
    binary,
    ['--root', root, '--config', 'config', '--env', 'tls', '--allow-no-auth', 'start'],
    // Its own environment only: the server reads TEMPORAL_* variables of its own.
    { env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = `localhost:${grpc}`;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(certs.dir, { recursive: true, force: true });
  };
  try {
    const connection = await waitForFrontend(
      address,
      certs,
      () => child.exitCode !== null,
      () => output,
    );
    try {
      await connection.workflowService.registerNamespace({
        namespace: 'default',
        workflowExecutionRetentionPeriod: msToTs('1 day'),
      });
      // A namespace the server's caches do not know yet: ask again until they do.
      await eventually(
        'the search attributes registered',
        () => registerSearchAttributes(connection, 'default'),
        { retryErrors: true, timeoutMs: 30_000, intervalMs: 500 },
      );
    } finally {
      await connection.close();
    }
  } catch (err) {
    await stop();
    throw new Error(`the TLS Temporal server did not start: ${(err as Error).message}\n${output}`);
  }
  return {
    address,
    certs,
    env: {
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca,
      TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
    },
    output: () => output,
    stop,
  };
}

async function waitForFrontend(
  address: string,
  certs: TestCertificates,
  exited: () => boolean,
  output: () => string,
): Promise<Connection> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited()) throw new Error(`the server exited:\n${output()}`);
    try {
      return await Connection.connect({
        address,
        connectTimeout: '2s',
        tls: {
          serverRootCACertificate: readFileSync(certs.ca),
          clientCertPair: { crt: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) },
        },
      });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** `count` consecutive free ports below 32768. */
async function lowPorts(count: number): Promise<number[]> {
  const isFree = (port: number) =>
    new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const start = 20_000 + Math.floor(Math.random() * 12_000);
    const ports = Array.from({ length: count }, (_, i) => start + i);
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) return ports;
  }
  throw new Error('no free ports below 32768');
}
