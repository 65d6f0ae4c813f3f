// Cross-border alerts for each matching rule, and the regional feeds' releasability, on the real stack.
import { expect } from 'chai';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ALERT_MATCHED_MAX, KEY_MEMBERS_MAX, loadMatchSecret } from '@hub/coordinator/correlate';
import { derivedUuid } from '@hub/coordinator/replies';
import { seizureReportFromJson } from '@hub/domain';
import { createVerifier, type Envelope } from '@hub/envelope';
import { createKafka, topicNames } from '@hub/kafka';
import { PkiStore } from '@hub/pki';
import { loadSchemaRegistry } from '@hub/schemas';
import { alertScore, COLLECTIONS, connectStore, type Store } from '@hub/store';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { getJson, postJson, produceRaw, signedAs, startTestHub, type TestHub } from '../support/hub';

type Alert = {
  alertId: string;
  rule: string;
  countries: string[];
  score: number;
  matchKeyPrefix: string | null;
  matched: { reportId: string; country: string }[];
  reason: string;
};

const DAY = 86400000;

function report(country: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    reportId: randomUUID(),
    seizedAt: new Date(Date.now() - 2 * DAY).toISOString(),
    country,
    agency: 'customs',
    drugs: [{ substance: 'heroin', quantity: 3, unit: 'kg' }],
    handling: { tlp: 'GREEN' },
    ...over,
  };
}

