import { expect } from 'chai';
import { createSigner, createVerifier } from '@hub/envelope';
import { createTrustStore } from '@hub/pki';
import { loadSchemaRegistry } from '@hub/schemas';
import { testPki } from '../../pki/test/fixtures';
import { Outgoing } from '../src/outgoing';

describe('coordinator: outgoing messages signed together', function () {
  this.timeout(30000);
  const pki = testPki();
  const trust = createTrustStore(pki.ca.certPem);
  trust.add(pki.hub.cert.certificatePem);
  const signer = createSigner({
    privateKey: pki.hub.key,
    certificate: pki.hub.cert.certificatePem,
    origin: 'HUB',
  });
  const verifier = createVerifier({ trust });
  const notice = (n: number) => ({
    noticeId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    kind: 'request',
    requestId: `10000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    requester: 'KZ',
    addressee: 'UZ',
    dueAt: null,
    originalEnvelope: Buffer.from(`inner ${n}`),
    reason: null,
    issuedAt: Date.UTC(2026, 10, 27),
  });

  it('keeps each topic in the order added, signed and already-signed messages mixed, each verifiable', async () => {
    const out = new Outgoing(loadSchemaRegistry());
    out.sign('t.a', 'k1', 'RequestNotice', notice(1), notice(1).noticeId);
    out.addSigned(new Map([['t.a', [{ key: 'k2', value: Buffer.from('signed before') }]]]));
    out.sign('t.b', 'k3', 'RequestNotice', notice(3), notice(3).noticeId);
    out.sign('t.a', 'k4', 'RequestNotice', notice(4), notice(4).noticeId);
    const byTopic = await out.byTopic(signer);
    expect([...byTopic.keys()]).to.deep.equal(['t.a', 't.b']);
    expect(byTopic.get('t.a')?.map((m) => m.key)).to.deep.equal(['k1', 'k2', 'k4']);
    expect(byTopic.get('t.b')?.map((m) => m.key)).to.deep.equal(['k3']);
    expect(String(byTopic.get('t.a')?.[1]?.value)).to.equal('signed before');
    for (const [topic, i, n] of [
      ['t.a', 0, 1],
      ['t.a', 2, 4],
      ['t.b', 0, 3],
    ] as const) {
      const result = verifier.verify(byTopic.get(topic)?.[i]?.value as Buffer);
      expect(result.ok, `${topic}[${i}]`).to.equal(true);
      if (result.ok) {
        expect(result.envelope.messageId).to.equal(notice(n).noticeId);
        expect(result.envelope.messageType).to.equal('RequestNotice');
      }
    }
  });

  it('refuses, naming the field, a value its schema does not take (nothing is signed)', () => {
    const out = new Outgoing(loadSchemaRegistry());
    expect(() => out.sign('t.a', 'k', 'RequestNotice', { ...notice(1), kind: 7 }, 'x')).to.throw(/kind/);
  });
});
