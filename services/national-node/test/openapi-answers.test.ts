// The node's OpenAPI description against its answers without a stack: information requests answered in part (their
// status and every answer, on both sides), a request sent again (duplicate) or under a taken id (409), and a CSV
// imported again (each report's duplicate and resentAfterRefusal). Each answer has the shape described for its route
// and status, and every field it carries is described. The same on the real stack, for every route:
// test/national-node/openapi-contract.test.ts.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { informationRequestFromJson, informationResponseFromJson } from '@hub/domain';
import { HubError } from '@hub/errors';
import { asJsonSchema } from '@hub/errors/openapi';
import { createLogger } from '@hub/observability';
import { fieldOf, openApiChecker, type OpenApiDoc } from '../../../test/support/openapi';
import { createSeizureAcceptor } from '../src/app';
import { nodeOpenApi } from '../src/openapi';
import { REQUEST_NOTICE, type KeptRequestNotice } from '../src/request-notices';
import { ReportsIndex } from '../src/reports-index';
import { createCsvImporter } from '../src/routes-csv';
import { minimal, startIntakeApp, type IntakeApp } from './intake-app';

type Schema = {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  required?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
};

/** The description as the node serves it (OpenAPI 3.0), and as a JSON Schema validator reads it. */
const served = nodeOpenApi('KZ') as unknown as OpenApiDoc;
const doc = asJsonSchema(served);
const api = openApiChecker(doc);
const regions = new Set(['central-asia']);

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

/** A component reference resolved. */
const resolved = (s: Schema): Schema =>
  s.$ref ? resolved(doc.components.schemas[s.$ref.split('/').pop()!] as Schema) : s;

/**
 * The fields of `body` that `schema` does not describe, as paths (requests[0].responses). An object described without
 * its properties is free-form (a signed record passed on whole), not looked into.
 */
function undescribed(schema: Schema, body: unknown, path = ''): string[] {
  const s = resolved(schema);
  if (Array.isArray(body))
    return s.items ? body.flatMap((v, i) => undescribed(s.items!, v, `${path}[${i}]`)) : [];
  if (body === null || typeof body !== 'object' || !s.properties) return [];
  return Object.entries(body).flatMap(([k, v]) => {
    const at = path ? `${path}.${k}` : k;
    return s.properties![k] ? undescribed(s.properties![k]!, v, at) : [at];
  });
}

/** Assert that `body` is as described for the route and status, and that every field it carries is described. */
function asDescribed(path: string, method: string, status: number, body: unknown): void {
  api.check(path, method, status, body);
  const schema = api.schemaFor(path, method, status) as Schema;
  expect(undescribed(schema, body), `${method} ${path} ${status}: fields not described`).to.deep.equal([]);
}

/** A notice of the coordinator as the node keeps it, carrying `content` signed by `origin`. */
function keep(
  node: IntakeApp,
  kind: 'request' | 'response',
  content: Record<string, unknown>,
  origin: string,
) {
  const notice: KeptRequestNotice = {
    noticeId: randomUUID(),
    kind,
    requestId: String(content.requestId),
    requester: kind === 'request' ? String(content.from) : String(content.to),
    addressee: kind === 'request' ? String(content.to) : String(content.from),
    dueAt: kind === 'request' ? (content.dueAt as number) : null,
    reason: null,
    issuedAt: Date.now(),
    original: {
      messageId: randomUUID(),
      messageType: kind === 'request' ? 'InformationRequest' : 'InformationResponse',
      origin,
      signedAt: Date.now(),
      signerFingerprint: 'f',
      envelope: '',
    },
    content,
  };
  node.inbound.add({
    messageId: notice.noticeId,
    messageType: REQUEST_NOTICE,
    receivedAt: Date.now(),
    value: notice as unknown as Record<string, unknown>,
  });
}

