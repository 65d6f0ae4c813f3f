// The national node's API beyond seizure reports: trafficking routes, its OpenAPI description, the webhook to the
// agency's system, and hostile bodies refused without harm.
import { expect } from 'chai';
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { startNationalNode, type RunningNationalNode } from '@hub/national-node';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import {
  getJson,
  metricValue,
  minimalReport,
  postJson,
  startTestHub,
  testPki,
  type TestHub,
} from '../support/hub';

describe('national node: routes, OpenAPI, webhook, hostile bodies', function () {
  this.timeout(180000);
  let env: TestEnv;
  let hub: TestHub;
  let hooked: RunningNationalNode;
  let hook: Server;
  const delivered: { headers: Record<string, string>; body: string }[] = [];
  let failuresLeft = 2;

  before(async () => {
    env = createTestEnv('node-api');
    hub = await startTestHub(env, ['KZ']);
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        if (failuresLeft-- > 0) {
          res.writeHead(503).end();
          return;
        }
        delivered.push({ headers: req.headers as Record<string, string>, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    testPki(env, ['UZ']);
    hooked = await startNationalNode({
      config: env.config,
      country: 'UZ',
      logger: env.logger,
      port: 0,
      inbox: false,
      webhook: { url: `http://127.0.0.1:${(hook.address() as { port: number }).port}/hub`, secret: 's3cret' },
    });
  });
  after(async () => {
    await hooked?.close();
    await hub?.close();
    await new Promise((r) => hook?.close(r));
    env?.cleanup();
  });

  it('takes a trafficking route, normalised, and the query API shows it to those its handling allows', async () => {
    const bad = await postJson(`${hub.nodes.KZ!.url}/v1/routes`, {
      legs: [
        { from: 'KZ', to: 'KZ' },
        { from: 'Atlantis', to: 'RU' },
      ],
      handling: { tlp: 'GREEN' },
    });
    expect(bad.status).to.equal(400);
    expect((bad.body.errors as { field: string }[]).map((e) => e.field)).to.include.members([
      'legs[0]',
      'legs[1].from',
    ]);
    const open = await postJson(`${hub.nodes.KZ!.url}/v1/routes`, {
      name: 'Northern route via Khorgos',
      legs: [
        { from: 'Афганистан', to: 'Таджикистан', mode: 'road' },
        { from: 'TJ', to: 'KZ', mode: 'грузовик', via: 'Khorgos' },
      ],
      substances: ['героин'],
      concealment: ['двойное дно'],
      periodFrom: '2026-01-01',
      periodTo: '2026-06-30',
      handling: { tlp: 'GREEN' },
    });
    expect(open.status, JSON.stringify(open.body)).to.equal(202);
    const secret = await postJson(`${hub.nodes.KZ!.url}/v1/routes`, {
      legs: [{ from: 'CN', to: 'KZ' }],
      handling: { tlp: 'AMBER', releasableTo: ['KG'] },
    });
    expect(secret.status).to.equal(202);
    const routesOf = async (cc: string) =>
      (await getJson(`${hub.apiUrl}/v1/routes`, hub.token('analyst', cc, 'AMBER'))).body.reportedRoutes as {
        routeId: string;
        legs: { from: string; to: string; mode: string | null }[];
        substances: string[];
        concealment: string[];
      }[];
    const kz = await waitUntil('both routes at the query API', async () => {
      const r = await routesOf('KZ');
      return r.length === 2 ? r : undefined;
    });
    const north = kz.find((r) => r.routeId === open.body.routeId)!;
    expect(north.legs.map((l) => `${l.from}>${l.to}:${l.mode}`)).to.deep.equal(['AF>TJ:road', 'TJ>KZ:road']);
    expect(north.substances).to.deep.equal(['heroin']);
    expect(north.concealment).to.deep.equal(['false-floor']);
    expect((await routesOf('UZ')).map((r) => r.routeId)).to.deep.equal([open.body.routeId]);
    expect((await routesOf('KG')).map((r) => r.routeId).sort()).to.deep.equal(
      [open.body.routeId, secret.body.routeId].sort(),
    );
  });

  it('describes itself in OpenAPI 3', async () => {
    const doc = await getJson(`${hub.nodes.KZ!.url}/openapi.json`);
    expect(doc.status).to.equal(200);
    expect(doc.body.openapi).to.match(/^3\./);
    expect(Object.keys(doc.body.paths as object)).to.include.members([
      '/v1/seizures',
      '/v1/seizures/batch',
      '/v1/seizures/csv',
      '/v1/routes',
      '/v1/annual-returns',
      '/v1/requests',
      '/v1/receipts/{id}',
      '/healthz',
    ]);
  });

  it('forwards what the coordinator sends to the agency’s webhook, signed, retrying until it answers', async () => {
    const r = await postJson(`${hooked.url}/v1/seizures`, {
      reportId: randomUUID(),
      seizedAt: '2026-05-05T05:05:00+05:00',
      country: 'UZ',
      agency: 'customs',
      drugs: [{ substance: 'opium', quantity: 3, unit: 'kg' }],
      handling: { tlp: 'GREEN' },
    });
    expect(r.status).to.equal(202);
    const item = await waitUntil(
      'the receipt at the webhook',
      () => delivered.find((d) => JSON.parse(d.body).messageType === 'Receipt'),
      60000,
    );
    const body = JSON.parse(item.body) as { value: { subjectId: string; status: string } };
    expect(body.value).to.include({ subjectId: r.body.reportId, status: 'accepted' });
    expect(item.headers['x-hub-signature']).to.equal(
      `sha256=${createHmac('sha256', 's3cret').update(item.body).digest('hex')}`,
    );
    expect(failuresLeft).to.be.below(0);
    const health = await getJson(`${hooked.url}/healthz`);
    expect(JSON.stringify(health.body)).to.match(/webhook/);
  });

  it('refuses oversized, malformed and mistyped bodies with a clear error and stays healthy', async () => {
    const url = `${hub.nodes.KZ!.url}/v1/seizures`;
    const huge = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ notes: 'x'.repeat(3 * 1024 * 1024) }),
    });
    expect(huge.status).to.equal(413);
    expect(((await huge.json()) as { error: { code: string } }).error.code).to.equal('BODY_TOO_LARGE');
    const broken = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"seizedAt": ',
    });
    expect(broken.status).to.equal(400);
    const brokenBody = (await broken.json()) as {
      error: { code: string };
      errors: { field: string; message: string }[];
    };
    expect(brokenBody.error.code).to.equal('MALFORMED_JSON');
    // The field list every 400 carries, the body as its field.
    expect(brokenBody.errors.map((e) => e.field)).to.deep.equal(['(body)']);
    expect(brokenBody.errors[0]!.message).to.match(/^the body is not valid JSON/);
    const text = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(text.status).to.equal(415);
    expect(((await text.json()) as { error: { code: string } }).error.code).to.equal(
      'UNSUPPORTED_MEDIA_TYPE',
    );
    // A CSV sent as a Windows browser labels it (with its length) is read as CSV by the routes that take CSV.
    const excel = await fetch(`${hub.nodes.KZ!.url}/v1/seizures/csv`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.ms-excel' },
      body: 'Seizure Reference,Seizure Date\n',
    });
    expect(excel.status, await excel.clone().text()).to.not.equal(415);
    expect(((await excel.json()) as { error?: { code: string } }).error?.code).to.not.equal(
      'UNSUPPORTED_MEDIA_TYPE',
    );
    // But a JSON array sent to the batch endpoint without its content type (text/plain) is not read as a CSV.
    const untyped = await fetch(`${hub.nodes.KZ!.url}/v1/seizures/batch`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify([{ reportId: 'x' }]),
    });
    expect(untyped.status).to.equal(415);
    expect(((await untyped.json()) as { error: { message: string } }).error.message).to.include(
      'content-type: application/json',
    );
    const array = await postJson(url, [1, 2, 3]);
    expect(array.status).to.equal(400);
    const deep = await postJson(url, JSON.parse(`${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`));
    expect(deep.status).to.equal(400);
    expect((await getJson(`${hub.nodes.KZ!.url}/healthz`)).status).to.equal(200);
    // Each is counted by route and status: a body refused before any route saw it, as unmatched.
    const count = (labels: Record<string, string>) =>
      metricValue(hub.nodes.KZ!.url, 'hub_http_request_seconds_count', { method: 'POST', ...labels });
    expect(await count({ route: 'unmatched', status: '413' })).to.equal(1);
    expect(await count({ route: 'unmatched', status: '415' })).to.equal(2);
    expect(await count({ route: '/v1/seizures', status: '400' })).to.be.at.least(2);
  });

  it('says what is expected of JSON that is no object, and of a number too large, by field', async () => {
    const url = hub.nodes.KZ!.url;
    const send = async (path: string, text: string) => {
      const res = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: text,
      });
      return {
        status: res.status,
        body: (await res.json()) as {
          error: { code: string };
          errors: { field: string; message: string; value?: unknown }[];
        },
      };
    };
    const nothing = await send('/v1/seizures', 'null');
    expect(nothing.status).to.equal(400);
    expect(nothing.body.error.code).to.equal('VALIDATION_FAILED');
    expect(nothing.body.errors).to.deep.equal([
      { field: '(body)', message: 'must be a JSON object, got null', value: 'null' },
    ]);
    const word = await send('/v1/seizures/batch', '"x"');
    expect(word.body.errors[0]!.message).to.equal('must be a JSON array of seizure reports, got a string');
    const report = { ...minimalReport(), reportId: randomUUID() };
    const huge = await send(
      '/v1/seizures',
      JSON.stringify(report).replace(/"quantity":[^,}]+/, '"quantity":1e400'),
    );
    expect(huge.status).to.equal(400);
    const quantity = huge.body.errors.find((e) => e.field === 'drugs[0].quantity')!;
    expect(quantity.message).to.equal('is out of range: a number too large (beyond ±1.8e308)');
    expect(quantity).to.not.have.property('value');
  });

  it('reads CSV at the CSV routes however the router takes their path (letter case, a trailing slash)', async () => {
    const file = [
      'Seizure Reference,Seizure Date,Drug/Substance,Quantity Seized,Measurement Unit,Agency,TLP',
      'PATH-SPELLING-1,2026-04-01,Heroin,1,kg,customs,AMBER',
    ].join('\n');
    for (const path of ['/v1/seizures/csv/', '/V1/Seizures/CSV']) {
      const res = await fetch(`${hub.nodes.KZ!.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body: file,
      });
      expect(res.status, `${path}: ${await res.clone().text()}`).to.equal(202);
    }
  });
});
