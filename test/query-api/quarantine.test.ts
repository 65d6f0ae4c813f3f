// GET /v1/quarantine on the real stack: envelopes refused by the coordinator (bytes that are no envelope, a KZ
// envelope written to UZ's topic, a report whose content the hub refuses) listed newest first with why and where,
// filtered and paged; a node's operator sees only what came in on its own country's topic (what its node wrote,
// whatever origin it claims, the unreadable bytes too); an analyst nothing; the refused bytes never given out.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { seizureReportFromJson } from '@hub/domain';
import { topicNames } from '@hub/kafka';
import { waitUntil } from '../support/env';
import { getJson, minimalReport, produceRaw, signedAs, useTestHub } from '../support/hub';

interface Quarantined {
  id: string;
  reason: string;
  origin: string | null;
  topic: string;
  detail: string;
  quarantinedAt: string;
  redriveOf?: string;
  redrive?: { outcome: string; requestedBy: string | null };
  redrivePending?: { requestedBy: string | null };
  redriveNotSent?: { requestedBy: string | null };
}

describe('query API: the envelopes the coordinator refused', function () {
  this.timeout(120000);
  const fx = useTestHub('quarantine-api', ['KZ', 'UZ']);
  const get = async (query: string, role = 'coordinator', country = 'KZ') => {
    const r = await getJson(
      `${fx.hub.apiUrl}/v1/quarantine${query}`,
      fx.hub.token(role as 'coordinator', country, 'RED'),
    );
    return r as { status: number; body: { quarantined: Quarantined[]; nextCursor: string | null } };
  };

  it('lists them newest first with why and where, filters and pages them, and keeps each to whom it concerns', async () => {
    const names = topicNames(fx.env.config.namespace);
    // A report KZ's node signed; `overrides` are put in after the node's checks, as a faulty node would.
    const kzReport = (overrides: Record<string, unknown>) =>
      signedAs(fx.env, 'KZ', 'SeizureReport', {
        ...seizureReportFromJson(
          { ...minimalReport(), reportId: randomUUID() },
          { nodeCountry: 'KZ', now: Date.now(), versionOf: () => 1, regions: new Set() },
        ).value,
        ...overrides,
      }).bytes;
    // One at a time, so that each is refused after the one before.
    await produceRaw(fx.env, names.nodeOut('KZ'), [{ key: 'junk', value: Buffer.from('not an envelope') }]);
    await waitUntil(
      'the first refused',
      async () => (await get('')).body.quarantined.length === 1 || undefined,
    );
    await produceRaw(fx.env, names.nodeOut('UZ'), [{ key: 'misplaced', value: kzReport({}) }]);
    await waitUntil(
      'the second refused',
      async () => (await get('')).body.quarantined.length === 2 || undefined,
    );
    const future = Date.now() + 30 * 86_400_000;
    await produceRaw(fx.env, names.nodeOut('KZ'), [{ key: 'future', value: kzReport({ seizedAt: future }) }]);
    const all = await waitUntil('all three refused', async () => {
      const r = await get('');
      return r.body.quarantined.length === 3 ? r : undefined;
    });

    expect(all.status).to.equal(200);
    const list = all.body.quarantined;
    expect(list.map((q) => q.reason)).to.deep.equal(['invalid-content', 'country-mismatch', 'malformed']);
    expect(list.map((q) => q.origin)).to.deep.equal(['KZ', 'KZ', null]);
    expect(list.map((q) => q.topic)).to.deep.equal([
      names.nodeOut('KZ'),
      names.nodeOut('UZ'),
      names.nodeOut('KZ'),
    ]);
    expect(list[0]!.detail).to.include('seizedAt');
    expect(list[0]!.id).to.match(/:[0-9]+:[0-9]+$/);
    expect(JSON.stringify(all.body), 'the refused bytes stay in the store').to.not.include('originalBytes');
    expect(Date.parse(list[0]!.quarantinedAt)).to.be.at.least(Date.parse(list[2]!.quarantinedAt));

    const mismatch = await get('?reason=country-mismatch');
    expect(mismatch.body.quarantined.map((q) => q.topic)).to.deep.equal([names.nodeOut('UZ')]);
    expect((await get('?origin=KZ')).body.quarantined).to.have.length(2);
    expect((await get(`?from=${new Date(future).toISOString()}`)).body.quarantined).to.have.length(0);
    const newest = encodeURIComponent(list[0]!.quarantinedAt);
    expect((await get(`?from=2020-01-01&to=${newest}`)).body.quarantined, 'both bounds').to.have.length(3);
    expect((await get(`?from=2020-01-01&to=2020-01-02`)).body.quarantined).to.have.length(0);

    const first = await get('?limit=2');
    expect(first.body.quarantined.map((q) => q.id)).to.deep.equal(list.slice(0, 2).map((q) => q.id));
    const rest = await get(`?limit=2&cursor=${first.body.nextCursor}`);
    expect(rest.body.quarantined.map((q) => q.id)).to.deep.equal([list[2]!.id]);
    expect(rest.body.nextCursor).to.equal(null);

    // A node's operator: what came in on its own country's topic, as its receipts did (only its node may write
    // there): KZ's the unreadable bytes too, which claim no origin; UZ's the KZ envelope written to UZ's topic.
    const kz = await get('', 'node-operator', 'KZ');
    expect(kz.body.quarantined.map((q) => q.reason)).to.deep.equal(['invalid-content', 'malformed']);
    const uz = await get('', 'node-operator', 'UZ');
    expect(uz.body.quarantined.map((q) => q.reason)).to.deep.equal(['country-mismatch']);
    expect(
      (await get('?origin=KZ', 'node-operator', 'UZ')).body.quarantined,
      'origin filters within',
    ).to.have.length(1);
    expect((await get('?origin=UZ', 'node-operator', 'UZ')).body.quarantined).to.deep.equal([]);
    expect((await get('?origin=KZ', 'node-operator', 'KZ')).body.quarantined).to.have.length(1);
    const analyst = await get('', 'analyst', 'KZ');
    expect(analyst.status).to.equal(403);
  });

  it('shows who asked for a re-drive to the coordination centre, and not to a node’s operator', async () => {
    const names = topicNames(fx.env.config.namespace);
    const since = Date.now();
    await produceRaw(fx.env, names.nodeOut('KZ'), [
      { key: 'asked', value: Buffer.from('no envelope either') },
    ]);
    const entry = await waitUntil('refused', async () =>
      (await get(`?reason=malformed`)).body.quarantined.find(
        (q) => !q.redriveOf && Date.parse(q.quarantinedAt) >= since,
      ),
    );
    const asked = await fetch(`${fx.hub.apiUrl}/v1/quarantine/redrive`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${fx.hub.token('coordinator', 'KZ', 'RED')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ ids: [entry.id] }),
    });
    expect(asked.status).to.equal(202);
    const requesters = (q: Quarantined | undefined) =>
      [q?.redrive, q?.redrivePending, q?.redriveNotSent].filter(Boolean).map((r) => r!.requestedBy);
    const asOperator = async () =>
      (await get('', 'node-operator', 'KZ')).body.quarantined.find((q) => q.id === entry.id);
    // Waiting to be taken, then taken (the bytes are still no envelope: refused again).
    expect(requesters(await asOperator())).to.deep.equal([null]);
    const taken = await waitUntil('the re-drive taken', async () => {
      const q = (await get('')).body.quarantined.find((x) => x.id === entry.id);
      return q?.redrive ? q : undefined;
    });
    expect(taken.redrive!.requestedBy).to.equal('coordinator-KZ');
    const seen = await asOperator();
    expect(seen?.redrive?.outcome).to.equal('rejected');
    expect(requesters(seen)).to.deep.equal([null]);
    expect(JSON.stringify((await get('', 'node-operator', 'KZ')).body)).to.not.include('coordinator-KZ');
  });

  it('refuses a filter it cannot use, naming it', async () => {
    for (const [query, field] of [
      ['?reason=lost', 'reason'],
      ['?origin=Atlantis', 'origin'],
      ['?limit=0', 'limit'],
      ['?from=yesterday', 'from'],
      ['?cursor=abc', 'cursor'],
    ]) {
      const r = await getJson(
        `${fx.hub.apiUrl}/v1/quarantine${query}`,
        fx.hub.token('coordinator', 'KZ', 'RED'),
      );
      expect(r.status, query).to.equal(400);
      expect(
        (r.body.errors as { field: string }[]).map((e) => e.field),
        query,
      ).to.deep.equal([field]);
    }
  });
});