describe('national node: answers as its OpenAPI description says (no stack)', () => {
  let node: IntakeApp;
  beforeEach(async () => {
    node = await startIntakeApp();
  });
  afterEach(() => node.close());

  const list = async (query = '') => {
    const res = await fetch(`${node.url}/v1/requests${query}`);
    const body = (await res.json()) as { requests: Record<string, unknown>[] };
    asDescribed('/v1/requests', 'get', res.status, body);
    return body.requests;
  };

  it('describes requests answered in part, incoming and outgoing, with every answer', async () => {
    // UZ asked KZ; KZ answers in part.
    const incoming = informationRequestFromJson(
      { to: 'KZ', purpose: 'investigation', question: 'Seen this truck?', handling: { tlp: 'AMBER' } },
      { nodeCountry: 'UZ', now: Date.now(), regions },
    ).value;
    keep(node, 'request', incoming as unknown as Record<string, unknown>, 'UZ');
    const answered = await node.post(`/v1/requests/${incoming.requestId}/response`, {
      status: 'partial',
      answer: 'Once, so far.',
    });
    asDescribed('/v1/requests/{id}/response', 'post', answered.status, answered.body);
    expect(answered.status).to.equal(202);

    // KZ asks UZ, and UZ's partial answer comes back through the coordinator.
    const ask = {
      requestId: randomUUID(),
      to: 'UZ',
      purpose: 'investigation',
      question: 'Seen this truck before?',
      handling: { tlp: 'AMBER', releasableTo: ['UZ'] },
    };
    const asked = await node.post('/v1/requests', ask);
    asDescribed('/v1/requests', 'post', asked.status, asked.body);
    expect(asked.status).to.equal(202);
    const sent = node.submitted.find((s) => s.type === 'InformationRequest')!.value;
    const answer = informationResponseFromJson(
      { status: 'partial', answer: 'Twice in March.' },
      sent as never,
      { nodeCountry: 'UZ', now: Date.now(), regions },
    ).value;
    keep(node, 'response', answer as unknown as Record<string, unknown>, 'UZ');

    const requests = await list();
    expect(requests.map((r) => [r.direction, r.status])).to.have.deep.members([
      ['incoming', 'partial'],
      ['outgoing', 'partial'],
    ]);
    for (const r of requests) expect(r.responses, String(r.direction)).to.have.length(1);
    expect((await list('?status=partial')).map((r) => r.requestId)).to.have.members([
      incoming.requestId,
      ask.requestId,
    ]);

    // The same body again: its first answer, as a duplicate; another body under its id: 409.
    const again = await node.post('/v1/requests', ask);
    expect(again.status).to.equal(202);
    expect(again.body.duplicate).to.equal(true);
    asDescribed('/v1/requests', 'post', 202, again.body);
    const other = await node.post('/v1/requests', { ...ask, question: 'And this one?' });
    expect(other.status).to.equal(409);
    asDescribed('/v1/requests', 'post', 409, other.body);
    // Answered in full, then no more: 409.
    expect(
      (await node.post(`/v1/requests/${incoming.requestId}/response`, { answer: 'That is all.' })).status,
    ).to.equal(202);
    const more = await node.post(`/v1/requests/${incoming.requestId}/response`, { answer: 'One more.' });
    expect(more.status).to.equal(409);
    asDescribed('/v1/requests/{id}/response', 'post', 409, more.body);
    const [full] = await list('?direction=incoming');
    expect(full!.status).to.equal('answered');
    expect((full!.responses as { status: string }[]).map((a) => a.status)).to.deep.equal([
      'partial',
      'answered',
    ]);
  });

  it('describes each report of a CSV imported again: duplicate, resentAfterRefusal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-node-openapi-csv-'));
    const reports = new ReportsIndex(join(dir, 'reports.idx'));
    try {
      const refused: string[] = [];
      const acceptor = createSeizureAcceptor({
        country: 'KZ',
        reports,
        regions,
        submitter: { submit: async () => ({ messageId: randomUUID() }) },
        inbound: { refused: (_subjectId, messageId) => refused.includes(messageId) },
      });
      const importCsv = createCsvImporter({
        acceptor,
        logger: createLogger('test:csv', { level: 'silent' }),
      });
      const text = [
        'Seizure Reference,Seizure Date,Drug/Substance,Quantity Seized,Measurement Unit,Place,Agency,TLP',
        'DOC-1,2026-04-01,Heroin,2.5,kg,Khorgos,customs,AMBER',
        'DOC-2,2026-04-02,Opium,1,kg,Khorgos,customs,AMBER',
      ].join('\r\n');
      const first = await importCsv(text, { channel: 'csv' });
      refused.push(first.results[0]!.messageId!);
      // The body the route answers: the import's result without the refusal (none here).
      const { refusal, ...again } = await importCsv(text, { channel: 'csv' });
      expect(refusal).to.equal(undefined);
      expect(again.results[0]).to.have.property('resentAfterRefusal');
      expect(again.results[1]).to.include({ duplicate: true });
      for (const path of ['/v1/seizures/csv', '/v1/seizures/batch']) asDescribed(path, 'post', 202, again);
      const row = resolved(resolved(doc.components.schemas.CsvResult as Schema).properties!.results!.items!);
      for (const field of ['duplicate', 'resentAfterRefusal'])
        expect(row.properties, `a CSV result's ${field}`).to.have.property(field);
    } finally {
      reports.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** What the description says of a seizure report: allowed, or refused naming these fields. */
  const describedReport = (body: unknown) => {
    const v = api.validator({ $ref: '#/components/schemas/SeizureReport' });
    return { allowed: v(body), errors: v.errors ?? [] };
  };

  it('requires of a seizure report what its description requires, no more and no less', async () => {
    const bodies = [
      {},
      { drugs: [{}], conveyance: {}, route: [{}], arrested: [{}], links: [{}], handling: {} },
    ];
    for (const body of bodies) {
      const answer = await node.post('/v1/seizures', body);
      expect(answer.status, JSON.stringify(answer.body)).to.equal(400);
      const required = answer.body
        .errors!.filter((e) => e.message.startsWith('is required'))
        .map((e) => e.field);
      // handling.tlp is required of a handling not given at all too; the description stops at handling.
      const byNode = required.filter((f) => !required.some((g) => f.startsWith(`${g}.`)));
      const described = describedReport(body);
      const byDescription = described.errors.filter((e) => e.keyword === 'required').map(fieldOf);
      expect(byNode, JSON.stringify(body)).to.have.length.above(3);
      expect([...byDescription].sort(), `required of ${JSON.stringify(body)}`).to.deep.equal(
        [...byNode].sort(),
      );
    }
  });

  it('holds the numbers of a report to the bounds its description gives, as the node does', async () => {
    const report = served.components.schemas.SeizureReport as Schema;
    const drug = (minimal.drugs as Record<string, unknown>[])[0]!;
    const place = minimal.place as Record<string, unknown>;
    const ofDrug = (name: string) => report.properties!.drugs!.items!.properties![name]!;
    const ofPlace = (name: string) => report.properties!.place!.properties![name]!;
    // Each numeric field of a report, as the description gives it, and the report with a value in it.
    const cases: [string, Schema, (v: number) => Record<string, unknown>][] = [
      ['drugs[0].quantity', ofDrug('quantity'), (v) => ({ drugs: [{ ...drug, quantity: v }] })],
      ['drugs[0].purityPct', ofDrug('purityPct'), (v) => ({ drugs: [{ ...drug, purityPct: v }] })],
      ['drugs[0].packageCount', ofDrug('packageCount'), (v) => ({ drugs: [{ ...drug, packageCount: v }] })],
      ['place.lat', ofPlace('lat'), (v) => ({ place: { ...place, lat: v } })],
      ['place.lon', ofPlace('lon'), (v) => ({ place: { ...place, lon: v } })],
      [
        'arrested[0].count',
        report.properties!.arrested!.items!.properties!.count!,
        (v) => ({ arrested: [{ nationality: 'TJ', count: v }] }),
      ],
    ];
    let probes = 0;
    for (const [field, schema, set] of cases) {
      // Each bound the description gives (as OpenAPI 3.0 writes it, exclusive or not), and just beyond it.
      const values = [
        ...(schema.minimum === undefined ? [] : [schema.minimum, schema.minimum - 1]),
        ...(schema.maximum === undefined ? [] : [schema.maximum, schema.maximum + 1]),
      ];
      expect(values, `${field} has a bound`).to.not.deep.equal([]);
      for (const value of values) {
        const body = { ...minimal, ...set(value) };
        const described = describedReport(body);
        const answer = await node.post('/v1/seizures', body);
        const what = `${field} = ${value}: the description ${described.allowed ? 'allows' : 'refuses'} it, the node answers ${answer.status} ${JSON.stringify(answer.body.errors ?? [])}`;
        expect(answer.status, what).to.equal(described.allowed ? 202 : 400);
        if (!described.allowed) {
          expect(described.errors.map(fieldOf), what).to.include(field);
          expect(
            answer.body.errors!.map((e) => e.field),
            what,
          ).to.include(field);
        }
        probes++;
      }
    }
    // quantity has no maximum: the most it may weigh depends on its unit.
    expect(probes).to.equal(2 + 5 * 4);
  });

  it('describes a batch refused whole: its reports erased (409), or the node unable to sign (503), with each one’s results', async () => {
    const ids = [randomUUID(), randomUUID()];
    const first = await node.post(
      '/v1/seizures/batch',
      ids.map((reportId) => ({ ...minimal, reportId })),
    );
    expect(first.status, JSON.stringify(first.body)).to.equal(202);
    for (const reportId of ids)
      node.reports.erase({
        erasureId: `erasure-${reportId}`,
        subjectType: 'SeizureReport',
        subjectId: reportId,
        versionsUpTo: 1,
        originCountry: 'KZ',
        reasonCode: 'retention_expired',
        orderedAt: Date.parse('2026-12-01T00:00:00Z'),
      });
    // Their next versions, and an invalid report: nothing queued, each one's outcome said.
    const erased = await node.post('/v1/seizures/batch', [
      ...ids.map((reportId) => ({ ...minimal, reportId })),
      {},
    ]);
    expect(erased.status, JSON.stringify(erased.body)).to.equal(409);
    expect(erased.body.error?.code).to.equal('CONFLICT');
    expect((erased.body.results as { status: string }[]).map((r) => r.status)).to.deep.equal([
      'failed',
      'failed',
      'invalid',
    ]);
    asDescribed('/v1/seizures/batch', 'post', 409, erased.body);

    node.onSubmit = () => {
      throw new HubError('CERTIFICATE_INVALID', 'this node cannot sign: its certificate expired', {
        retriable: true,
      });
    };
    const unsigned = await node.post('/v1/seizures/batch', [{ ...minimal, reportId: randomUUID() }]);
    expect(unsigned.status, JSON.stringify(unsigned.body)).to.equal(503);
    asDescribed('/v1/seizures/batch', 'post', 503, unsigned.body);
    expect(undescribed(ref('BatchRefused'), unsigned.body)).to.deep.equal([]);
    const csv = [
      'Seizure Reference,Seizure Date,Drug/Substance,Quantity Seized,Measurement Unit,Place,Agency,TLP',
      'REFUSED-1,2026-04-01,Heroin,2.5,kg,Khorgos,customs,AMBER',
      'REFUSED-2,2026-04-01,Herion,1,kg,Khorgos,customs,AMBER',
    ].join('\n');
    for (const path of ['/v1/seizures/csv', '/v1/seizures/batch']) {
      const refused = await node.post(path, csv, { 'content-type': 'text/csv' });
      expect(refused.status, JSON.stringify(refused.body)).to.equal(503);
      asDescribed(path, 'post', 503, refused.body);
      expect(undescribed(ref('CsvRefused'), refused.body), path).to.deep.equal([]);
    }
  });

  it('describes the defaults a CSV import takes in its query, and the answer to one no report could take', async () => {
    for (const path of ['/v1/seizures/csv', '/v1/seizures/batch']) {
      const names = (
        served.paths[path]!.post as unknown as { parameters: { name: string }[] }
      ).parameters.map((p) => p.name);
      expect(names, path).to.deep.equal(['agency', 'tlp', 'releasableTo', 'evaluation']);
      const refused = await node.post(`${path}?tlp=AMBR`, 'Seizure Date\n2026-04-01', {
        'content-type': 'text/csv',
      });
      expect(refused.status).to.equal(400);
      asDescribed(path, 'post', 400, refused.body);
    }
  });
});
