// The query API's OpenAPI description (/openapi.json) is what integrators generate their clients from: on the real
// stack, every route the API serves is described there, and every answer (reads, errors, feed events) has the shape
// described for its route and status.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createMetricsRegistry } from '@hub/observability';
import { createTrustStore, PkiStore } from '@hub/pki';
import { authDir, createApp, createAuditLog, loadKeyRing } from '@hub/query-api';
import { feedStreams } from '@hub/query-api/feed-stream';
import { loadRegions, loadSchemaRegistry } from '@hub/schemas';
import { topicNames } from '@hub/kafka';
import { COLLECTIONS, type StoredAsk } from '@hub/store';
import { waitUntil } from '../support/env';
import { getJson, minimalReport, postJson, produceRaw, useTestHub } from '../support/hub';
import {
  expectEveryRouteDescribed,
  openApiChecker,
  servedRoutes,
  type OpenApiChecker,
  type OpenApiDoc,
} from '../support/openapi';
import { openStream } from '../support/stream';

describe('query API: answers as its OpenAPI description says', function () {
  this.timeout(120000);
  const fx = useTestHub('openapi-contract', ['KZ', 'UZ']);
  let doc: OpenApiDoc;
  let api: OpenApiChecker;
  const ids: Record<string, string> = {};
  let requestId = '';

  /** Ask, then check the status is described for the route and the body has the described shape. */
  const answer = async (path: string, url: string, token: string | undefined, status: number) => {
    const r = await getJson(`${fx.hub.apiUrl}${url}`, token);
    expect(r.status, `${url}: ${JSON.stringify(r.body).slice(0, 300)}`).to.equal(status);
    api.check(path, 'get', status, r.body);
    return r.body;
  };

  before(async () => {
    const { hub, store } = fx;
    doc = (await getJson(`${hub.apiUrl}/openapi.json`)).body as unknown as OpenApiDoc;
    api = openApiChecker(doc);
    const node = (cc: string) => hub.nodes[cc]!.url;
    const post = async (url: string, body: unknown) => {
      const r = await postJson(url, body);
      expect(r.status, JSON.stringify(r.body)).to.equal(202);
      return r.body;
    };
    // Two countries' reports naming the same plate (a cross-border alert), one withdrawn, a reported route, an
    // annual return, and a request answered: every kind of answer has something to show.
    const plate = { kind: 'plate', value: `CT${randomUUID().slice(0, 6)}` };
    const report = (cc: string, place: Record<string, unknown>) => ({
      ...minimalReport(),
      country: cc,
      place,
      conveyance: { mode: 'road', vehicle: 'truck', identifiers: [plate] },
      handling: { tlp: 'AMBER', releasableTo: ['central-asia'], evaluation: 'B2' },
    });
    ids.kz = String(
      (await post(`${node('KZ')}/v1/seizures`, report('KZ', { name: 'Khorgos', lat: 44.21, lon: 80.41 })))
        .reportId,
    );
    ids.uz = String(
      (await post(`${node('UZ')}/v1/seizures`, report('UZ', { name: 'Termez', lat: 37.23, lon: 67.27 })))
        .reportId,
    );
    ids.withdrawn = String((await post(`${node('KZ')}/v1/seizures`, minimalReport())).reportId);
    await waitUntil(
      'the reports stored',
      async () => (await store.collection(COLLECTIONS.reports).countDocuments()) === 3 || undefined,
      60000,
    );
    await post(`${node('KZ')}/v1/seizures/${ids.withdrawn}/retract`, { reason: 'entered twice' });
    await post(`${node('KZ')}/v1/routes`, {
      legs: [
        { from: 'AF', to: 'TJ' },
        { from: 'TJ', to: 'KZ' },
      ],
      substances: ['heroin'],
      handling: { tlp: 'GREEN' },
    });
    await post(`${node('KZ')}/v1/annual-returns`, {
      year: 2024,
      rows: [{ drugName: 'Heroin', kilograms: 12 }],
      handling: { tlp: 'GREEN' },
    });
    requestId = String(
      (
        await post(`${node('KZ')}/v1/requests`, {
          to: 'UZ',
          purpose: 'case 2026/118',
          question: 'Seen this plate before?',
          handling: { tlp: 'GREEN' },
        })
      ).requestId,
    );
    await waitUntil(
      'the request at UZ',
      async () =>
        ((await getJson(`${node('UZ')}/v1/requests`)).body.requests as { requestId: string }[]).find(
          (r) => r.requestId === requestId,
        ),
      60000,
    );
    await post(`${node('UZ')}/v1/requests/${requestId}/response`, { answer: 'Twice in March.' });
    await waitUntil(
      'everything stored',
      async () => {
        const [alerts, retracted, routes, annual, answered] = await Promise.all([
          store.collection(COLLECTIONS.alerts).countDocuments(),
          store.collection(COLLECTIONS.reports).countDocuments({ status: 'retracted' }),
          store.collection(COLLECTIONS.routes).countDocuments(),
          store.collection(COLLECTIONS.annualReturns).countDocuments(),
          store.collection(COLLECTIONS.requests).countDocuments({ response: { $ne: null } }),
        ]);
        return (
          (alerts >= 1 && retracted === 1 && routes === 1 && annual === 1 && answered === 1) || undefined
        );
      },
      60000,
    );
  });

  it('describes every route the query API serves', async () => {
    const { env, store } = fx;
    const caPem = new PkiStore(join(env.config.hubHome, 'pki')).caCertPem();
    const metrics = createMetricsRegistry('query-api');
    const keys = loadKeyRing(authDir(env.config.hubHome));
    const feeds = feedStreams({
      config: env.config,
      logger: env.logger,
      registry: loadSchemaRegistry(),
      regions: loadRegions(),
      trust: createTrustStore(caPem),
      audit: createAuditLog(store),
      metrics,
      keys,
      store,
    });
    // The same app the service runs, with the same routers.
    const app = createApp({
      names: topicNames(env.config.namespace),
      store,
      keys,
      audit: createAuditLog(store),
      caPem,
      metrics,
      health: [],
      logger: env.logger,
      extra: [feeds.router],
    });
    await feeds.close();
    const served = servedRoutes(app);
    expect(served).to.include.members(['get /v1/seizures', 'get /v1/feeds/{region}/stream', 'get /healthz']);
    // The dashboard's own scripts and map are its internals, not the API; its page is served as a static file.
    const routes = served.filter((r) => !r.startsWith('get /vendor/'));
    const page = await fetch(`${fx.hub.apiUrl}/`);
    expect(page.headers.get('content-type')).to.match(/^text\/html/);
    routes.push('get /');
    expectEveryRouteDescribed(routes, doc);
  });

  it('answers every read with the shape described for it', async () => {
    const { hub } = fx;
    const analyst = hub.token('analyst', 'KZ', 'AMBER');
    const coordinator = hub.token('coordinator', 'KZ', 'RED');
    const page = (await answer('/v1/seizures', '/v1/seizures?limit=1', analyst, 200)) as {
      items: unknown[];
      nextCursor: string;
    };
    expect(page.items).to.have.length(1);
    expect(page.nextCursor).to.be.a('string');
    await answer('/v1/seizures', `/v1/seizures?cursor=${page.nextCursor}`, analyst, 200);
    const record = (await answer('/v1/seizures/{reportId}', `/v1/seizures/${ids.uz}`, analyst, 200)) as {
      provenance: { verified: boolean };
    };
    expect(record.provenance.verified).to.equal(true);
    const withdrawn = (await answer(
      '/v1/seizures/{reportId}',
      `/v1/seizures/${ids.withdrawn}`,
      analyst,
      200,
    )) as {
      retraction: { reason: string };
    };
    expect(withdrawn.retraction.reason).to.equal('entered twice');
    for (const qs of [
      'groupBy=country',
      'groupBy=country,drug&drug=heroin',
      'groupBy=month',
      'source=annual&groupBy=year',
    ])
      expect(
        ((await answer('/v1/stats', `/v1/stats?${qs}`, analyst, 200)) as { rows: unknown[] }).rows,
      ).to.have.length.above(0);
    const routes = (await answer('/v1/routes', '/v1/routes', analyst, 200)) as {
      legs: unknown[];
      reportedRoutes: unknown[];
    };
    expect(routes.legs).to.have.length.above(0);
    expect(routes.reportedRoutes).to.have.length(1);
    expect(
      ((await answer('/v1/alerts', '/v1/alerts', analyst, 200)) as { alerts: unknown[] }).alerts,
    ).to.have.length.above(0);
    // An envelope refused, and its quarantine entry as a coordinator and its country's operator see it.
    await produceRaw(fx.env, topicNames(fx.env.config.namespace).nodeOut('KZ'), [
      { key: 'junk', value: Buffer.from('not an envelope') },
    ]);
    const refused = await waitUntil('the refusal listed', async () => {
      const q = (await answer('/v1/quarantine', '/v1/quarantine', coordinator, 200)) as {
        quarantined: { id: string }[];
      };
      return q.quarantined[0];
    });
    await answer('/v1/quarantine', '/v1/quarantine?origin=KZ', hub.token('node-operator', 'KZ'), 200);
    await answer('/v1/quarantine', '/v1/quarantine', analyst, 403);
    // Taken again (the bytes are still no envelope): queued, then refused again, as described.
    const redrive = async (body: unknown, token: string, status: number) => {
      const r = await fetch(`${hub.apiUrl}/v1/quarantine/redrive`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const answered = (await r.json()) as Record<string, unknown>;
      expect(r.status, JSON.stringify(answered)).to.equal(status);
      api.check('/v1/quarantine/redrive', 'post', status, answered);
      return answered;
    };
    expect(api.validator(doc.components.schemas.RedriveIn!)({ ids: [refused.id] })).to.equal(true);
    await redrive({ ids: [refused.id] }, coordinator, 202);
    await redrive({ ids: [] }, coordinator, 400);
    await redrive({ ids: [refused.id] }, analyst, 403);
    await waitUntil('the re-drive taken', async () => {
      const q = (await answer('/v1/quarantine', '/v1/quarantine', coordinator, 200)) as {
        quarantined: { id: string; redrive?: unknown }[];
      };
      return q.quarantined.find((x) => x.id === refused.id)?.redrive;
    });
    // Its country's operator sees what came of it, not who asked (requestedBy null).
    const seen = (await answer(
      '/v1/quarantine',
      '/v1/quarantine',
      hub.token('node-operator', 'KZ'),
      200,
    )) as {
      quarantined: { id: string; redrive?: { requestedBy: string | null } }[];
    };
    expect(seen.quarantined.find((x) => x.id === refused.id)?.redrive?.requestedBy).to.equal(null);
    // The answer's content, and the same answer withheld from a caller its handling does not reach.
    const requests = (await answer('/v1/requests', '/v1/requests', coordinator, 200)) as {
      requests: { response: { withheld: boolean } | null }[];
    };
    expect(requests.requests[0]?.response?.withheld).to.equal(false);
    await answer('/v1/requests', '/v1/requests?status=answered', hub.token('analyst', 'UZ', 'CLEAR'), 200);
    const reads = (await answer('/v1/reads', '/v1/reads', analyst, 200)) as { reads: unknown[] };
    expect(reads.reads).to.have.length.above(0);
    const quality = (await answer('/v1/quality', '/v1/quality', coordinator, 200)) as {
      contributors: unknown[];
    };
    expect(quality.contributors).to.have.length(2);
    const audit = (await answer('/v1/audit', '/v1/audit?limit=5', hub.token('auditor', 'KZ'), 200)) as {
      valid: boolean;
      entries: unknown[];
    };
    expect(audit.valid).to.equal(true);
    expect(audit.entries).to.have.length(5);
    // Every role may ask who its token says it is; the auditor's token is no exception.
    const session = (await answer('/v1/session', '/v1/session', hub.token('auditor', 'KZ'), 200)) as {
      role: string;
      country: string;
    };
    expect(session).to.include({ role: 'auditor', country: 'KZ' });
    await answer('/.well-known/jwks.json', '/.well-known/jwks.json', undefined, 200);
    const substances = (await answer(
      '/data/substances.json',
      '/data/substances.json',
      undefined,
      200,
    )) as unknown as {
      code: string;
      aggregate?: boolean;
    }[];
    expect(substances.filter((x) => x.aggregate).map((x) => x.code)).to.include.members([
      'cocaine',
      'opiates',
    ]);
  });

  it('answers refusals with the described error shape and a status described for the route', async () => {
    const { hub } = fx;
    const analyst = hub.token('analyst', 'KZ', 'AMBER');
    const codes = async (path: string, url: string, token: string | undefined, status: number) =>
      ((await answer(path, url, token, status)) as { error: { code: string } }).error.code;
    expect(await codes('/v1/seizures', '/v1/seizures', undefined, 401)).to.equal('TOKEN_MISSING');
    expect(await codes('/v1/session', '/v1/session', undefined, 401)).to.equal('TOKEN_MISSING');
    expect(await codes('/v1/seizures', '/v1/seizures?limit=5000', analyst, 400)).to.equal(
      'VALIDATION_FAILED',
    );
    expect(await codes('/v1/seizures/{reportId}', `/v1/seizures/${randomUUID()}`, analyst, 404)).to.equal(
      'NOT_FOUND',
    );
    expect(await codes('/v1/audit', '/v1/audit', analyst, 403)).to.equal('FORBIDDEN');
    // A limit that is not a whole number from 1 to 1000 is refused naming the rule (it used to fall back to 200).
    const auditor = hub.token('auditor', 'KZ');
    const bad = (await answer('/v1/audit', '/v1/audit?limit=ten', auditor, 400)) as {
      errors: { field: string; message: string }[];
    };
    expect(bad.errors[0]).to.include({ field: 'limit' });
    expect(bad.errors[0]!.message).to.match(/1.*1000/);
    expect(await codes('/v1/quality', '/v1/quality', analyst, 403)).to.equal('FORBIDDEN');
    expect(await codes('/v1/feeds/{region}/stream', '/v1/feeds/nowhere/stream', analyst, 404)).to.equal(
      'NOT_FOUND',
    );
  });

  it('answers a coordinator who asks a country, and follows the request, with the shapes described', async () => {
    const { hub } = fx;
    const coordinator = hub.token('coordinator', 'TJ', 'AMBER');
    const ask = async (body: string, token: string, status: number) => {
      const r = await fetch(`${hub.apiUrl}/v1/requests`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      });
      const answered = (await r.json()) as Record<string, unknown>;
      expect(r.status, JSON.stringify(answered)).to.equal(status);
      api.check('/v1/requests', 'post', status, answered);
      return answered;
    };
    const request = {
      to: 'KZ',
      purpose: 'contract check',
      question: 'Is this shape described?',
      handling: { tlp: 'GREEN', releasableTo: [] },
    };
    // The body itself is what the description says a request is.
    expect(api.validator(doc.components.schemas.AskIn!)(request)).to.equal(true);
    const queued = await ask(JSON.stringify(request), coordinator, 202);
    const requestId = String(queued.requestId);
    await answer('/v1/requests/asked/{requestId}', `/v1/requests/asked/${requestId}`, coordinator, 200);
    const stored = await waitUntil('the request stored', async () => {
      const r = await getJson(`${hub.apiUrl}/v1/requests/asked/${requestId}`, coordinator);
      return r.body.state === 'stored' ? r.body : undefined;
    });
    api.check('/v1/requests/asked/{requestId}', 'get', 200, stored);
    const listed = await answer('/v1/requests/asked', '/v1/requests/asked', coordinator, 200);
    expect((listed.asks as { requestId: string; state: string }[])[0]).to.include({
      requestId,
      state: 'stored',
    });
    await answer('/v1/requests/asked', '/v1/requests/asked?state=lost', coordinator, 400);
    await answer('/v1/requests/asked', '/v1/requests/asked', hub.token('analyst', 'KZ', 'AMBER'), 403);
    await ask(JSON.stringify(request), hub.token('analyst', 'KZ', 'AMBER'), 403);
    await ask(JSON.stringify({ to: 'KZ' }), coordinator, 400);
    await ask('{"to":', coordinator, 400);
    await ask(JSON.stringify({ ...request, question: 'x'.repeat(70_000) }), coordinator, 413);
    await answer('/v1/requests/asked/{requestId}', `/v1/requests/asked/${randomUUID()}`, coordinator, 404);
  });

  it('lists the asks in the state asked for, a refusal of weeks ago behind many newer asks too', async () => {
    const { hub, store } = fx;
    const coordinator = hub.token('coordinator', 'TJ', 'AMBER');
    const now = Date.now();
    const DAY = 86_400_000;
    /** An ask to UZ asked `ago` ms ago, as the store keeps it in `state` (none for the coordinator to sign). */
    const ask = (ago: number, state: StoredAsk['state'], extra: Partial<StoredAsk> = {}): StoredAsk => {
      const id = randomUUID();
      return {
        _id: id,
        body: {
          requestId: id,
          to: 'UZ',
          purpose: 'contract check',
          question: 'Is this kept?',
          urgency: 'routine',
          subjectKind: 'other',
          dueAt: new Date(now + DAY).toISOString(),
          handling: { tlp: 'GREEN', releasableTo: [] },
        },
        inputDigest: 'x',
        askedBy: { sub: 'coordinator-TJ', country: 'TJ' },
        askedAt: new Date(now - ago),
        state,
        ...extra,
      };
    };
    // Refused three weeks ago (kept 30 days), then more asks than the list reads from the store, sent within the hour.
    const refused = ask(21 * DAY, 'refused', {
      error: { code: 'NOT_FOUND', message: 'TM has no national node on the hub to answer' },
      refusedAt: new Date(now - 21 * DAY),
    });
    const sent = Array.from({ length: 500 }, (_, i) =>
      ask(60_000 + i * 1000, 'sent', { messageId: randomUUID(), sentAt: new Date(now - 60_000 - i * 1000) }),
    );
    await store.collection<StoredAsk>(COLLECTIONS.asks).insertMany([refused, ...sent]);
    const listed = (await answer(
      '/v1/requests/asked',
      '/v1/requests/asked?state=refused',
      coordinator,
      200,
    )) as { asks: { requestId: string; state: string; error?: { code: string } }[] };
    expect(listed.asks.map((a) => a.requestId)).to.deep.equal([refused._id]);
    expect(listed.asks[0]!.state).to.equal('refused');
    expect(listed.asks[0]!.error?.code).to.equal('NOT_FOUND');
  });

  it('sends feed events with the shape described for them', async () => {
    const { hub } = fx;
    const stream = await openStream(
      `${hub.apiUrl}/v1/feeds/central-asia/stream`,
      hub.token('analyst', 'KZ', 'AMBER'),
    );
    try {
      const reportId = String(
        (
          await postJson(`${hub.nodes.KZ!.url}/v1/seizures`, {
            ...minimalReport(),
            handling: { tlp: 'GREEN' },
          })
        ).body.reportId,
      );
      const event = await waitUntil(
        'the report on the feed',
        async () => stream.events.find((e) => e.data.subjectId === reportId),
        60000,
      );
      expect(event.event).to.equal('SeizureReport');
      api.check('/v1/feeds/{region}/stream', 'get', 200, event.data, 'text/event-stream');
    } finally {
      stream.close();
    }
  });

  it('is a description that refuses what the API does not send', () => {
    // The schemas are not vacuous: an answer missing a field, or with a field of the wrong type, does not pass.
    const page = api.validator({ $ref: '#/components/schemas/SearchPage' });
    expect(page({ items: [] })).to.equal(false);
    expect(page({ items: [{ reportId: 'x' }], nextCursor: null })).to.equal(false);
    expect(page({ items: [], nextCursor: null })).to.equal(true);
    const error = api.validator({ $ref: '#/components/schemas/Error' });
    expect(error({ message: 'no code' })).to.equal(false);
  });
});
