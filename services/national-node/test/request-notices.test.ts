// What a node keeps of the coordinator's messages: a request forwarded in a RequestNotice whose originator's
// certificate has not reached this node yet is read again later, not passed over as unreadable.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { informationRequestFromJson, informationResponseFromJson } from '@hub/domain';
import { createSigner, createVerifier, HUB_ORIGIN, type Envelope } from '@hub/envelope';
import { createLogger } from '@hub/observability';
import { createTrustStore } from '@hub/pki';
import { loadSchemaRegistry } from '@hub/schemas';
import { identity, testPki, type TestIdentity } from '../../pki/test/fixtures';
import { readInboundValue, SignerNotKnownYet } from '../src/request-notices';
import { readAsNode } from './forwarded-notices';

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
  const read = (envelope: Envelope, kzKnown: boolean) =>
    readAsNode(envelope, {
      caPem: pki.ca.certPem,
      trusted: kzKnown ? [pki.hub, pki.kz] : [pki.hub],
      registry,
      logger,
    });

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
    // Came a minute after it was signed, or read long after the certificate expired: kept. Its signer's validity is
    // judged as of when it was signed (give or take the clock skew), not when this node reads it.
    expect(readAt(signedAt + 60_000)).to.include({ kind: 'request', requestId });
    expect(readAt()).to.include({ kind: 'request', requestId });
  });

  describe('judged as the coordinator judged it, whose countersignature vouches that it accepted the original', () => {
    const minute = 60_000;
    const day = 86_400_000;
    /** A KZ certificate that expired yesterday. */
    const expiredKz = () => {
      const notBefore = Date.now() - 10 * day;
      const kz = identity(pki.ca, 'KZ', { notBefore: new Date(notBefore), validityDays: 9 });
      return { kz, notAfter: notBefore + 9 * day };
    };

    /** UZ's answer to KZ, signed by UZ's node (`uz`) at `at` and forwarded by the coordinator to KZ's node. */
    const forwardedResponse = (uz: TestIdentity, at: number): { envelope: Envelope; requestId: string } => {
      const requestId = randomUUID();
      const response = informationResponseFromJson(
        { status: 'answered', answer: 'Yes, twice last year.' },
        { requestId, from: 'KZ', handling: { tlp: 'AMBER', releasableTo: [] } },
        { nodeCountry: 'UZ', now: at, regions: new Set(['central-asia']) },
      ).value;
      const inner = registry.encode('InformationResponse', response);
      const original = signerOf(uz, 'UZ', at).signEncoded({
        messageType: 'InformationResponse',
        schemaFingerprint: inner.fingerprint,
        payload: inner.payload,
      });
      const notice = registry.encode('RequestNotice', {
        noticeId: original.envelope.messageId,
        kind: 'response',
        requestId,
        requester: 'KZ',
        addressee: 'UZ',
        dueAt: null,
        originalEnvelope: original.bytes,
        reason: null,
        issuedAt: Date.now(),
      });
      const envelope = signerOf(pki.hub, HUB_ORIGIN).sign({
        messageType: 'RequestNotice',
        schemaFingerprint: notice.fingerprint,
        payload: notice.payload,
      });
      return { envelope, requestId };
    };

    /** What a node reads of `envelope`, the notice having come at `noticeAt`; `setUp` adds to its trust store. */
    const readNotice = (
      envelope: Envelope,
      noticeAt: number,
      setUp: (trust: ReturnType<typeof createTrustStore>) => void,
    ) => {
      const trust = createTrustStore(pki.ca.certPem);
      trust.add(pki.hub.cert.certificatePem);
      setUp(trust);
      const refused: Record<string, unknown>[] = [];
      const value = readInboundValue(envelope, {
        verifier: createVerifier({ trust }),
        registry,
        logger: createLogger('test:request-notices', {
          destination: { write: (line: string) => void refused.push(JSON.parse(line)) },
        }),
        onUnreadable: () => undefined,
        validAt: noticeAt,
      });
      return { value, refused };
    };

    /** Kept as a refused notice: listed, none of the original kept (neither its content nor its envelope). */
    const expectRefused = (value: Record<string, unknown> | undefined) => {
      expect(value).to.include({ kind: 'request', requester: 'KZ', original: null, content: null });
      expect(value?.unread).to.include({ status: 'refused' });
    };

    it('keeps a request signed before its signer certificate expired whose notice came after the expiry', () => {
      const { kz, notAfter } = expiredKz();
      const { envelope, requestId } = forwardedRequest(kz, notAfter - minute);
      // The coordinator was behind: it read the request, and wrote its notice, an hour after the expiry.
      const { value, refused } = readNotice(envelope, notAfter + 60 * minute, (t) =>
        t.add(kz.cert.certificatePem),
      );
      expect(refused, 'refusals logged').to.deep.equal([]);
      expect(value).to.include({ kind: 'request', requestId, requester: 'KZ' });
      expect((value?.original as { signerFingerprint: string }).signerFingerprint).to.equal(
        kz.cert.fingerprint,
      );
    });

    it('keeps an answer signed before its signer certificate expired whose notice came after the expiry', () => {
      const notBefore = Date.now() - 10 * day;
      const uzExpired = identity(pki.ca, 'UZ', { notBefore: new Date(notBefore), validityDays: 9 });
      const notAfter = notBefore + 9 * day;
      const { envelope, requestId } = forwardedResponse(uzExpired, notAfter - minute);
      const { value, refused } = readNotice(envelope, notAfter + 60 * minute, (t) =>
        t.add(uzExpired.cert.certificatePem),
      );
      expect(refused, 'refusals logged').to.deep.equal([]);
      expect(value).to.include({ kind: 'response', requestId, addressee: 'UZ' });
      expect((value?.content as { answer: string }).answer).to.equal('Yes, twice last year.');
    });

    it('refuses an original signed after its signer certificate had expired', () => {
      const { kz, notAfter } = expiredKz();
      const { envelope } = forwardedRequest(kz, notAfter + minute);
      const { value, refused } = readNotice(envelope, notAfter + 2 * minute, (t) =>
        t.add(kz.cert.certificatePem),
      );
      expectRefused(value);
      expect(refused).to.have.length(1);
      expect(String(refused[0]?.detail)).to.match(/does not verify: expired/);
    });

    it('refuses an original whose certificate was revoked before the notice, though signed while valid', () => {
      const { kz, notAfter } = expiredKz();
      const signedAt = notAfter - 60 * minute;
      const { envelope } = forwardedRequest(kz, signedAt);
      const { value, refused } = readNotice(envelope, notAfter + 60 * minute, (t) => {
        t.add(kz.cert.certificatePem);
        t.revoke({
          fingerprint: kz.cert.fingerprint,
          revokedAt: signedAt + minute,
          reason: 'key compromise',
        });
      });
      expectRefused(value);
      expect(refused).to.have.length(1);
      expect(String(refused[0]?.detail)).to.match(/does not verify: revoked .*key compromise/);
    });

    it('refuses a certificate valid still but revoked before the notice, the revocation dated after the signature', () => {
      const kz = identity(pki.ca, 'KZ', { notBefore: new Date(Date.now() - day), validityDays: 30 });
      const signedAt = Date.now() - 10 * minute;
      const { envelope } = forwardedRequest(kz, signedAt);
      const { value, refused } = readNotice(envelope, Date.now() - minute, (t) => {
        t.add(kz.cert.certificatePem);
        t.revoke({ fingerprint: kz.cert.fingerprint, revokedAt: Date.now() - 2 * minute, reason: 'lost' });
      });
      expectRefused(value);
      expect(refused).to.have.length(1);
      expect(String(refused[0]?.detail)).to.match(/does not verify: revoked .*: lost/);
    });
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
