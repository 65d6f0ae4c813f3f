import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@hub/config';
import { ERROR_STATUS, authDir, loadKeyRing, AUDIENCE, ISSUER } from '@hub/query-api';
import { COLLECTIONS, connectStore, type Store } from '@hub/store';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { getJson, metricValue, postJson, startTestHub, type TestHub, minimalReport } from '../support/hub';

const minimal = minimalReport();

describe('query API on the real stack', function () {
  this.timeout(120000);
  let env: TestEnv;
  let hub: TestHub;
  let store: Store;
  const ids: Record<string, string> = {};

  before(async () => {
    env = createTestEnv('query-api');
    hub = await startTestHub(env, ['KZ', 'UZ']);
    store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
    const post = async (
      name: string,
      cc: string,
      handling: Record<string, unknown>,
      extra: Record<string, unknown> = {},
    ) => {
      const r = await postJson(`${hub.nodes[cc]!.url}/v1/seizures`, {
        ...minimal,
        country: cc,
        handling,
        ...extra,
      });
      expect(r.status, JSON.stringify(r.body)).to.equal(202);
      ids[name] = r.body.reportId as string;
    };
    await post('kzGreen', 'KZ', { tlp: 'GREEN' });
    await post('kzAmberUz', 'KZ', { tlp: 'AMBER', releasableTo: ['UZ'] });
    await post('kzRed', 'KZ', { tlp: 'RED' });
    await post(
      'uzAmberRegion',
      'UZ',
      { tlp: 'AMBER', releasableTo: ['central-asia'] },
      { place: { name: 'Termez', lat: 37.23, lon: 67.27 } },
    );
    for (let i = 0; i < 7; i++)
      await post(`page${i}`, 'KZ', { tlp: 'CLEAR' }, { seizedAt: `2025-0${i + 1}-10T10:00:00Z` });
    await waitUntil(
      'all reports stored',
      async () => (await store.collection(COLLECTIONS.reports).countDocuments()) === 11 || undefined,
      40000,
    );
  });
  after(async () => {
    await hub?.close();
    await store?.close();
    env?.cleanup();
  });

  const search = async (token: string, qs = '') => {
    const items: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await getJson(
        `${hub.apiUrl}/v1/seizures?limit=3${qs}${cursor ? `&cursor=${cursor}` : ''}`,
        token,
      );
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      items.push(...(r.body.items as { reportId: string }[]).map((i) => i.reportId));
      cursor = r.body.nextCursor as string | null;
    } while (cursor);
    return items;
  };

  it('pages through search results with a cursor, each visible record exactly once', async () => {
    const seen = await search(hub.token('analyst', 'KZ', 'RED'));
    expect(seen).to.have.length(new Set(seen).size);
    expect(new Set(seen)).to.deep.equal(
      new Set([...Object.values(ids)].filter((id) => id !== ids.uzAmberRegion).concat(ids.uzAmberRegion!)),
    );
  });

  it('applies handling to every caller: nothing leaks across TLP and releasable-to', async () => {
    // Whole sets: a negated include.members would pass unless every one listed leaked.
    const pages = Object.keys(ids)
      .filter((name) => name.startsWith('page'))
      .map((name) => ids[name]!);
    expect(pages).to.have.length(7);
    const uz = await search(hub.token('analyst', 'UZ', 'AMBER'));
    expect(new Set(uz), 'UZ AMBER: all but the RED one').to.deep.equal(
      new Set([ids.kzGreen, ids.kzAmberUz, ids.uzAmberRegion, ...pages]),
    );
    const kgGreen = await search(hub.token('analyst', 'KG', 'GREEN'));
    expect(new Set(kgGreen), 'KG GREEN: the GREEN and CLEAR ones').to.deep.equal(
      new Set([ids.kzGreen, ...pages]),
    );
    for (const name of ['kzAmberUz', 'kzRed', 'uzAmberRegion'])
      expect(kgGreen, `${name} leaked to KG GREEN`).to.not.include(ids[name]);
    expect(
      (await getJson(`${hub.apiUrl}/v1/seizures/${ids.kzRed}`, hub.token('analyst', 'UZ', 'RED'))).status,
    ).to.equal(404);
    expect(
      (await getJson(`${hub.apiUrl}/v1/seizures/${ids.kzRed}`, hub.token('analyst', 'KZ', 'CLEAR'))).status,
    ).to.equal(200);
    const stats = await getJson(
      `${hub.apiUrl}/v1/stats?groupBy=country`,
      hub.token('analyst', 'KG', 'GREEN'),
    );
    expect(stats.body.rows).to.deep.equal([{ key: 'KZ', country: 'KZ', quantityKg: 12.5 * 8, count: 8 }]);
  });

  it('refuses a statistics period that cuts a month (or a year of annual returns), which it would count whole, and a day not on the calendar', async () => {
    const token = hub.token('analyst', 'KG', 'GREEN');
    const stats = (qs: string) => getJson(`${hub.apiUrl}/v1/stats?${qs}`, token);
    // KG GREEN sees one report of March 2026 (12.5 kg, seized on the 14th) and one of January 2025 (on the 10th).
    for (const qs of ['from=2026-03-01&to=2026-03-31', 'from=2026-03&to=2026-03']) {
      const r = await stats(`groupBy=month&${qs}`);
      expect(r.status, qs).to.equal(200);
      expect(r.body.rows, qs).to.deep.equal([
        { key: '2026-03', month: '2026-03', quantityKg: 12.5, count: 1 },
      ]);
    }
    // The March bucket holds a seizure of the 14th: asked from the 20th, it must not be counted as if within.
    const refusal = async (qs: string) => {
      const r = await stats(qs);
      expect(r.status, `${qs}: ${JSON.stringify(r.body)}`).to.equal(400);
      expect((r.body.error as { code: string }).code).to.equal('VALIDATION_FAILED');
      const errors = r.body.errors as { field: string; message: string; value: string }[];
      expect(errors, qs).to.have.length(1);
      return errors[0]!;
    };
    const from = await refusal('groupBy=month&from=2026-03-20&to=2026-03-31');
    expect(from).to.include({ field: 'from', value: '2026-03-20' });
    expect(from.message).to.contain('kept per month').and.to.contain('from=2026-03-01');
    const to = await refusal('groupBy=month&from=2025-01-01&to=2025-01-05');
    expect(to).to.include({ field: 'to', value: '2025-01-05' });
    expect(to.message).to.contain('kept per month').and.to.contain('to=2025-01-31');
    // Annual returns are yearly: a period has to be whole years.
    const annual = await refusal('source=annual&groupBy=year&from=2024-06-01');
    expect(annual).to.include({ field: 'from', value: '2024-06-01' });
    expect(annual.message).to.contain('kept per year').and.to.contain('from=2024');
    expect((await stats('source=annual&groupBy=year&from=2024&to=2024')).status).to.equal(200);
    // A day its month does not have: refused as such, not read as 1 March and then advised about March.
    expect(await refusal('groupBy=month&from=2025-02-01&to=2025-02-29')).to.deep.equal({
      field: 'to',
      message: 'is not a date of the calendar: 2025-02 has 28 days',
      value: '2025-02-29',
    });
    // And in a search, where 31 April would have taken in 1 May.
    const searched = await getJson(`${hub.apiUrl}/v1/seizures?from=2026-04-01&to=2026-04-31`, token);
    expect(searched.status, JSON.stringify(searched.body)).to.equal(400);
    expect(searched.body.errors).to.deep.equal([
      { field: 'to', message: 'is not a date of the calendar: 2026-04 has 30 days', value: '2026-04-31' },
    ]);
  });

  it('refuses MongoDB operators and unknown parameters in the query string', async () => {
    const token = hub.token('analyst', 'KZ');
    for (const qs of [
      'country[$ne]=KZ',
      'country=%7B%22%24gt%22%3A%22%22%7D',
      'drug[$regex]=.*',
      'limit=100000',
      'sort=-1',
      'from=yesterday',
      // Names of Object's own properties: no rule of the route's, refused as unknown (they had answered 500).
      'constructor=1',
      '__proto__=1',
      'toString=1',
    ]) {
      const r = await getJson(`${hub.apiUrl}/v1/seizures?${qs}`, token);
      expect(r.status, qs).to.equal(400);
      expect((r.body.error as { code: string }).code).to.equal('VALIDATION_FAILED');
    }
  });

  it('refuses a country filter that is no country, suggesting the code meant, on every route that has one', async () => {
    const analyst = hub.token('analyst', 'KZ');
    const asked: [string, string][] = [
      ['/v1/seizures?country=UK', analyst],
      ['/v1/seizures?routeCountry=UK', analyst],
      ['/v1/export/seizures.csv?country=UK', analyst],
      ['/v1/stats?country=UK', analyst],
      ['/v1/routes?country=UK', analyst],
      ['/v1/export/routes.geojson?country=UK', analyst],
      ['/v1/alerts?country=UK', analyst],
      ['/v1/requests?country=UK', analyst],
      ['/v1/quarantine?origin=UK', hub.token('coordinator', 'KZ')],
      ['/v1/audit?country=UK', hub.token('auditor', 'KZ')],
    ];
    for (const [url, token] of asked) {
      const r = await getJson(`${hub.apiUrl}${url}`, token);
      expect(r.status, url).to.equal(400);
      expect((r.body.error as { code: string }).code, url).to.equal('VALIDATION_FAILED');
      const [field] = url.slice(url.indexOf('?') + 1).split('=');
      expect(r.body.errors, url).to.deep.equal([
        {
          field,
          message: 'must be an ISO 3166-1 alpha-2 country code like KZ; did you mean GB?',
          value: 'UK',
          suggestions: ['GB'],
        },
      ]);
    }
    // Two letters of no country: refused, not answered "no seizures"; a country's code in any case is taken.
    for (const code of ['XX', 'EU']) {
      const r = await getJson(`${hub.apiUrl}/v1/seizures?country=${code}`, analyst);
      expect(r.status, code).to.equal(400);
      expect((r.body.errors as { field: string; value: string }[])[0], code).to.include({
        field: 'country',
        value: code,
      });
    }
    const kz = await getJson(`${hub.apiUrl}/v1/seizures?country=kz`, analyst);
    expect(kz.status).to.equal(200);
    expect((kz.body.items as unknown[]).length).to.be.above(0);
  });

  it('refuses forged and tampered tokens', async () => {
    const ring = loadKeyRing(authDir(env.config.hubHome));
    const claims = { role: 'analyst', country: 'KZ', clearance: 'RED', sub: 'mallory' };
    const pub = ring.current.publicKey.export({ format: 'pem', type: 'spki' }) as string;
    const attacks: Record<string, string> = {
      'alg none': `${Buffer.from(JSON.stringify({ alg: 'none', kid: ring.current.kid })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, iss: ISSUER, aud: AUDIENCE, exp: 9999999999 })).toString('base64url')}.`,
      'HS256 with the public key as secret': jwt.sign(claims, pub, {
        algorithm: 'HS256',
        keyid: ring.current.kid,
        issuer: ISSUER,
        audience: AUDIENCE,
      }),
      'unknown kid': jwt.sign(claims, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, {
        algorithm: 'ES256',
        keyid: 'nope',
        issuer: ISSUER,
        audience: AUDIENCE,
      }),
      'right kid, wrong key': jwt.sign(
        claims,
        generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
        { algorithm: 'ES256', keyid: ring.current.kid, issuer: ISSUER, audience: AUDIENCE },
      ),
      'wrong audience': jwt.sign(claims, ring.current.privateKey, {
        algorithm: 'ES256',
        keyid: ring.current.kid,
        issuer: ISSUER,
        audience: 'other',
      }),
      'wrong issuer': jwt.sign(claims, ring.current.privateKey, {
        algorithm: 'ES256',
        keyid: ring.current.kid,
        issuer: 'evil',
        audience: AUDIENCE,
      }),
      'not yet valid': jwt.sign(
        { ...claims, nbf: Math.floor(Date.now() / 1000) + 3600 },
        ring.current.privateKey,
        { algorithm: 'ES256', keyid: ring.current.kid, issuer: ISSUER, audience: AUDIENCE },
      ),
      expired: hub.token('analyst', 'KZ', 'RED', -300),
      // Signed with the right key, but wanting what every token must say: jsonwebtoken takes them.
      'no expiry': jwt.sign(claims, ring.current.privateKey, {
        algorithm: 'ES256',
        keyid: ring.current.kid,
        issuer: ISSUER,
        audience: AUDIENCE,
      }),
      'no subject': jwt.sign({ ...claims, sub: undefined }, ring.current.privateKey, {
        algorithm: 'ES256',
        keyid: ring.current.kid,
        issuer: ISSUER,
        audience: AUDIENCE,
        expiresIn: 300,
      }),
      'a subject that is no string': jwt.sign({ ...claims, sub: { name: 'x' } }, ring.current.privateKey, {
        algorithm: 'ES256',
        keyid: ring.current.kid,
        issuer: ISSUER,
        audience: AUDIENCE,
        expiresIn: 300,
      }),
      'no such country': jwt.sign({ ...claims, country: 'ZZ' }, ring.current.privateKey, {
        algorithm: 'ES256',
        keyid: ring.current.kid,
        issuer: ISSUER,
        audience: AUDIENCE,
        expiresIn: 300,
      }),
    };
    const good = hub.token('analyst', 'KZ', 'GREEN');
    const [h, p, s] = good.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    attacks['payload changed after signing'] =
      `${h}.${Buffer.from(JSON.stringify({ ...payload, clearance: 'RED' })).toString('base64url')}.${s}`;
    for (const [name, token] of Object.entries(attacks)) {
      const r = await getJson(`${hub.apiUrl}/v1/seizures`, token);
      expect(r.status, name).to.equal(401);
    }
    expect((await getJson(`${hub.apiUrl}/v1/seizures`, good)).status).to.equal(200);
    const jwks = await getJson(`${hub.apiUrl}/.well-known/jwks.json`);
    expect((jwks.body.keys as { kid: string; kty: string }[])[0]).to.include({
      kid: ring.current.kid,
      kty: 'EC',
    });
  });

  it('keeps a hash-chained audit log and detects tampering with it', async () => {
    const auditor = hub.token('auditor', 'KZ');
    const before = await getJson(`${hub.apiUrl}/v1/audit`, auditor);
    expect(before.body.valid).to.equal(true);
    expect(before.body.checked).to.be.greaterThan(5);
    expect((before.body.entries as unknown[]).length).to.equal(before.body.checked);
    const audit = store.collection(COLLECTIONS.audit);
    const victim = await audit.findOne({ seq: 3 });
    await audit.updateOne({ seq: 3 }, { $set: { count: 999 } });
    const after = await getJson(`${hub.apiUrl}/v1/audit`, auditor);
    expect(after.body.valid).to.equal(false);
    expect(after.body.brokenAt).to.equal(3);
    await audit.updateOne({ seq: 3 }, { $set: { count: victim?.count } });
    expect((await getJson(`${hub.apiUrl}/v1/audit`, auditor)).body.valid).to.equal(true);
  });

  it('pages the audit log for an auditor, by reader and action, and refuses what it cannot filter by', async () => {
    const auditor = hub.token('auditor', 'KZ');
    const whole = (await getJson(`${hub.apiUrl}/v1/audit?limit=1000`, auditor)).body;
    expect(whole.next).to.equal(null);
    const all = (whole.entries as { seq: number }[]).map((e) => e.seq);
    const paged: number[] = [];
    const last: { before: number | null; count: number } = { before: null, count: 0 };
    for (let before: number | null = null, pages = 0; pages < 50; pages++) {
      const r = await getJson(
        `${hub.apiUrl}/v1/audit?limit=3&verify=false${before ? `&before=${before}` : ''}`,
        auditor,
      );
      expect(r.status).to.equal(200);
      expect(r.body).to.include({ verified: false, intact: true });
      expect(r.body).to.not.have.property('valid');
      paged.push(...(r.body.entries as { seq: number }[]).map((e) => e.seq));
      Object.assign(last, { before, count: (r.body.entries as unknown[]).length });
      before = r.body.next as number | null;
      if (before === null) break;
    }
    // The pages read the log as the whole read did, and what was audited meanwhile: these reads too.
    expect(paged.slice(paged.length - all.length)).to.deep.equal(all);
    // Who looked at the log, and how, is in it too: the last page's read is the latest entry of its kind.
    const looked = (await getJson(`${hub.apiUrl}/v1/audit?action=audit&limit=1`, auditor)).body
      .entries as Record<string, unknown>[];
    expect(looked[0]).to.deep.include({
      action: 'audit',
      actor: { sub: 'auditor-KZ', role: 'auditor', country: 'KZ' },
      query: { limit: 3, verify: 'false', ...(last.before ? { before: last.before } : {}) },
      count: last.count,
    });
    const searches = await getJson(`${hub.apiUrl}/v1/audit?action=search&sub=analyst-KZ&country=KZ`, auditor);
    expect(searches.body.valid).to.equal(true);
    const found = searches.body.entries as { action: string; actor: { sub: string; country: string } }[];
    expect(found.length).to.be.above(0);
    for (const e of found)
      expect(e).to.deep.include({
        action: 'search',
        actor: { ...e.actor, sub: 'analyst-KZ', country: 'KZ' },
      });
    for (const [query, field] of [
      ['role=spy', 'role'],
      ['action=delete', 'action'],
      ['sub=%01x', 'sub'],
      ['before=0', 'before'],
      ['verify=maybe', 'verify'],
      ['sub[$ne]=x', 'sub[$ne]'],
    ]) {
      const r = await getJson(`${hub.apiUrl}/v1/audit?${query}`, auditor);
      expect(r.status, query).to.equal(400);
      expect((r.body.errors as { field: string }[])[0]!.field, query).to.equal(field);
    }
    const zero = await getJson(`${hub.apiUrl}/v1/audit?before=0`, auditor);
    expect((zero.body.errors as { message: string }[])[0]!.message).to.equal(
      'must be a whole number of at least 1',
    );
  });

  it('answers a request it cannot read 400, naming what to fix, never 500', async () => {
    type Refusal = { error: { code: string; message: string }; errors: { field: string; message: string }[] };
    const refusal = async (r: Response) => {
      expect(r.status).to.equal(400);
      const body = (await r.json()) as Refusal;
      expect(body.error.code).to.equal('VALIDATION_FAILED');
      expect(body.errors).to.have.length(1);
      return body.errors[0]!;
    };
    const path = await refusal(
      await fetch(`${hub.apiUrl}/v1/seizures/%E0%A4%A`, {
        headers: { authorization: `Bearer ${hub.token('analyst', 'KZ')}` },
      }),
    );
    expect(path.field).to.equal('(path)');
    expect(path.message)
      .to.match(/%E0%A4%A/)
      .and.to.match(/UTF-8/);

    const ask = (headers: Record<string, string>) =>
      fetch(`${hub.apiUrl}/v1/requests`, {
        method: 'POST',
        headers: { authorization: `Bearer ${hub.token('coordinator', 'KZ')}`, ...headers },
        body: JSON.stringify({ to: 'UZ' }),
      });
    const charset = await refusal(await ask({ 'content-type': 'application/json; charset=latin1' }));
    expect(charset.field).to.equal('content-type');
    expect(charset.message).to.match(/must be UTF-8 JSON: charset latin1 is not supported/);
    const encoding = await refusal(
      await ask({ 'content-type': 'application/json', 'content-encoding': 'bogus' }),
    );
    expect(encoding.field).to.equal('content-encoding');
    expect(encoding.message).to.match(/content-encoding bogus is not supported: send gzip, deflate, br/);
    // None of them counted as a failure of the API's own.
    expect(await metricValue(hub.apiUrl, 'hub_http_request_seconds_count', { status: '500' })).to.equal(0);
  });

  it('marks every /v1 answer, records and errors alike, no-store and nosniff', async () => {
    const auth = { authorization: `Bearer ${hub.token('analyst', 'KZ', 'RED')}` };
    const answers = {
      search: await fetch(`${hub.apiUrl}/v1/seizures?limit=2`, { headers: auth }),
      red: await fetch(`${hub.apiUrl}/v1/seizures/${ids.kzRed}`, { headers: auth }),
      csv: await fetch(`${hub.apiUrl}/v1/export/seizures.csv?country=KZ`, { headers: auth }),
      stats: await fetch(`${hub.apiUrl}/v1/stats?groupBy=country`, { headers: auth }),
      unauthenticated: await fetch(`${hub.apiUrl}/v1/seizures`),
      refused: await fetch(`${hub.apiUrl}/v1/seizures?limit=0`, { headers: auth }),
    };
    expect(answers.red.status).to.equal(200);
    expect(answers.csv.headers.get('content-type')).to.match(/^text\/csv/);
    expect(answers.unauthenticated.status).to.equal(401);
    for (const [name, r] of Object.entries(answers)) {
      expect(r.headers.get('cache-control'), name).to.equal('no-store');
      expect(r.headers.get('x-content-type-options'), name).to.equal('nosniff');
      await r.arrayBuffer();
    }
  });

  it('documents every error code in docs/errors.md', () => {
    const doc = readFileSync(join(repoRoot, 'docs', 'errors.md'), 'utf8');
    for (const [code, { status }] of Object.entries(ERROR_STATUS))
      expect(doc, code).to.match(new RegExp(`\\| \`${code}\` \\| ${status} \\|`));
  });

  it('describes itself in OpenAPI 3 and answers health and metrics', async () => {
    const spec = await getJson(`${hub.apiUrl}/openapi.json`);
    expect(spec.body.openapi).to.match(/^3\./);
    expect(Object.keys(spec.body.paths as object)).to.include.members([
      '/v1/seizures',
      '/v1/seizures/{reportId}',
      '/v1/stats',
      '/v1/routes',
      '/v1/audit',
    ]);
    expect((await getJson(`${hub.apiUrl}/healthz`)).status).to.equal(200);
    expect(
      (await getJson(`${hub.apiUrl}/v1/seizures?country=KZ`, hub.token('analyst', 'KZ'))).status,
    ).to.equal(200);
    const metrics = await (await fetch(`${hub.apiUrl}/metrics`)).text();
    expect(metrics).to.contain('hub_process_cpu_seconds_total');
    // The store's time per command and collection: the search read the reports.
    const reads = { command: 'find', collection: 'reports', outcome: 'ok' };
    expect(await metricValue(hub.apiUrl, 'hub_store_command_seconds_count', reads)).to.be.greaterThan(0);
  });
});
