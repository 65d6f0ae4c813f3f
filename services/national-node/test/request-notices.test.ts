// What a node keeps of the coordinator's messages: a request forwarded in a RequestNotice whose originator's
// certificate has not reached this node yet is read again later, not passed over as unreadable.
import { expect } from 'chai';
import { informationRequestFromJson } from '@hub/domain';
import { createSigner, createVerifier, HUB_ORIGIN, type Envelope } from '@hub/envelope';
import { createLogger } from '@hub/observability';
import { createTrustStore } from '@hub/pki';
import { loadSchemaRegistry } from '@hub/schemas';
import { identity, testPki, type TestIdentity } from '../../pki/test/fixtures';
import { readInboundValue, SignerNotKnownYet } from '../src/request-notices';

describe("national node: reading the coordinator's request notices", function () {
  this.timeout(30000);
  const pki = testPki();
  const registry = loadSchemaRegistry();
  const logger = createLogger('test:request-notices', { level: 'silent' });
  const signerOf = (id: TestIdentity, origin: string, at?: number) =>
    createSigner({
      privateKey: id.key,
      certificate: id.cert.certificatePem,
      origin,
      ...(at !== undefined && { clock: () => at }),
    });

  /** KZ's request to UZ, forwarded by the coordinator to UZ's node: the coordinator's envelope. */
  const forwardedRequest = (kz = pki.kz, at = Date.now()): { envelope: Envelope; requestId: string } => {
    const request = informationRequestFromJson(
      { to: 'UZ', purpose: 'investigation', question: 'Seen this truck before?', handling: { tlp: 'AMBER' } },
      { nodeCountry: 'KZ', now: at, regions: new Set(['central-asia']) },
    ).value;
    const inner = registry.encode('InformationRequest', request);
    const original = signerOf(kz, 'KZ', at).signEncoded({
      messageType: 'InformationRequest',
      schemaFingerprint: inner.fingerprint,
      payload: inner.payload,
    });
    const notice = registry.encode('RequestNotice', {
      noticeId: original.envelope.messageId,
      kind: 'request',
      requestId: request.requestId,
      requester: 'KZ',
      addressee: 'UZ',
      dueAt: request.dueAt,
      originalEnvelope: original.bytes,
      reason: null,
      issuedAt: Date.now(),
    });
    const envelope = signerOf(pki.hub, HUB_ORIGIN).sign({
      messageType: 'RequestNotice',
      schemaFingerprint: notice.fingerprint,
      payload: notice.payload,
    });
    return { envelope, requestId: request.requestId };
  };

  /** What UZ's node reads, knowing the coordinator's certificate and, when `kzKnown`, KZ's node's. */
  const read = (envelope: Envelope, kzKnown: boolean) => {
    const trust = createTrustStore(pki.ca.certPem);
    trust.add(pki.hub.cert.certificatePem);
    if (kzKnown) trust.add(pki.kz.cert.certificatePem);
    let unreadable = 0;
    const value = readInboundValue(envelope, {
      verifier: createVerifier({ trust }),
      registry,
      logger,
      onUnreadable: () => unreadable++,
    });
    return { value, unreadable };
  };

  it('keeps a request signed under a certificate that has expired since it came, judged as of then', () => {
    const day = 86_400_000;
    const notBefore = Date.now() - 10 * day;
    const kz = identity(pki.ca, 'KZ', { notBefore: new Date(notBefore), validityDays: 2 });
    const signedAt = notBefore + day;
    const { envelope, requestId } = forwardedRequest(kz, signedAt);
    const trust = createTrustStore(pki.ca.certPem);
    trust.add(pki.hub.cert.certificatePem);
    trust.add(kz.cert.certificatePem);
    const readAt = (validAt?: number) =>
      readInboundValue(envelope, {
        verifier: createVerifier({ trust }),
        registry,
        logger,
        onUnreadable: () => undefined,
        ...(validAt !== undefined && { validAt }),
      });
    // Came a minute after it was signed: kept. Judged as of now (expired), it would be passed over for good.
    expect(readAt(signedAt + 60_000)).to.include({ kind: 'request', requestId });
    expect(readAt()).to.equal(undefined);
  });

  it('keeps a forwarded request once its originator is known, verified and decoded', () => {
    const { envelope, requestId } = forwardedRequest();
    const { value, unreadable } = read(envelope, true);
    expect(unreadable).to.equal(0);
    expect(value).to.include({ kind: 'request', requestId, requester: 'KZ', addressee: 'UZ' });
    expect((value?.original as { origin: string }).origin).to.equal('KZ');
    expect((value?.content as { question: string }).question).to.equal('Seen this truck before?');
  });

  it("throws, to be read again, while the originator's certificate has not arrived: not passed over as unreadable", () => {
    const { envelope, requestId } = forwardedRequest();
    let unreadable = 0;
    const trust = createTrustStore(pki.ca.certPem);
    trust.add(pki.hub.cert.certificatePem);
    const attempt = () =>
      readInboundValue(envelope, {
        verifier: createVerifier({ trust }),
        registry,
        logger,
        onUnreadable: () => unreadable++,
      });
    expect(attempt).to.throw(SignerNotKnownYet, /KZ's node is not known yet/);
    expect(unreadable, 'counted as unreadable').to.equal(0);
    let thrown: unknown;
    try {
      attempt();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(SignerNotKnownYet);
    expect((thrown as SignerNotKnownYet).retriable, 'retriable').to.equal(true);
    // Once KZ's certificate has come on hub.pki, the same message is kept.
    trust.add(pki.kz.cert.certificatePem);
    expect(attempt()).to.include({ kind: 'request', requestId });
    expect(unreadable).to.equal(0);
  });

  it('passes over (and counts) a message this node cannot read, without throwing', () => {
    const { envelope } = forwardedRequest();
    // A payload written with a schema this node does not know (a newer release's).
    const newer = { ...envelope, schemaFingerprint: Buffer.alloc(8, 0xee) };
    const { value, unreadable } = read(newer, true);
    expect(value).to.equal(undefined);
    expect(unreadable).to.equal(1);
  });
});
