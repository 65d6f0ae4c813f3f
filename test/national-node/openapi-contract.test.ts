// The national node's OpenAPI description (/openapi.json) is what an agency's IT team builds its client from. On the
// real stack: every route the node serves is described; every body the description allows (the example, the demo
// data, each kind of item) is accepted; the bodies it refuses are refused by the node too, naming the same field;
// and every answer has the shape described for its route and status.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoReports } from '@hub/cli/demo/reports';
import { repoRoot } from '@hub/config';
import { asJsonSchema } from '@hub/errors/openapi';
import { TEXT_MAX } from '@hub/schemas';
import { createApp, type NodeAppDeps } from '@hub/national-node';
import { createMetricsRegistry } from '@hub/observability';
import { waitUntil } from '../support/env';
import { getJson, minimalReport, useTestHub } from '../support/hub';
import {
  expectEveryRouteDescribed,
  fieldOf,
  openApiChecker,
  servedRoutes,
  type OpenApiChecker,
  type OpenApiDoc,
} from '../support/openapi';

describe('national node: bodies and answers as its OpenAPI description says', function () {
  this.timeout(120000);
  const fx = useTestHub('node-openapi', ['KZ', 'UZ']);
  let api: OpenApiChecker;
  let doc: OpenApiDoc;
  const url = (cc: string, path: string) => `${fx.hub.nodes[cc]!.url}${path}`;

  /** Send, then check the status is described for the route and the answer has the described shape. */
  const send = async (
    cc: string,
    method: 'get' | 'post',
    path: string,
    described: string,
    status: number,
    body?: unknown,
    type = 'application/json',
  ) => {
    const res = await fetch(url(cc, path), {
      method,
      ...(body === undefined
        ? {}
        : {
            headers: { 'content-type': type },
            body: typeof body === 'string' ? body : JSON.stringify(body),
          }),
    });
    const answer = (await res.json()) as Record<string, unknown>;
    expect(res.status, `${method} ${path}: ${JSON.stringify(answer).slice(0, 400)}`).to.equal(status);
    api.check(described, method, status, answer);
    return answer;
  };
  /** The body's schema as described for this route. */
  const bodyValidator = (path: string) => {
    const content = doc.paths[path]!.post!.requestBody!.content!['application/json']!.schema!;
    return api.validator(content);
  };
  const allowed = (path: string, body: unknown) => {
    const v = bodyValidator(path);
    expect(v(body), `${path} body: ${api.errorsText(v)}`).to.equal(true);
  };

  before(async () => {
    // As a JSON Schema validator reads it (OpenAPI 3.0 writes an exclusive bound its own way).
    doc = asJsonSchema((await getJson(url('KZ', '/openapi.json'))).body as unknown as OpenApiDoc);
    api = openApiChecker(doc);
  });

  it('describes every route the node serves', () => {
    // The same app the node runs; building it registers its routes and touches none of its parts.
    const unused = {} as never;
    const app = createApp({
      country: 'KZ',
      submitter: unused,
      reports: unused,
      inbound: unused,
      requests: unused,
      regions: new Set(['central-asia']),
      metrics: createMetricsRegistry('national-node'),
      health: [],
      logger: fx.env.logger,
    } satisfies NodeAppDeps);
    const served = servedRoutes(app);
    expect(served).to.include.members([
      'post /v1/seizures',
      'get /v1/receipts/{reportId}',
      'get /openapi.json',
    ]);
    expectEveryRouteDescribed(served, doc);
  });

  it('accepts every body its description allows, and answers in the shapes it describes', async () => {
    // Seizure reports: the example, the demo data, and a batch of them.
    const example = JSON.parse(
      readFileSync(join(repoRoot, 'docs', 'examples', 'minimal-report.json'), 'utf8'),
    );
    allowed('/v1/seizures', example);
    const single = await send('KZ', 'post', '/v1/seizures', '/v1/seizures', 202, example);
    const again = await send('KZ', 'post', '/v1/seizures', '/v1/seizures', 202, example);
    expect(again.reportId).to.be.a('string');
    const reportId = randomUUID();
    const first = { ...minimalReport(), reportId };
    const original = await send('KZ', 'post', '/v1/seizures', '/v1/seizures', 202, first);
    const repeated = await send('KZ', 'post', '/v1/seizures', '/v1/seizures', 202, first);
    expect(repeated).to.include({ duplicate: true, reportId, messageId: original.messageId });
    const demo = demoReports(['KZ'], 40).map((d) => d.body);
    for (const body of demo) allowed('/v1/seizures', body);
    const batch = await send('KZ', 'post', '/v1/seizures/batch', '/v1/seizures/batch', 202, demo);
    expect(batch.accepted).to.equal(40);
    const mixed = await send('KZ', 'post', '/v1/seizures/batch', '/v1/seizures/batch', 207, [
      minimalReport(),
      { ...minimalReport(), drugs: [] },
    ]);
    expect(mixed).to.include({ accepted: 1, rejected: 1 });
    const csv = readFileSync(join(repoRoot, 'docs', 'templates', 'ids-seizures.csv'), 'utf8');
    await send('KZ', 'post', '/v1/seizures/csv', '/v1/seizures/csv', 202, csv, 'text/csv');
    // The batch endpoint takes a CSV too (other references: new reports), answered as the CSV endpoint answers.
    const asBatch = await send(
      'KZ',
      'post',
      '/v1/seizures/batch',
      '/v1/seizures/batch',
      202,
      csv.replaceAll('KZ-CUS-', 'KZ-BATCH-'),
      'text/csv',
    );
    expect(asBatch).to.have.property('errors');

    // The coordinator's receipt, pending or given.
    const receiptPath = `/v1/receipts/${String(single.reportId)}`;
    const receipt = await waitUntil(
      'the receipt',
      async () => {
        const r = await send('KZ', 'get', receiptPath, '/v1/receipts/{id}', 200);
        return r.status === 'accepted' ? r : undefined;
      },
      60000,
    );
    expect(receipt.receipts).to.have.length.above(0);
    const page = await send('KZ', 'get', '/v1/receipts?limit=5', '/v1/receipts', 200);
    expect(page.records).to.have.length(5);
    expect(page.nextCursor).to.be.a('string');
    await send(
      'KZ',
      'get',
      `/v1/receipts?status=accepted&cursor=${String(page.nextCursor)}`,
      '/v1/receipts',
      200,
    );
    await send('KZ', 'get', '/v1/receipts?status=lost', '/v1/receipts', 400);

    // Withdrawal and renewal of a report. A reason longer than the node takes is refused, not cut (it is signed and
    // kept with the record), by the description and the node alike.
    const long = { reason: 'r'.repeat(TEXT_MAX.SeizureRetraction.reason + 1) };
    for (const [path, template] of [
      [`/v1/seizures/${reportId}/retract`, '/v1/seizures/{reportId}/retract'],
      [`/v1/seizures/${String(single.reportId)}/renew`, '/v1/seizures/{id}/renew'],
    ]) {
      expect(bodyValidator(template!)(long), `${template}: the description refuses it`).to.equal(false);
      expect((await send('KZ', 'post', path!, template!, 400, long)).errors).to.deep.equal([
        {
          field: 'reason',
          message: `must be at most ${TEXT_MAX.SeizureRetraction.reason} characters (got 1001)`,
        },
      ]);
    }
    const reason = { reason: 'entered twice' };
    allowed('/v1/seizures/{reportId}/retract', reason);
    await send(
      'KZ',
      'post',
      `/v1/seizures/${reportId}/retract`,
      '/v1/seizures/{reportId}/retract',
      202,
      reason,
    );
    allowed('/v1/seizures/{id}/renew', reason);
    await send(
      'KZ',
      'post',
      `/v1/seizures/${String(single.reportId)}/renew`,
      '/v1/seizures/{id}/renew',
      202,
      reason,
    );

    // A route, an annual return (and its renewal).
    const route = {
      name: 'northern route',
      legs: [
        { from: 'AF', to: 'TJ', mode: 'road' },
        { from: 'TJ', to: 'KZ', mode: 'road', via: 'Dushanbe' },
      ],
      substances: ['heroin'],
      concealment: ['false-floor'],
      periodFrom: '2026-01-01',
      periodTo: '2026-06-30',
      relatedReports: [String(single.reportId)],
      handling: { tlp: 'GREEN' },
    };
    allowed('/v1/routes', route);
    await send('KZ', 'post', '/v1/routes', '/v1/routes', 202, route);
    const annual = {
      year: 2024,
      rows: [
        { drugGroup: 'Opioids', drugName: 'Heroin', kilograms: 12 },
        { drugName: 'Cannabis resin', kilograms: 40.5 },
      ],
      handling: { tlp: 'GREEN', releasableTo: ['central-asia'] },
      source: 'ARQ 2024',
    };
    allowed('/v1/annual-returns', annual);
    const returned = await send('KZ', 'post', '/v1/annual-returns', '/v1/annual-returns', 202, annual);
    await send(
      'KZ',
      'post',
      `/v1/annual-returns/${String(returned.returnId)}/renew`,
      '/v1/annual-returns/{id}/renew',
      202,
      reason,
    );

    // An information request, listed at both nodes, and its answer.
    const request = {
      to: 'UZ',
      subjectKind: 'identifier',
      subjectRef: 'plate 777ABC02',
      purpose: 'criminal investigation',
      question: 'Has this truck crossed your border this year?',
      urgency: 'urgent',
      handling: { tlp: 'AMBER', releasableTo: ['KZ', 'UZ'] },
    };
    allowed('/v1/requests', request);
    const asked = await send('KZ', 'post', '/v1/requests', '/v1/requests', 202, request);
    const requestId = String(asked.requestId);
    await waitUntil(
      'the request at UZ',
      async () =>
        (
          (await send('UZ', 'get', '/v1/requests', '/v1/requests', 200)).requests as { requestId: string }[]
        ).find((r) => r.requestId === requestId),
      60000,
    );
    const response = { status: 'partial', answer: 'Twice in March.', relatedReports: [] };
    allowed('/v1/requests/{id}/response', response);
    await send(
      'UZ',
      'post',
      `/v1/requests/${requestId}/response`,
      '/v1/requests/{id}/response',
      202,
      response,
    );
    const answered = await waitUntil(
      'the answer at KZ',
      async () =>
        (
          (await send('KZ', 'get', '/v1/requests?direction=outgoing', '/v1/requests', 200)).requests as {
            requestId: string;
            response: unknown;
          }[]
        ).find((r) => r.requestId === requestId && r.response),
      60000,
    );
    expect(answered.response).to.include({ answer: 'Twice in March.' });

    await send('KZ', 'get', '/v1/alerts', '/v1/alerts', 200);
    await send('KZ', 'get', '/v1/alerts?limit=0', '/v1/alerts', 400);
    await send('KZ', 'get', '/v1/retention', '/v1/retention', 200);
    await send('KZ', 'get', '/v1/retention?kind=review_due&current=true&limit=10', '/v1/retention', 200);
    await send('KZ', 'get', '/v1/retention?kind=lost', '/v1/retention', 400);
    await send('KZ', 'get', '/v1/retention/erasures', '/v1/retention/erasures', 200);
    await send('KZ', 'get', '/v1/retention/erasures?subjectId=1', '/v1/retention/erasures', 400);
    await send('KZ', 'get', '/healthz', '/healthz', 200);
  });

  it('refuses what its description refuses, naming the same field', async () => {
    const report = minimalReport();
    const cases: [string, unknown, string][] = [
      ['/v1/seizures', { ...report, drugs: undefined }, 'drugs'],
      ['/v1/seizures', { ...report, place: { name: 'x', lat: 120, lon: 10 } }, 'place.lat'],
      ['/v1/seizures', { ...report, drugs: [{ substance: 'heroin', unit: 'kg' }] }, 'drugs[0].quantity'],
      [
        '/v1/seizures',
        { ...report, drugs: [{ substance: 'heroin', quantity: 0, unit: 'kg' }] },
        'drugs[0].quantity',
      ],
      ['/v1/seizures', { ...report, handling: undefined }, 'handling'],
      [
        '/v1/seizures',
        { ...report, drugs: Array.from({ length: 51 }, () => (report.drugs as unknown[])[0]) },
        'drugs',
      ],
      ['/v1/seizures', { ...report, notes: 'n'.repeat(4001) }, 'notes'],
      ['/v1/seizures', { ...report, arrested: [{ nationality: 'TJ', count: 0 }] }, 'arrested[0].count'],
      [
        '/v1/seizures',
        { ...report, conveyance: { mode: 'road', identifiers: [{ kind: 'plate' }] } },
        'conveyance.identifiers[0].value',
      ],
      ['/v1/seizures', { ...report, handling: { tlp: 'AMBER', evaluation: 'Q9' } }, 'handling.evaluation'],
      ['/v1/routes', { handling: { tlp: 'GREEN' } }, 'legs'],
      [
        '/v1/annual-returns',
        { year: 1900, rows: [{ drugName: 'Heroin', kilograms: 1 }], handling: { tlp: 'GREEN' } },
        'year',
      ],
      ['/v1/requests', { to: 'UZ', purpose: 'p', handling: { tlp: 'GREEN' } }, 'question'],
    ];
    for (const [path, body, field] of cases) {
      const v = bodyValidator(path);
      expect(v(body), `${path} ${field}: the description allows it`).to.equal(false);
      expect((v.errors ?? []).map(fieldOf), `${path}: the description names`).to.include(field);
      const refused = await send('KZ', 'post', path, path, 400, body);
      expect(
        (refused.errors as { field: string }[]).map((e) => e.field),
        `${path}: the node names`,
      ).to.include(field);
    }
  });

  it('answers the other refusals in the described error shape', async () => {
    const unknown = randomUUID();
    expect((await send('KZ', 'get', `/v1/receipts/${unknown}`, '/v1/receipts/{id}', 404)).error).to.include({
      code: 'NOT_FOUND',
    });
    await send('KZ', 'post', `/v1/seizures/${unknown}/retract`, '/v1/seizures/{reportId}/retract', 404, {
      reason: 'gone',
    });
    await send('KZ', 'post', '/v1/seizures', '/v1/seizures', 400, '{"reportId": ', 'application/json');
    await send('KZ', 'post', '/v1/seizures', '/v1/seizures', 415, 'seizedAt=today', 'text/plain');
    // The same sent in chunks, without a length.
    const chunked = await fetch(url('KZ', '/v1/seizures'), {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(JSON.stringify(minimalReport())));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).to.equal(415);
    api.check('/v1/seizures', 'post', 415, await chunked.json());
    // A CSV default no report could take: refused by its parameter, before the file is read.
    const csv = readFileSync(join(repoRoot, 'docs', 'templates', 'ids-seizures.csv'), 'utf8');
    const badDefault = await send(
      'KZ',
      'post',
      '/v1/seizures/csv?tlp=AMBR',
      '/v1/seizures/csv',
      400,
      csv,
      'text/csv',
    );
    expect((badDefault.errors as { field: string }[]).map((e) => e.field)).to.deep.equal(['tlp']);
    await send(
      'KZ',
      'post',
      '/v1/seizures',
      '/v1/seizures',
      413,
      JSON.stringify({ notes: 'x'.repeat(2_200_000) }),
    );
    await send('KZ', 'post', `/v1/requests/${unknown}/response`, '/v1/requests/{id}/response', 404, {
      answer: 'a',
    });
    await send('KZ', 'get', '/v1/requests?status=lost', '/v1/requests', 400);
  });
});
