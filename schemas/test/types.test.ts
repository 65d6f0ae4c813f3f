// Rule 9 of docs/schema-evolution.md: every message the national node writes has exactly the fields of its newest
// schema. What the node signs is taken where it hands it to be encoded (its submitter), from its own HTTP intake fed
// bodies that fill every optional field, so that a field the code forgets, or one a new version adds, shows.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@hub/config';
import { informationRequestFromJson } from '@hub/domain';
import type { KeptRequestNotice } from '@hub/national-node/request-notices';
import { minimal, startIntakeApp, type IntakeApp } from '../../services/national-node/test/intake-app';
import { loadSchemaRegistry } from '../src/registry';

const registry = loadSchemaRegistry();

/** Every message type the national node encodes and signs (what its sources hand to `submitter.submit`). */
const NODE_WRITES = [
  'SeizureReport',
  'SeizureRetraction',
  'RetentionRenewal',
  'TraffickingRoute',
  'AnnualSeizureReturn',
  'InformationRequest',
  'InformationResponse',
];

/** Field paths of a schema's records: 'place.lat', 'drugs[].quantity', ... */
function schemaPaths(schema: unknown, prefix = ''): string[] {
  const s = schema as { type?: unknown; fields?: { name: string; type: unknown }[]; items?: unknown };
  if (Array.isArray(schema)) return schema.flatMap((b) => schemaPaths(b, prefix));
  if (s && typeof s === 'object') {
    if (s.type === 'record')
      return (s.fields ?? []).flatMap((f) => [
        `${prefix}${f.name}`,
        ...schemaPaths(f.type, `${prefix}${f.name}.`),
      ]);
    if (s.type === 'array') return schemaPaths(s.items, prefix.replace(/\.$/, '[].'));
  }
  return [];
}

function valuePaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.length ? valuePaths(value[0], prefix.replace(/\.$/, '[].')) : [];
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    return Object.entries(value).flatMap(([k, v]) => [`${prefix}${k}`, ...valuePaths(v, `${prefix}${k}.`)]);
  }
  return [];
}

/** The message types the node's sources name where they submit a message to be signed. */
function typesSubmittedInSources(dir = join(repoRoot, 'services', 'national-node', 'src')): string[] {
  const found = new Set<string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const source = readFileSync(join(entry.parentPath, entry.name), 'utf8');
    for (const m of source.matchAll(/\.submit\(\s*'([A-Za-z]+)'/g)) found.add(m[1] as string);
  }
  return [...found].sort();
}

const TOKEN = 'schema-check-token-0123456789abcdef0123456789';
const AUTH = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
const HOUR = 3600000;

/** A request of UZ's to this node (KZ), as the node keeps the coordinator's notice carrying it. */
function requestFromUz(node: IntakeApp): string {
  const now = Date.now();
  const { value } = informationRequestFromJson(
    {
      to: 'KZ',
      subjectKind: 'other',
      purpose: 'criminal investigation 2026/117',
      question: 'Was this truck seen at your border before?',
      handling: { tlp: 'AMBER', releasableTo: ['KZ'] },
    },
    { nodeCountry: 'UZ', now, regions: new Set() },
  );
  const content = value as unknown as Record<string, unknown>;
  const notice: KeptRequestNotice = {
    noticeId: randomUUID(),
    kind: 'request',
    requestId: value.requestId,
    requester: 'UZ',
    addressee: 'KZ',
    dueAt: value.dueAt,
    reason: null,
    issuedAt: now,
    original: {
      messageId: randomUUID(),
      messageType: 'InformationRequest',
      origin: 'UZ',
      signedAt: now,
      signerFingerprint: 'f',
      envelope: '',
    },
    content,
  };
  node.inbound.add({
    messageId: notice.noticeId,
    messageType: 'RequestNotice',
    receivedAt: now,
    value: notice as unknown as Record<string, unknown>,
  });
  return value.requestId;
}

describe('TypeScript types checked against the schemas', () => {
  let node: IntakeApp;
  /** What the node handed to be signed, by message type (the first of each). */
  const signed = new Map<string, Record<string, unknown>>();

  before(async () => {
    node = await startIntakeApp({ clientTokens: [{ client: 'case-system', token: TOKEN }] });
    const post = async (path: string, body: unknown) => {
      const answer = await node.post(path, body, AUTH);
      expect(answer.status, `${path}: ${JSON.stringify(answer.body)}`).to.equal(202);
    };
    const reportId = randomUUID();
    const retracted = randomUUID();
    const report = { ...minimal, links: [{ kind: 'case', ref: 'KZ-2026-0042' }] };
    await post('/v1/seizures', { ...report, reportId });
    await post(`/v1/seizures/${reportId}/renew`, { reason: 'trial set for 2027' });
    await post('/v1/seizures', { ...report, reportId: retracted });
    await post(`/v1/seizures/${retracted}/retract`, { reason: 'entered twice' });
    await post('/v1/routes', {
      name: 'Pamir highway',
      substances: ['heroin'],
      legs: [{ from: 'AF', to: 'TJ', mode: 'road', via: 'Khorog' }],
      concealment: ['false floor'],
      periodFrom: '2025-01-01',
      periodTo: '2025-12-31',
      relatedReports: [reportId],
      description: 'trucks through the Pamir highway',
      handling: { tlp: 'AMBER', releasableTo: ['KG'], evaluation: 'B2' },
    });
    await post('/v1/annual-returns', {
      year: 2025,
      rows: [{ drugName: 'Heroin', drugGroup: 'Opioids', kilograms: 1250.5 }],
      source: 'Ministry of Internal Affairs',
      handling: { tlp: 'GREEN', releasableTo: ['KG'] },
    });
    await post('/v1/requests', {
      to: 'UZ',
      subjectKind: 'report',
      subjectRef: reportId,
      purpose: 'criminal investigation 2026/117',
      question: 'Was the driver of this shipment seen at your border before?',
      urgency: 'urgent',
      dueAt: new Date(Date.now() + 48 * HOUR).toISOString(),
      handling: { tlp: 'AMBER', releasableTo: ['UZ'] },
    });
    await post(`/v1/requests/${requestFromUz(node)}/response`, {
      status: 'answered',
      answer: 'Yes, twice in 2025.',
      relatedReports: [reportId],
      handling: { tlp: 'AMBER', releasableTo: ['UZ'] },
    });
    for (const s of node.submitted) if (!signed.has(s.type)) signed.set(s.type, s.value);
  });
  after(() => node?.close());

  it('covers every message type the national node submits to be signed', () => {
    expect(
      typesSubmittedInSources(),
      'types named by submitter.submit in services/national-node/src',
    ).to.deep.equal([...NODE_WRITES].sort());
  });

  for (const type of NODE_WRITES) {
    it(`the national node's ${type} has exactly the fields of the newest schema, and validates against it`, () => {
      const value = signed.get(type);
      expect(value, `no ${type} reached the node's submitter`).to.be.an('object');
      const latest = registry.latest(type);
      const fromSchema = new Set(schemaPaths(latest.type.schema()));
      const fromCode = new Set(valuePaths(value));
      expect(
        [...fromCode].filter((p) => !fromSchema.has(p)),
        `fields the code sets in ${type} that ${type} v${latest.version} lacks`,
      ).to.deep.equal([]);
      expect(
        [...fromSchema].filter((p) => !fromCode.has(p)),
        `fields of ${type} v${latest.version} the code never sets`,
      ).to.deep.equal([]);
      expect(latest.type.isValid(value), `valid as ${type} v${latest.version}`).to.equal(true);
    });
  }
});