describe('coordinator: correlation and regional feeds', function () {
  this.timeout(180000);
  let env: TestEnv;
  let hub: TestHub;
  let store: Store;

  before(async () => {
    env = createTestEnv('correlation');
    hub = await startTestHub(env, ['KZ', 'UZ', 'KG']);
    store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
  });
  after(async () => {
    await store?.close();
    await hub?.close();
    env?.cleanup();
  });

  const post = async (cc: string, body: Record<string, unknown>) => {
    const r = await postJson(`${hub.nodes[cc]!.url}/v1/seizures`, body);
    expect(r.status, JSON.stringify(r.body)).to.equal(202);
    return r.body.reportId as string;
  };
  const alertsOf = async (cc: string, role: 'analyst' | 'coordinator' = 'analyst') =>
    (await getJson(`${hub.apiUrl}/v1/alerts`, hub.token(role, cc, 'RED'))).body.alerts as Alert[];
  /**
   * Reports signed as `cc`'s node and written straight to its topic, as a node that checks less (or one from before
   * a check) would: the coordinator must hold its own line. Each is `body` with `change` applied after reading.
   */
  const signedReports = async (
    cc: string,
    bodies: Record<string, unknown>[],
    change: (value: Record<string, unknown>, index: number) => void = () => {},
  ) => {
    const ids: string[] = [];
    const messages = bodies.map((body, i) => {
      const { value } = seizureReportFromJson(body, {
        nodeCountry: cc,
        now: Date.now(),
        versionOf: () => 1,
        regions: new Set(),
      });
      change(value as unknown as Record<string, unknown>, i);
      ids.push(value.reportId);
      return { key: value.reportId, value: signedAs(env, cc, 'SeizureReport', value).bytes };
    });
    // A record batch stays well below the brokers' message size. A topic the node has just made may not take
    // records yet: sent again (the coordinator takes a message it has stored once).
    for (let i = 0; i < messages.length; i += 100)
      await waitUntil(`${cc}'s topic taking records`, () =>
        produceRaw(env, topicNames(env.config.namespace).nodeOut(cc), messages.slice(i, i + 100)).then(
          () => true,
        ),
      );
    return ids;
  };
  /** Waits until the coordinator has matched (or left unmatched) each of `ids`. */
  const correlated = (ids: string[]) =>
    waitUntil(
      `${ids.length} reports correlated`,
      async () =>
        (await store
          .collection<{ _id: string }>(COLLECTIONS.reportKeys)
          .countDocuments({ _id: { $in: ids.map((id) => `r:${id}`) } })) === ids.length || undefined,
      120000,
    );
  /**
   * Waits until the coordinator has finished with each of `ids`, reports of `cc`: their receipts reached its node,
   * which are sent once the reports' alerts are stored and their feed records written.
   */
  const receipted = (cc: string, ids: string[]) =>
    waitUntil(
      `${ids.length} receipts at ${cc}'s node`,
      async () => {
        for (const id of ids)
          if ((await getJson(`${hub.nodes[cc]!.url}/v1/receipts/${id}`)).body.status !== 'accepted')
            return undefined;
        return true;
      },
      120000,
    );
  const alertFor = (cc: string, ids: string[]) =>
    waitUntil(`an alert on ${ids.join(', ')} for ${cc}`, async () =>
      (await alertsOf(cc)).find((a) => ids.every((id) => a.matched.some((m) => m.reportId === id))),
    );

  it('matches the same plate written with Cyrillic look-alikes and spaces, without the plate travelling', async () => {
    const kz = await post(
      'KZ',
      report('KZ', {
        conveyance: { mode: 'road', identifiers: [{ kind: 'plate', value: '01 КZ 777 АВА' }] },
        handling: { tlp: 'GREEN', evaluation: 'A1' },
      }),
    );
    const uz = await post(
      'UZ',
      report('UZ', {
        conveyance: { mode: 'road', identifiers: [{ kind: 'plate', value: '01-KZ-777ABA' }] },
        handling: { tlp: 'GREEN', evaluation: 'A1' },
      }),
    );
    const alert = await alertFor('KZ', [kz, uz]);
    expect(alert.rule).to.equal('shared_identifier');
    expect(alert.countries).to.deep.equal(['KZ', 'UZ']);
    // The plate in none of its forms (`777` alone would also match the random hex of ids and key prefixes).
    expect(JSON.stringify(alert)).not.to.match(
      /0\W*1\W*[KК]\W*Z\W*7\W*7\W*7|7\W*7\W*7\W*[AА]\W*[BВ]\W*[AА]/i,
    );
    expect(alert.matchKeyPrefix).to.match(/^[0-9a-f]{12}$/);
    // Each country concerned hears of it on its node; the country not concerned sees nothing.
    for (const cc of ['KZ', 'UZ']) {
      await waitUntil(`the alert at ${cc}'s node`, async () => {
        const r = await getJson(`${hub.nodes[cc]!.url}/v1/alerts`);
        return (r.body.alerts as Alert[]).some((a) => a.alertId === alert.alertId) || undefined;
      });
    }
    expect((await alertsOf('KG')).some((a) => a.alertId === alert.alertId)).to.equal(false);
    expect(((await getJson(`${hub.nodes.KG!.url}/v1/alerts`)).body.alerts as Alert[]).length).to.equal(0);
    expect((await alertsOf('KG', 'coordinator')).some((a) => a.alertId === alert.alertId)).to.equal(true);

    // The same rule with poorly evaluated reports scores lower.
    const weakA = await post(
      'KZ',
      report('KZ', {
        conveyance: { mode: 'sea', identifiers: [{ kind: 'container', value: 'CSQU3054383' }] },
        handling: { tlp: 'GREEN', evaluation: 'E4' },
      }),
    );
    const weakB = await post(
      'UZ',
      report('UZ', {
        conveyance: { mode: 'sea', identifiers: [{ kind: 'container', value: 'csqu 305438 3' }] },
        handling: { tlp: 'GREEN', evaluation: 'X4' },
      }),
    );
    const weak = await alertFor('UZ', [weakA, weakB]);
    expect(weak.score).to.be.below(alert.score);
  });

  it('matches a linked case across countries, and a route with its concealment only within the window', async () => {
    const a = await post('KZ', report('KZ', { links: [{ kind: 'case', ref: 'op-north-17' }] }));
    const b = await post('KG', report('KG', { links: [{ kind: 'case', ref: 'OP-NORTH-17 ' }] }));
    expect((await alertFor('KG', [a, b])).rule).to.equal('linked_case');

    const route = [
      { country: 'AF', role: 'origin' },
      { country: 'TJ', role: 'transit' },
      { country: 'KG', role: 'transit' },
      { country: 'RU', role: 'destination' },
    ];
    const late = await post(
      'KZ',
      report('KZ', {
        route,
        concealment: 'fuel tank',
        seizedAt: new Date(Date.now() - 90 * DAY).toISOString(),
      }),
    );
    const r1 = await post('KG', report('KG', { route, concealment: 'fuel-tank' }));
    const r2 = await post(
      'UZ',
      report('UZ', {
        route,
        concealment: 'fuel-tank',
        seizedAt: new Date(Date.now() - 10 * DAY).toISOString(),
      }),
    );
    const alert = await alertFor('UZ', [r1, r2]);
    expect(alert.rule).to.equal('route_and_concealment');
    // A different concealment on the same route is no match; nor is the same one outside the window. Both are
    // waited for (correlated, alerts stored) before their lack of alerts says anything.
    const other = await post('KZ', report('KZ', { route, concealment: 'cargo' }));
    await correlated([other, late]);
    await receipted('KZ', [other, late]);
    const alerts = await alertsOf('KZ', 'coordinator');
    const naming = (id: string) => alerts.filter((x) => x.matched.some((m) => m.reportId === id));
    expect(naming(late), 'the same route and concealment 90 days before').to.deep.equal([]);
    expect(naming(other), 'another concealment on the same route').to.deep.equal([]);
  });

  it('matches a route with its concealment across the edge of the 30-day periods its keys are kept in', async () => {
    // Keys are kept per 30-day period: two reports 4 days apart on either side of a period's edge still match.
    const edge = Math.floor((Date.now() - 40 * DAY) / (30 * DAY)) * 30 * DAY;
    const route = [
      { country: 'AF', role: 'origin' },
      { country: 'IR', role: 'transit' },
      { country: 'TM', role: 'transit' },
      { country: 'RU', role: 'destination' },
    ];
    const before = await post(
      'KZ',
      report('KZ', { route, concealment: 'fuel-tank', seizedAt: new Date(edge - 2 * DAY).toISOString() }),
    );
    const after = await post(
      'KG',
      report('KG', { route, concealment: 'fuel-tank', seizedAt: new Date(edge + 2 * DAY).toISOString() }),
    );
    const alert = await alertFor('KG', [before, after]);
    expect(alert.rule).to.equal('route_and_concealment');
    expect(alert.countries).to.deep.equal(['KG', 'KZ']);
  });

  it('never matches identifiers or links that name nothing: the node refuses them, and signed ones match nobody', async () => {
    // An agency's "unknown plate" is refused at the node, naming the field, the value and the rule.
    const refused = await postJson(
      `${hub.nodes.KZ!.url}/v1/seizures`,
      report('KZ', {
        conveyance: { mode: 'road', identifiers: [{ kind: 'plate', value: '-' }] },
        links: [{ kind: 'case', ref: '/' }],
      }),
    );
    expect(refused.status).to.equal(400);
    expect(refused.body.errors).to.deep.include.members([
      {
        field: 'conveyance.identifiers[0].value',
        message:
          'must contain a letter or a digit (a placeholder such as "-" names nothing; leave an unknown identifier out)',
        value: '-',
      },
      {
        field: 'links[0].ref',
        message:
          'must contain a letter or a digit (a placeholder such as "-" names nothing; leave an unknown identifier out)',
        value: '/',
      },
    ]);
    // Reports signed with such values (a node from before the check), RED among them, match nobody at the coordinator.
    const blanks = (cc: string, values: string[], tlp = 'GREEN') =>
      signedReports(
        cc,
        values.map(() =>
          report(cc, {
            conveyance: { mode: 'road', identifiers: [{ kind: 'plate', value: 'X' }] },
            links: [{ kind: 'case', ref: 'X' }],
            handling: { tlp },
          }),
        ),
        (value, i) => {
          (value.conveyance as { identifiers: { value: string }[] }).identifiers[0]!.value = values[i]!;
          (value.links as { ref: string }[])[0]!.ref = values[i]!;
        },
      );
    const ids = [
      ...(await blanks('KZ', ['-'], 'RED')),
      ...(await blanks('KZ', ['.', ''])),
      ...(await blanks('UZ', ['/'])),
      ...(await blanks('KG', [' _ '], 'RED')),
    ];
    await correlated(ids);
    const named = (await alertsOf('KG', 'coordinator')).filter((a) =>
      a.matched.some((m) => ids.includes(m.reportId)),
    );
    expect(named, JSON.stringify(named)).to.deep.equal([]);
  });

  it('takes a report out of its alerts when a new version corrects the plate away, and back when one names it again', async () => {
    // KZ's and KG's reports name one plate; KZ's version 2 corrects a typo in it, its version 3 undoes that.
    const tail = randomUUID().slice(0, 5);
    const truck = (value: string) => ({ mode: 'road', identifiers: [{ kind: 'plate', value }] });
    const kzBody = report('KZ', { conveyance: truck(`777${tail}C02`) });
    const kz = await post('KZ', kzBody);
    const kg = await post('KG', report('KG', { conveyance: truck(`777${tail}C02`) }));
    const alert = await alertFor('KG', [kz, kg]);
    expect(alert.countries).to.deep.equal(['KG', 'KZ']);
    expect(alert.reason).to.equal('2 reports name the same plate identifier');
    const shown = async (cc: string, role: 'analyst' | 'coordinator' = 'analyst') =>
      (await alertsOf(cc, role)).some((a) => a.alertId === alert.alertId);

    expect(await post('KZ', { ...kzBody, conveyance: truck(`777${tail}D02`) })).to.equal(kz);
    await waitUntil('the alert no longer shown to KG', async () => !(await shown('KG')) || undefined, 120000);
    await receipted('KZ', [kz]);
    // No one is told of a match any more: not KZ, not a coordinator; nor does another alert link the two reports.
    expect(await shown('KZ'), 'to KZ').to.equal(false);
    expect(await shown('UZ', 'coordinator'), 'to a coordinator').to.equal(false);
    const linking = (await alertsOf('UZ', 'coordinator')).filter((a) =>
      a.matched.some((m) => m.reportId === kz),
    );
    expect(linking, JSON.stringify(linking)).to.deep.equal([]);
    // The alert stays stored as raised and sent, KZ's report noted as having left its key.
    const stored = await store
      .collection<Alert & { _id: string; left?: string[] }>(COLLECTIONS.alerts)
      .findOne({ _id: alert.alertId });
    expect(stored?.left).to.deep.equal([kz]);
    expect(stored?.matched.map((m) => m.reportId).sort()).to.deep.equal([kz, kg].sort());

    // Version 3 names the plate again: the same two reports match, the same alert is shown again, none new.
    await post('KZ', { ...kzBody, conveyance: truck(`777${tail}C02`) });
    const again = await waitUntil(
      'the alert shown to KG again',
      async () => (await alertsOf('KG')).find((a) => a.alertId === alert.alertId),
      120000,
    );
    await receipted('KZ', [kz]);
    expect(again.matched.map((m) => m.reportId).sort()).to.deep.equal([kz, kg].sort());
    expect(again.countries).to.deep.equal(['KG', 'KZ']);
    expect(again.reason).to.equal(alert.reason);
    expect(again).not.to.have.property('left');
    const naming = await store
      .collection<{ _id: string }>(COLLECTIONS.alerts)
      .find({ 'matched.reportId': kz })
      .toArray();
    expect(naming.map((a) => a._id)).to.deep.equal([alert.alertId]);
  });

  it('names at most the most recent matches in an alert, and keeps a bounded number of them per key', async () => {
    const plate = `77 ${randomUUID().slice(0, 6)} 77`;
    const withPlate = (cc: string, seizedAt: number) =>
      report(cc, {
        conveyance: { mode: 'road', identifiers: [{ kind: 'plate', value: plate }] },
        seizedAt: new Date(seizedAt).toISOString(),
      });
    // UZ's one report is the oldest seizure; KZ's many are all more recent.
    const uz = await post('UZ', withPlate('UZ', Date.now() - 1000 * DAY));
    await correlated([uz]);
    const many = KEY_MEMBERS_MAX + 20;
    const kz = await signedReports(
      'KZ',
      Array.from({ length: many }, (_, i) => withPlate('KZ', Date.now() - (many - i) * 3600000)),
    );
    await correlated(kz);
    const alerts = await store
      .collection<Alert>(COLLECTIONS.alerts)
      .find({ 'matched.reportId': uz })
      .toArray();
    expect(alerts.length).to.be.greaterThan(0);
    // One alert for the reports of one locked stage on the key (chunks of up to 500), not one for each of them.
    // The reports are sent in six sends over three partitions while the coordinator reads, so the stages that
    // took them are more than six when it keeps up (up to about eighteen): far below one per report all the same.
    expect(alerts.length, 'alerts for a batch of the plate').to.be.at.most(Math.ceil(many / 20));
    for (const alert of alerts) {
      expect(alert.matched.length).to.be.at.most(ALERT_MATCHED_MAX);
      expect(alert.countries).to.deep.equal(['KZ', 'UZ']);
    }
    // Once the key holds more than an alert names, the reason says how many are left out.
    const full = alerts.filter((a) => a.matched.length === ALERT_MATCHED_MAX);
    expect(full.length).to.be.greaterThan(0);
    for (const alert of full) expect(alert.reason).to.match(/; \d+ more, of older seizures, are not named$/);
    // The key read on every match is bounded too, and UZ's report, the oldest, is still among what it keeps.
    const secret = loadMatchSecret(env.config.hubHome, env.config.matchSecretHex);
    const hash = createHmac('sha256', secret)
      .update(`id|plate:${plate.replace(/ /g, '').toUpperCase()}`)
      .digest('hex');
    const key = await store
      .collection<{ _id: string; members: Record<string, unknown> }>(COLLECTIONS.matchKeys)
      .findOne({ _id: `k:${hash}` });
    expect(Object.keys(key?.members ?? {}))
      .to.have.length(KEY_MEMBERS_MAX)
      .and.to.include(uz);
    // A later report of a third country is still matched, with UZ's, in an alert of the bounded size.
    const kg = await post('KG', withPlate('KG', Date.now() - DAY));
    const third = await waitUntil(
      'the alert on the KG report',
      () => store.collection<Alert>(COLLECTIONS.alerts).findOne({ 'matched.reportId': kg }),
      120000,
    );
    expect(third.matched).to.have.length(ALERT_MATCHED_MAX);
    expect(third.matched.map((m) => m.reportId)).to.include(uz);
    expect(third.countries).to.deep.equal(['KG', 'KZ', 'UZ']);
  });

  it('countersigns records onto the regional feeds only where every member may see them', async () => {
    const open = await post('KZ', report('KZ', { handling: { tlp: 'GREEN' } }));
    const toRegion = await post(
      'KZ',
      report('KZ', { handling: { tlp: 'AMBER', releasableTo: ['central-asia'] } }),
    );
    const toOne = await post('KZ', report('KZ', { handling: { tlp: 'AMBER', releasableTo: ['UZ'] } }));
    const red = await post('KZ', report('KZ', { handling: { tlp: 'RED' } }));
    const names = topicNames(env.config.namespace);
    const registry = loadSchemaRegistry();
    const pki = new PkiStore(join(env.config.hubHome, 'pki'));
    const verifier = createVerifier({ trust: pki.trustStore() });
    const kafka = createKafka({
      brokers: env.config.kafka.brokers,
      clientId: 'feed-test',
      logger: env.logger,
    });
    // By feed: each record's countersigned bytes, and what it says.
    const seen = new Map<
      string,
      Map<string, { bytes: Buffer; outer: Envelope; inner?: Envelope; region: string; regions: string[] }>
    >();
    const feeds = ['central-asia', 'balkan-route'];
    // Who signed each feed record, asserted after reading: an expect inside eachMessage would only make kafkajs
    // retry the message.
    const signers = new Set<string>();
    const consumer = kafka.consumer({ groupId: `${names.group('feed-test')}-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topics: feeds.map((r) => names.feed(r)), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const outer = verifier.verify(message.value!);
        if (!outer.ok || outer.envelope.messageType !== 'FeedRecord') return;
        signers.add(outer.envelope.origin);
        const record = registry.decode(outer.envelope.schemaFingerprint, outer.envelope.payload) as {
          subjectId: string;
          originalEnvelope: Buffer;
          region: string;
          regions: string[];
        };
        const inner = verifier.verify(record.originalEnvelope);
        const feed = feeds.find((r) => names.feed(r) === topic)!;
        if (!seen.has(feed)) seen.set(feed, new Map());
        seen.get(feed)!.set(record.subjectId, {
          bytes: message.value!,
          outer: outer.envelope,
          inner: inner.ok ? inner.envelope : undefined,
          region: record.region,
          regions: record.regions,
        });
      },
    });
    const on = (feed: string) => seen.get(feed) ?? new Map();
    try {
      await waitUntil(
        'the releasable records on the feeds',
        () =>
          on('central-asia').has(open) && on('central-asia').has(toRegion) && on('balkan-route').has(open),
        60000,
      );
      // The records kept off the feeds are handled (their feed records, if any, written) before their absence counts.
      await receipted('KZ', [toOne, red]);
      await new Promise((r) => setTimeout(r, 3000));
      expect([...signers], 'feed records countersigned by the coordinator').to.deep.equal(['HUB']);
      const central = on('central-asia');
      expect(central.get(open)?.inner?.origin).to.equal('KZ');
      expect(central.has(toOne), 'AMBER for UZ alone is not for all of Central Asia').to.equal(false);
      expect(central.has(red), 'RED never goes on a feed').to.equal(false);
      // One countersignature for every feed a record goes to, naming them all.
      expect(central.get(open)?.regions).to.deep.equal([
        'central-asia',
        'northern-route',
        'balkan-route',
        'south-caucasus',
      ]);
      expect(central.get(open)?.region, 'readers of v1 see the first region named').to.equal('central-asia');
      expect(on('balkan-route').get(open)?.bytes.equals(central.get(open)!.bytes)).to.equal(true);
      expect(central.get(toRegion)?.regions).to.deep.equal(['central-asia']);
      expect(on('balkan-route').has(toRegion), 'AMBER for Central Asia stays off the Balkan route').to.equal(
        false,
      );
    } finally {
      await consumer.disconnect();
    }
  });

  it('tells each country only the matched reports it may read: a RED report matching a GREEN one by plate is a count', async () => {
    const plate = `HN ${randomUUID().slice(0, 6)}`;
    const truck = { mode: 'road', identifiers: [{ kind: 'plate', value: plate }] };
    const kz = await post(
      'KZ',
      report('KZ', { conveyance: truck, handling: { tlp: 'GREEN', evaluation: 'A1' } }),
    );
    const uz = await post(
      'UZ',
      report('UZ', { conveyance: truck, handling: { tlp: 'RED', evaluation: 'E4' } }),
    );
    const atNode = (cc: string) =>
      waitUntil(`the alert at ${cc}'s node`, async () =>
        ((await getJson(`${hub.nodes[cc]!.url}/v1/alerts`)).body.alerts as Alert[]).find((a) =>
          a.matched.some((m) => m.reportId === (cc === 'KZ' ? kz : uz)),
        ),
      );
    // UZ may read KZ's GREEN report: its node is told the whole alert.
    const whole = await atNode('UZ');
    expect(whole.matched.map((m) => m.reportId).sort()).to.deep.equal([kz, uz].sort());
    expect(whole.countries).to.deep.equal(['KZ', 'UZ']);
    // KZ's node is told that a report it may not read matches its own: not which, nor whose, nor how it is rated.
    const told = await atNode('KZ');
    expect(told.alertId, 'the same alert').to.equal(whole.alertId);
    expect(told.matched.map((m) => m.reportId)).to.deep.equal([kz]);
    expect(told.countries).to.deep.equal(['KZ']);
    expect(told.reason).to.equal(
      '2 reports name the same plate identifier; 1 report you may not read matches yours',
    );
    // Scored as if UZ's report were unevaluated: the whole alert's score would tell its E4.
    expect(told.score).to.equal(alertScore('shared_identifier', ['A1', null]));
    expect(JSON.stringify(told)).not.to.include(uz);
    expect(JSON.stringify(told)).not.to.include('UZ');
    // The query API shows the same, to any clearance of KZ and to a coordinator of another country alike.
    for (const [cc, role] of [
      ['KZ', 'analyst'],
      ['KG', 'coordinator'],
    ] as const) {
      const shown = (await alertsOf(cc, role)).find((a) => a.alertId === whole.alertId);
      expect(
        shown?.matched.map((m) => m.reportId),
        `${role} of ${cc}`,
      ).to.deep.equal([kz]);
      expect(shown?.countries, `${role} of ${cc}`).to.deep.equal(['KZ']);
      expect(shown?.reason, `${role} of ${cc}`).to.include('you may not read');
    }
    const ownerView = (await alertsOf('UZ')).find((a) => a.alertId === whole.alertId);
    expect(ownerView?.matched.map((m) => m.reportId).sort()).to.deep.equal([kz, uz].sort());
  });
  it("names a country's copy of an alert by what it says, not by the countries that get the same", async () => {
    // KZ and KG may read each other's GREEN reports, not UZ's RED one: they are told the same copy, UZ the whole alert.
    const plate = `HM ${randomUUID().slice(0, 6)}`;
    const truck = { mode: 'road', identifiers: [{ kind: 'plate', value: plate }] };
    const kz = await post('KZ', report('KZ', { conveyance: truck }));
    const kg = await post('KG', report('KG', { conveyance: truck }));
    const uz = await post('UZ', report('UZ', { conveyance: truck, handling: { tlp: 'RED' } }));
    const names = topicNames(env.config.namespace);
    const registry = loadSchemaRegistry();
    const verifier = createVerifier({ trust: new PkiStore(join(env.config.hubHome, 'pki')).trustStore() });
    const kafka = createKafka({
      brokers: env.config.kafka.brokers,
      clientId: 'alert-copies-test',
      logger: env.logger,
    });
    // By country: the message id and content of each alert its node got on a plate's three reports.
    const got = new Map<string, { messageId: string; alert: Record<string, unknown> }[]>();
    const consumer = kafka.consumer({ groupId: `${names.group('alert-copies-test')}-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({
      topics: ['KZ', 'KG', 'UZ'].map((cc) => names.nodeIn(cc)),
      fromBeginning: true,
    });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const v = verifier.verify(message.value!);
        if (!v.ok || v.envelope.messageType !== 'CrossBorderAlert') return;
        const alert = registry.decode(v.envelope.schemaFingerprint, v.envelope.payload) as Record<
          string,
          unknown
        >;
        const reason = String(alert.reason);
        // The alert on all three: UZ's copy names them, KZ's and KG's say one is withheld.
        if (!(alert.matched as { reportId: string }[]).some((m) => m.reportId === kz)) return;
        if (
          !(alert.matched as { reportId: string }[]).some((m) => m.reportId === uz) &&
          !reason.includes('withheld')
        )
          return;
        const cc = names.countryOf(topic)!;
        got.set(cc, [...(got.get(cc) ?? []), { messageId: v.envelope.messageId, alert }]);
      },
    });
    /** Canonical JSON of what a copy says (keys sorted), without when the coordinator made it. */
    const content = (value: unknown): unknown =>
      value === null || typeof value !== 'object'
        ? value
        : Array.isArray(value)
          ? value.map(content)
          : Object.fromEntries(
              Object.keys(value)
                .filter((k) => k !== 'createdAt')
                .sort()
                .map((k) => [k, content((value as Record<string, unknown>)[k])]),
            );
    // The three reports' partitions are taken concurrently: KZ's and UZ's may be matched first, in an alert of their
    // own (without KG's), before the one on all three.
    const names3 = (c: { alert: Record<string, unknown> }) => {
      const ids = (c.alert.matched as { reportId: string }[]).map((m) => m.reportId);
      return ids.includes(kz) && ids.includes(uz);
    };
    const withKg = (c: { alert: Record<string, unknown> }) =>
      (c.alert.matched as { reportId: string }[]).some((m) => m.reportId === kg);
    try {
      await waitUntil('the alert on the three reports at each node', () =>
        got.get('KZ')?.some(withKg) &&
        got.get('KG')?.some(withKg) &&
        got.get('UZ')?.some((c) => names3(c) && withKg(c))
          ? true
          : undefined,
      );
      const [kzCopy, kgCopy, uzCopy] = ['KZ', 'KG', 'UZ'].map((cc) => got.get(cc)!.filter(withKg));
      expect(kzCopy, 'one copy at KZ').to.have.length(1);
      const alertId = String(uzCopy!.find(names3)!.alert.alertId);
      expect(
        (kzCopy![0]!.alert.matched as { reportId: string }[]).map((m) => m.reportId).sort(),
      ).to.deep.equal([kz, kg].sort());
      // One copy signed for KZ and KG: the same message.
      expect(kgCopy![0]!.messageId).to.equal(kzCopy![0]!.messageId);
      // Its id derives from what KZ holds, not from who else got it (which KZ could find by trying sets of countries).
      const digest = createHash('sha256')
        .update(JSON.stringify(content(kzCopy![0]!.alert)))
        .digest('hex');
      expect(kzCopy![0]!.messageId).to.equal(derivedUuid(`alert:${alertId}:${digest}`));
      expect(kzCopy![0]!.messageId).not.to.equal(derivedUuid(`alert:${alertId}:KG,KZ`));
      // The whole alert keeps the id alerts always had.
      expect(uzCopy!.find(names3)!.messageId).to.equal(derivedUuid(`alert:${alertId}`));
    } finally {
      await consumer.disconnect();
    }
  });
});
