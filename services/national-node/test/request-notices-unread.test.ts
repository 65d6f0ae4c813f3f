// A request or answer the coordinator forwards that this node cannot take is kept and listed all the same, never
// passed over: one written with a schema of a newer release (read once the node is upgraded, from the signed
// envelope kept), and one whose originator's signature this node cannot trust (refused: counted by reason, listed
// without any of its content).
import { expect } from 'chai';
import type { Envelope } from '@hub/envelope';
import { createLogger, Registry, type Counter } from '@hub/observability';
import { loadSchemaRegistry, type SchemaRegistry } from '@hub/schemas';
import { identity, testPki } from '../../pki/test/fixtures';
import { readAgain, type KeptRequestNotice } from '../src/request-notices';
import { forwardedRequest, forwardedResponse, readAsNode, registryWithout } from './forwarded-notices';
import { startRequestNode, type RequestNode } from './request-app';

const MINUTE = 60_000;
const DAY = 86_400_000;
const QUESTION = 'Seen the truck with plate 777ABC02 before?';

describe('national node: a request notice whose original it cannot read or trust', function () {
  this.timeout(30000);
  const pki = testPki();
  const current = loadSchemaRegistry();
  /** A node one release behind: neither InformationRequest v2 nor InformationResponse v2. */
  const older = registryWithout('InformationRequest.v2.avsc', 'InformationResponse.v2.avsc');
  const logger = createLogger('test:request-notices-unread', { level: 'silent' });
  const v2 = current.get('InformationRequest', 2).fingerprint.toString('hex');

  /** What a node reading with `registry` keeps of `envelope`; `revoke`: KZ's certificate revoked, and when. */
  const read = (
    envelope: Envelope,
    registry: SchemaRegistry,
    options: { kz?: typeof pki.kz; revokedAt?: number; metrics?: Registry; validAt?: number } = {},
  ) => {
    const kz = options.kz ?? pki.kz;
    const { value, unreadable } = readAsNode(envelope, {
      caPem: pki.ca.certPem,
      trusted: [pki.hub, kz, pki.uz],
      registry,
      logger,
      ...(options.revokedAt !== undefined && { revoked: { identity: kz, at: options.revokedAt } }),
      ...(options.metrics && { metrics: options.metrics }),
      ...(options.validAt !== undefined && { validAt: options.validAt }),
    });
    return { value: value as unknown as KeptRequestNotice | undefined, unreadable };
  };

  /** KZ's request, its certificate revoked after it signed and after the coordinator took it, before it reached UZ. */
  const revokedRequest = (metrics?: Registry) => {
    const kz = identity(pki.ca, 'KZ', { notBefore: new Date(Date.now() - DAY), validityDays: 30 });
    const forwarded = forwardedRequest({
      hub: pki.hub,
      kz,
      registry: current,
      at: Date.now() - 10 * MINUTE,
      question: QUESTION,
    });
    const kept = read(forwarded.envelope, current, {
      kz,
      revokedAt: Date.now() - 2 * MINUTE,
      validAt: Date.now() - MINUTE,
      ...(metrics && { metrics }),
    });
    return { ...forwarded, ...kept };
  };

  /** `node` takes `value` as it takes what the coordinator sends. */
  const take = (node: RequestNode, envelope: Envelope, value: KeptRequestNotice | undefined) => {
    expect(value, 'kept').to.not.equal(undefined);
    node.inbound.add({
      messageId: envelope.messageId,
      messageType: 'RequestNotice',
      receivedAt: Date.now(),
      value: value as unknown as Record<string, unknown>,
    });
  };

  const answer = (node: RequestNode, requestId: string) =>
    node.post(`/v1/requests/${requestId}/response`, { status: 'answered', answer: 'Yes, twice.' });

  describe('written with a schema of a newer release', () => {
    const newer = () =>
      forwardedRequest({ hub: pki.hub, kz: pki.kz, registry: current, at: Date.now(), question: QUESTION });

    it('keeps the request, verified, by its notice and with what to do, where it passed it over', () => {
      const { envelope, requestId } = newer();
      const { value, unreadable } = read(envelope, older);
      expect(value).to.include({
        kind: 'request',
        requestId,
        requester: 'KZ',
        addressee: 'UZ',
        content: null,
      });
      expect(value!.unread).to.include({ status: 'unreadable', reason: 'unknown-schema' });
      expect(value!.unread!.message).to.equal(
        `the request was written with InformationRequest schema fingerprint ${v2}, which this node's release does not read: upgrade the national node; its signed envelope is kept, and the request stays listed and can be answered after the upgrade`,
      );
      expect(value!.original).to.include({ origin: 'KZ', messageType: 'InformationRequest' });
      expect(unreadable, 'counted as unreadable: the node needs an upgrade').to.equal(1);
      // Read again from the envelope kept: unchanged by the same release, decoded by the next.
      expect(readAgain(value!, older, Date.now())).to.equal(value);
      const upgraded = readAgain(value!, current, Date.now());
      expect(upgraded).to.not.have.property('unread');
      expect(upgraded.content).to.include({ requestId, question: QUESTION });
    });

    it('lists it, refuses an answer until the upgrade, then lists it whole and takes an answer', async () => {
      const { envelope, requestId } = newer();
      const node = await startRequestNode('UZ', { registry: older });
      let upgraded: RequestNode | undefined;
      try {
        node.now = Date.now();
        take(node, envelope, read(envelope, older).value);
        const [row] = await node.list('?direction=incoming');
        expect(row).to.include({ requestId, requester: 'KZ', status: 'unreadable', overdue: false });
        expect(row).to.not.have.property('question');
        expect((row!.unread as { message: string }).message).to.match(/upgrade the national node/);
        expect(row!.requestEvidence).to.include({ signedBy: 'KZ', verified: true });
        expect((await node.list('?status=unreadable')).map((r) => r.requestId)).to.deep.equal([requestId]);
        expect(await node.list('?status=open')).to.deep.equal([]);
        const early = await answer(node, requestId);
        expect(early.status).to.equal(409);
        expect(early.body.error?.message).to.equal(
          `request ${requestId} from KZ arrived but cannot be answered (unreadable): ${String((row!.unread as { message: string }).message)}`,
        );
        expect(node.submitted).to.deep.equal([]);
        // The node upgraded: started again over the same files, with the next release's schemas.
        node.close(true);
        upgraded = await startRequestNode('UZ', { dir: node.dir, registry: current });
        upgraded.now = Date.now();
        const [read2] = await upgraded.list('?direction=incoming');
        expect(read2).to.include({ requestId, status: 'open', question: QUESTION });
        expect(read2).to.not.have.property('unread');
        expect((await answer(upgraded, requestId)).status).to.equal(202);
        expect(upgraded.submitted.map((s) => s.type)).to.deep.equal(['InformationResponse']);
      } finally {
        if (upgraded) upgraded.close();
        else node.close();
      }
    });

    it("does not take an answer it cannot read for an answer: the asking side's request stays open until it can", async () => {
      const node = await startRequestNode('KZ', { registry: older });
      let upgraded: RequestNode | undefined;
      try {
        const sent = await node.post('/v1/requests', {
          to: 'UZ',
          purpose: 'investigation',
          question: QUESTION,
          handling: { tlp: 'AMBER' },
        });
        expect(sent.status, JSON.stringify(sent.body)).to.equal(202);
        const request = node.submitted[0]!.value as Parameters<typeof forwardedResponse>[0]['request'];
        const envelope = forwardedResponse({
          hub: pki.hub,
          uz: pki.uz,
          registry: current,
          at: Date.now(),
          request,
          answer: 'Yes, twice.',
        });
        take(node, envelope, read(envelope, older).value);
        const [row] = await node.list('?direction=outgoing');
        expect(row).to.include({ status: 'open', response: null });
        const unread = row!.unreadResponses as { status: string; message: string }[];
        expect(unread.map((u) => u.status)).to.deep.equal(['unreadable']);
        expect(unread[0]!.message).to.match(
          /^the answer was written with InformationResponse schema fingerprint [0-9a-f]{16}, which this node's release does not read: upgrade the national node/,
        );
        node.close(true);
        upgraded = await startRequestNode('KZ', { dir: node.dir, registry: current });
        const [answered] = await upgraded.list('?direction=outgoing');
        expect(answered).to.include({ status: 'answered' });
        expect((answered!.response as { answer: string }).answer).to.equal('Yes, twice.');
        expect(answered).to.not.have.property('unreadResponses');
      } finally {
        if (upgraded) upgraded.close();
        else node.close();
      }
    });
  });

  describe("whose requester's signature does not verify here", () => {
    it('counts it by reason and keeps the notice as refused, none of the request kept', async () => {
      const metrics = new Registry();
      const { value, requestId } = revokedRequest(metrics);
      const counter = metrics.getSingleMetric('hub_node_request_notices_refused_total') as Counter<'reason'>;
      expect(counter, 'hub_node_request_notices_refused_total').to.not.equal(undefined);
      expect((await counter.get()).values.map((v) => [v.labels.reason, v.value])).to.deep.equal([
        ['revoked', 1],
      ]);
      expect(value).to.include({
        kind: 'request',
        requestId,
        requester: 'KZ',
        original: null,
        content: null,
      });
      expect(value!.unread).to.include({ status: 'refused', reason: 'revoked' });
      expect(value!.unread!.message).to.match(
        /^the original InformationRequest does not verify: revoked .*key compromise.*\. Nothing of the request is shown or trusted; this node cannot answer it and the hub escalates it when due: tell the hub operator, and KZ, whose node may send it again$/,
      );
      expect(JSON.stringify(value)).to.not.include('investigation');
      // A second one counts again, in the same series.
      revokedRequest(metrics);
      expect((await counter.get()).values.map((v) => v.value)).to.deep.equal([2]);
    });

    it('lists it as refused with why and when, shows nothing of its content, and says why it cannot be answered', async () => {
      const { envelope, value, requestId } = revokedRequest();
      const node = await startRequestNode('UZ');
      try {
        node.now = Date.now();
        take(node, envelope, value);
        const requests = await node.list('?direction=incoming');
        expect(requests).to.have.length(1);
        const [row] = requests;
        expect(row).to.include({
          requestId,
          requester: 'KZ',
          addressee: 'UZ',
          status: 'refused',
          overdue: false,
        });
        expect(row!.unread).to.include({ reason: 'revoked', at: new Date(value!.unread!.at).toISOString() });
        for (const field of ['question', 'purpose', 'handling', 'messageId', 'requestEvidence'])
          expect(row, field).to.not.have.property(field);
        expect(JSON.stringify(requests)).to.not.include(QUESTION);
        expect((await node.list('?status=refused')).map((r) => r.requestId)).to.deep.equal([requestId]);
        const refused = await answer(node, requestId);
        expect(refused.status).to.equal(409);
        expect(refused.body.error?.message).to.match(
          new RegExp(
            `^request ${requestId} from KZ arrived but cannot be answered \\(refused\\): the original InformationRequest does not verify: revoked`,
          ),
        );
        expect(node.submitted).to.deep.equal([]);
      } finally {
        node.close();
      }
    });
  });
});
