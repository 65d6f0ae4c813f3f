// GET /v1/receipts at a national node, on the real stack: everything the node sent, newest first, with the status
// of its latest receipt, filtered by status and paged with a cursor that records sent since do not shift; a record
// the hub refused listed with why; bad parameters refused naming the parameter.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startCoordinator } from '@hub/coordinator';
import { startNationalNode, type RunningNationalNode } from '@hub/national-node';
import { waitUntil } from '../support/env';
import { join } from 'node:path';
import { createSigner } from '@hub/envelope';
import { topicNames } from '@hub/kafka';
import { PkiStore } from '@hub/pki';
import {
  getJson,
  metricValue,
  minimalReport,
  postJson,
  produceRaw,
  testPki,
  useTestHub,
} from '../support/hub';

describe('national node: the list of what it sent and what the hub answered', function () {
  this.timeout(120000);
  const fx = useTestHub('receipts-list', ['KZ', 'UZ']);
  let sendOnly: RunningNationalNode | undefined;
  after(async () => {
    await sendOnly?.close();
  });

  const report = (country: string, reportId: string = randomUUID()) => ({
    ...minimalReport(),
    reportId,
    country,
  });
  /** Posts a report and waits for its receipt at the node; returns its id. */
  const sent = async (node: string, body: { reportId: string }, status: 'accepted' | 'rejected') => {
    const url = fx.hub.nodes[node]!.url;
    expect((await postJson(`${url}/v1/seizures`, body)).status).to.equal(202);
    await waitUntil(`the receipt of ${body.reportId}`, async () => {
      const r = await getJson(`${url}/v1/receipts/${body.reportId}`);
      return r.body.status === status || undefined;
    });
    return body.reportId;
  };
  /** A coordinator of the test's own (the hub's is stopped by a test below), with its clock when given. */
  const coordinatorOfOwn = (clock?: () => number) =>
    startCoordinator({
      config: fx.env.config,
      logger: fx.env.logger,
      opsPort: 0,
      topicRefreshMs: 1000,
      ...(clock && { clock }),
    });
  const list = async (query: string) => {
    const r = await getJson(`${fx.hub.nodes.KZ!.url}/v1/receipts${query}`);
    return r as {
      status: number;
      body: {
        counts: Record<string, number>;
        records: { id: string; status: string; sentVersion: number; reasons?: { code: string }[] }[];
        nextCursor?: string;
        errors?: { field: string }[];
      };
    };
  };

  it('lists what the node sent, newest first, finds what the hub refused and why, and pages stably', async () => {
    const a = await sent('KZ', report('KZ'), 'accepted');
    const b = await sent('KZ', report('KZ'), 'accepted');
    const c = await sent('KZ', report('KZ'), 'accepted');
    // Another country's node sent this id first: KZ's version 1 of it is refused (stale-version).
    const taken = await sent('UZ', report('UZ'), 'accepted');
    await sent('KZ', report('KZ', taken), 'rejected');

    const all = await list('');
    expect(all.status).to.equal(200);
    expect(all.body.counts).to.deep.equal({ pending: 0, accepted: 3, rejected: 1 });
    expect(all.body.records.map((r) => r.id)).to.deep.equal([taken, c, b, a]);
    expect(all.body.nextCursor).to.equal(undefined);

    const refused = await list('?status=rejected');
    expect(refused.body.records.map((r) => r.id)).to.deep.equal([taken]);
    expect(refused.body.records[0]!.reasons!.map((r) => r.code)).to.deep.equal(['stale-version']);
    expect(refused.body.records[0]!.sentVersion).to.equal(1);

    const first = await list('?limit=2');
    expect(first.body.records.map((r) => r.id)).to.deep.equal([taken, c]);
    expect(first.body.nextCursor).to.be.a('string');
    // A record sent between two pages does not shift the next one.
    const d = await sent('KZ', report('KZ'), 'accepted');
    const second = await list(`?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.records.map((r) => r.id)).to.deep.equal([b, a]);
    expect(second.body.nextCursor).to.equal(undefined);
    expect((await list('?limit=1')).body.records.map((r) => r.id)).to.deep.equal([d]);
    const accepted = await list('?status=accepted&limit=3');
    expect(accepted.body.records.map((r) => r.id)).to.deep.equal([d, c, b]);
    const rest = await list(`?status=accepted&limit=3&cursor=${accepted.body.nextCursor}`);
    expect(rest.body.records.map((r) => r.id)).to.deep.equal([a]);
  });

  it('lists a record without a receipt as pending', async () => {
    // A send-only node follows no inbound topic: the hub's receipts never reach it.
    testPki(fx.env, ['TJ']);
    sendOnly = await startNationalNode({
      config: fx.env.config,
      country: 'TJ',
      logger: fx.env.logger,
      port: 0,
      inbound: false,
    });
    const body = report('TJ');
    const before = Date.now();
    expect((await postJson(`${sendOnly.url}/v1/seizures`, body)).status).to.equal(202);
    const r = await getJson(`${sendOnly.url}/v1/receipts?status=pending`);
    expect(r.status).to.equal(200);
    expect(r.body.counts).to.deep.equal({ pending: 1, accepted: 0, rejected: 0 });
    const [record] = r.body.records as { pendingSince: string }[];
    expect(record).to.deep.equal({
      id: body.reportId,
      sentVersion: 1,
      status: 'pending',
      pendingSince: record!.pendingSince,
    });
    // Since the node took it.
    expect(Date.parse(record!.pendingSince)).to.be.within(before - 1000, Date.now());
  });

  it('refuses a parameter it does not know or cannot use, naming it', async () => {
    for (const [query, field] of [
      ['?status=lost', 'status'],
      ['?limit=0', 'limit'],
      ['?limit=501', 'limit'],
      ['?limit=ten', 'limit'],
      ['?cursor=not-ours', 'cursor'],
      [`?cursor=${Buffer.from('p999999').toString('base64url')}`, 'cursor'],
      ['?since=2026-01-01', 'since'],
    ]) {
      const r = await list(query!);
      expect(r.status, query).to.equal(400);
      expect(
        r.body.errors?.map((f) => f.field),
        query,
      ).to.deep.equal([field]);
    }
  });
  it("keeps a record's status when a renewal of it is answered, and says whether the hub took the renewal", async () => {
    const url = fx.hub.nodes.KZ!.url;
    const id = await sent('KZ', report('KZ'), 'accepted');
    const counts = (await list('')).body.counts;
    const renew = async (path: string) => {
      const r = await postJson(`${url}${path}`, { reason: 'investigation 2026/117 is still open' });
      expect(r.status, JSON.stringify(r.body)).to.equal(202);
      return r.body.messageId as string;
    };
    // Renewed as what it is (taken), then as an annual return, which it is not (refused): a RetentionRenewal has no
    // version, and neither receipt answers one of the report's.
    const taken = await renew(`/v1/seizures/${id}/renew`);
    const refused = await renew(`/v1/annual-returns/${id}/renew`);
    const answered = await waitUntil('both renewals answered', async () => {
      const r = await getJson(`${url}/v1/receipts/${id}`);
      return (r.body.renewals as unknown[] | undefined)?.length === 2 ? r.body : undefined;
    });
    expect(answered).to.include({ status: 'accepted', sentVersion: 1, version: 1 });
    expect(answered.pendingSince).to.equal(undefined);
    expect(answered.receipts).to.have.length(1);
    const renewals = answered.renewals as { inReplyTo: string; status: string; subjectType: string }[];
    expect(renewals.find((r) => r.inReplyTo === taken)).to.include({
      status: 'accepted',
      subjectType: 'RetentionRenewal',
    });
    expect(renewals.find((r) => r.inReplyTo === refused)).to.include({
      status: 'rejected',
      subjectType: 'RetentionRenewal',
    });
    // The list, its counts and the node's metrics as before the renewals: no record waits for the hub.
    expect((await list('')).body.counts).to.deep.equal(counts);
    expect((await list('?limit=1')).body.records[0]).to.include({ id, status: 'accepted', sentVersion: 1 });
    expect(await metricValue(url, 'hub_node_unanswered')).to.equal(0);
    expect(await metricValue(url, 'hub_node_unanswered_oldest_age_seconds')).to.equal(0);
    // A trafficking route, reviewed under the seizure policy too, is renewed as a route.
    const route = await postJson(`${url}/v1/routes`, {
      legs: [{ from: 'TJ', to: 'KZ' }],
      substances: ['heroin'],
      handling: { tlp: 'GREEN' },
    });
    expect(route.status, JSON.stringify(route.body)).to.equal(202);
    const routeId = String(route.body.routeId);
    await waitUntil('the route accepted', async () =>
      (await getJson(`${url}/v1/receipts/${routeId}`)).body.status === 'accepted' ? true : undefined,
    );
    const routeRenewal = await renew(`/v1/routes/${routeId}/renew`);
    const routeRenewals = await waitUntil('the route renewal answered', async () => {
      const r = await getJson(`${url}/v1/receipts/${routeId}`);
      return r.body.renewals as { inReplyTo: string; status: string }[] | undefined;
    });
    expect(routeRenewals[0]).to.include({ inReplyTo: routeRenewal, status: 'accepted' });
  });
  // Last: it stops the hub's coordinator.
  it("answers a new version pending until its own receipt arrives, whatever the one before's said", async () => {
    const url = fx.hub.nodes.KZ!.url;
    const id = await sent('KZ', report('KZ'), 'accepted');
    // With no coordinator running, version 2's receipt cannot arrive.
    await fx.hub.coordinator.close();
    expect(
      (await postJson(`${url}/v1/seizures`, { ...report('KZ', id), notes: 'version 2' })).status,
    ).to.equal(202);
    const waiting = await getJson(`${url}/v1/receipts/${id}`);
    expect(waiting.body).to.include({ status: 'pending', sentVersion: 2, version: 1 });
    expect(waiting.body.pendingSince).to.be.a('string');
    expect(waiting.body.receipts).to.have.length(1);
    // The node's metrics say one record waits, and for how long.
    const unanswered = () => metricValue(url, 'hub_node_unanswered');
    const oldestAge = () => metricValue(url, 'hub_node_unanswered_oldest_age_seconds');
    await new Promise((r) => setTimeout(r, 1100));
    expect(await unanswered()).to.equal(1);
    expect(await oldestAge()).to.be.above(1);
    const pending = await list('?status=pending');
    expect(pending.body.records.find((r) => r.id === id)).to.include({ status: 'pending', sentVersion: 2 });

    const next = await coordinatorOfOwn();
    try {
      const answered = await waitUntil('version 2 answered', async () => {
        const r = await getJson(`${url}/v1/receipts/${id}`);
        return r.body.status === 'pending' ? undefined : r.body;
      });
      expect(answered).to.include({ status: 'accepted', sentVersion: 2, version: 2 });
      expect(answered.pendingSince).to.equal(undefined);
      expect(answered.receipts).to.have.length(2);
      await waitUntil('no record waiting', async () => ((await unanswered()) === 0 ? true : undefined));
      expect(await oldestAge()).to.equal(0);
    } finally {
      await next.close();
    }
  });
  // After the one before, which leaves no coordinator running.
  it('sends the very same body again once the hub refused it, as the next version', async () => {
    const url = fx.hub.nodes.KZ!.url;
    const body = report('KZ');
    const post = async () => {
      const r = await postJson(`${url}/v1/seizures`, body);
      expect(r.status).to.equal(202);
      return r.body;
    };
    const answerOf = (version: number) =>
      waitUntil(`version ${version} answered`, async () => {
        const r = await getJson(`${url}/v1/receipts/${body.reportId}`);
        return r.body.sentVersion === version && r.body.status !== 'pending' ? r.body : undefined;
      });
    const coordinator = coordinatorOfOwn;

    // The hub's clock ten minutes slow: whatever the node signs now seems signed in the future there.
    const slow = await coordinator(() => Date.now() - 10 * 60_000);
    let first: Record<string, unknown>;
    try {
      first = await post();
      expect(first).to.include({ version: 1 });
      const refused = await answerOf(1);
      expect(refused.status).to.equal('rejected');
      expect((refused.reasons as { code: string }[]).map((r) => r.code)).to.deep.equal(['not-yet-valid']);
    } finally {
      await slow.close();
    }

    // The clock set right: the agency's system sends the same body again, and it goes, as version 2.
    const right = await coordinator();
    try {
      const again = await post();
      expect(again).to.deep.include({
        version: 2,
        resentAfterRefusal: { version: 1, messageId: first.messageId },
      });
      expect(again.duplicate).to.equal(undefined);
      expect(again.messageId).to.be.a('string').and.not.equal(first.messageId);
      expect(await answerOf(2)).to.include({ status: 'accepted', version: 2 });
      const stored = await getJson(
        `${fx.hub.apiUrl}/v1/seizures/${body.reportId}`,
        fx.hub.token('analyst', 'KZ', 'AMBER'),
      );
      expect(stored.status).to.equal(200);
      expect(stored.body).to.include({ version: 2 });
      // Accepted now: the same body once more is answered as before, with nothing sent.
      expect(await post()).to.include({ version: 2, duplicate: true, messageId: again.messageId });
      expect((await getJson(`${url}/v1/receipts/${body.reportId}`)).body.receipts).to.have.length(2);
    } finally {
      await right.close();
    }
  });

  it('passes over a message from the coordinator it cannot read, and reads the receipts behind it', async () => {
    // Signed by the coordination node, but of a schema this node does not know (a coordinator of a newer release),
    // on the partition the next report's receipt takes (the same key).
    const reportId = randomUUID();
    const hub = new PkiStore(join(fx.env.config.hubHome, 'pki')).identity('HUB');
    const poison = createSigner({
      privateKey: hub.privateKey,
      certificate: hub.certificatePem,
      origin: 'HUB',
    }).signEncoded({
      messageType: 'Receipt',
      schemaFingerprint: Buffer.alloc(8, 7),
      payload: Buffer.from([1, 2, 3]),
    });
    await produceRaw(fx.env, topicNames(fx.env.config.namespace).nodeIn('KZ'), [
      { key: reportId, value: poison.bytes },
    ]);
    const url = fx.hub.nodes.KZ!.url;
    // The tests before stopped the hub's coordinator: one of this test's own answers.
    const coordinator = await coordinatorOfOwn();
    try {
      await sent('KZ', report('KZ', reportId), 'accepted');
    } finally {
      await coordinator.close();
    }
    expect(await metricValue(url, 'hub_node_inbound_unreadable_total')).to.equal(1);
  });
});
