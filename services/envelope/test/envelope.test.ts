import { expect } from 'chai';
import fc from 'fast-check';
import { createTrustStore } from '@hub/pki';
import { identity, testPki } from '../../pki/test/fixtures';
import { createSigner } from '../src/signer';
import { createVerifier } from '../src/verifier';
import { decodeEnvelope, encodeEnvelope } from '../src/codec';
import { signingInput } from '../src/signing-input';
import type { Envelope } from '../src/types';

const FP = Buffer.from('0123456789abcdef', 'hex');

describe('signed envelope', function () {
  this.timeout(30000);
  const pki = testPki();
  const trust = createTrustStore(pki.ca.certPem);
  for (const id of [pki.kz, pki.uz, pki.hub, pki.foreignKz]) trust.add(id.cert.certificatePem);
  const signer = createSigner({
    privateKey: pki.kz.key,
    certificate: pki.kz.cert.certificatePem,
    origin: 'KZ',
  });
  const verifier = createVerifier({ trust });
  const sign = (payload = Buffer.from('payload bytes')) =>
    signer.signEncoded({ messageType: 'SeizureReport', schemaFingerprint: FP, payload });

  it('verifies what a node signed, naming the signer', () => {
    const { bytes, envelope } = sign();
    const result = verifier.verify(bytes, { expectedCountry: 'KZ' });
    expect(result.ok).to.equal(true);
    if (result.ok) {
      expect(result.signer.country).to.equal('KZ');
      expect(result.envelope.messageId).to.equal(envelope.messageId);
    }
  });

  it('signs a batch off the event loop, each envelope in the order asked and verifiable alone', async () => {
    const requests = Array.from({ length: 12 }, (_, i) => ({
      messageType: 'SeizureReport',
      schemaFingerprint: FP,
      payload: Buffer.from(`payload ${i}`),
      ...(i % 2 ? { messageId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` } : {}),
    }));
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 0);
    const signed = await signer.signEncodedAll(requests).finally(() => clearInterval(ticker));
    expect(signed).to.have.length(12);
    signed.forEach(({ bytes, envelope }, i) => {
      expect(envelope.payload.toString()).to.equal(`payload ${i}`);
      if (i % 2) expect(envelope.messageId).to.equal(requests[i]?.messageId);
      const decoded = decodeEnvelope(bytes);
      expect(decoded.ok && decoded.envelope).to.deep.equal(envelope);
      const result = verifier.verify(bytes, { expectedCountry: 'KZ' });
      expect(result.ok, `envelope ${i}`).to.equal(true);
    });
    // Twelve RSA signatures take several milliseconds: timers kept firing meanwhile.
    expect(ticks).to.be.greaterThan(0);
    expect(new Set(signed.map((s) => s.envelope.messageId)).size).to.equal(12);
    expect(await signer.signEncodedAll([])).to.deep.equal([]);
  });

  it('signs one request off the event loop, as the node does for each submission', async () => {
    const payload = Buffer.from('one payload');
    const { bytes, envelope } = await signer.signEncodedAsync({
      messageType: 'SeizureReport',
      schemaFingerprint: FP,
      payload,
    });
    expect(envelope.payload.equals(payload)).to.equal(true);
    const result = verifier.verify(bytes, { expectedCountry: 'KZ' });
    expect(result.ok && result.envelope.messageId).to.equal(envelope.messageId);
    // The signature is the envelope's last field: one bit of it changed, and the envelope is refused.
    const tampered = Buffer.from(bytes);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 1, tampered.length - 1);
    expect(verifier.verify(tampered, { expectedCountry: 'KZ' }).ok).to.equal(false);
  });

  const reasonOf = (bytes: Buffer | Envelope, expectedCountry = 'KZ', v = verifier) => {
    const r = v.verify(bytes, { expectedCountry });
    return r.ok ? 'ok' : r.reason;
  };

  it('detects a change to the payload or to any header field', () => {
    const { envelope } = sign();
    expect(reasonOf({ ...envelope, payload: Buffer.from('payload bytez') })).to.equal('bad-signature');
    expect(reasonOf({ ...envelope, messageId: '00000000-0000-4000-8000-000000000000' })).to.equal(
      'bad-signature',
    );
    expect(reasonOf({ ...envelope, messageType: 'SeizureRetraction' })).to.equal('bad-signature');
    expect(reasonOf({ ...envelope, schemaFingerprint: Buffer.alloc(8) })).to.equal('bad-signature');
    expect(reasonOf({ ...envelope, signedAt: envelope.signedAt - 1 })).to.equal('bad-signature');
    expect(reasonOf({ ...envelope, signature: Buffer.alloc(256) })).to.equal('bad-signature');
  });

  it('refuses a signer from another CA, another country, an unknown certificate and an unknown algorithm', () => {
    const foreign = createSigner({
      privateKey: pki.foreignKz.key,
      certificate: pki.foreignKz.cert.certificatePem,
      origin: 'KZ',
    });
    expect(
      reasonOf(
        foreign.signEncoded({
          messageType: 'SeizureReport',
          schemaFingerprint: FP,
          payload: Buffer.from('x'),
        }).bytes,
      ),
    ).to.equal('chain-invalid');
    const uz = createSigner({
      privateKey: pki.uz.key,
      certificate: pki.uz.cert.certificatePem,
      origin: 'UZ',
    });
    expect(
      reasonOf(
        uz.signEncoded({ messageType: 'SeizureReport', schemaFingerprint: FP, payload: Buffer.from('x') })
          .bytes,
        'KZ',
      ),
    ).to.equal('country-mismatch');
    const liar = createSigner({
      privateKey: pki.uz.key,
      certificate: pki.uz.cert.certificatePem,
      origin: 'KZ',
    });
    expect(
      reasonOf(
        liar.signEncoded({ messageType: 'SeizureReport', schemaFingerprint: FP, payload: Buffer.from('x') })
          .bytes,
        'KZ',
      ),
    ).to.equal('country-mismatch');
    const stranger = identity(pki.ca, 'TJ');
    const unknown = createSigner({
      privateKey: stranger.key,
      certificate: stranger.cert.certificatePem,
      origin: 'TJ',
    });
    expect(
      reasonOf(
        unknown.signEncoded({
          messageType: 'SeizureReport',
          schemaFingerprint: FP,
          payload: Buffer.from('x'),
        }).bytes,
        'TJ',
      ),
    ).to.equal('unknown-signer');
    expect(reasonOf({ ...sign().envelope, signatureAlgorithm: 'ED25519' })).to.equal('unsupported-algorithm');
  });

  it('refuses expired, not-yet-valid and revoked certificates', () => {
    const old = identity(pki.ca, 'TM', { notBefore: new Date(Date.now() - 10 * 86400000), validityDays: 1 });
    const future = identity(pki.ca, 'TM', { notBefore: new Date(Date.now() + 86400000) });
    const t = createTrustStore(pki.ca.certPem);
    t.add(old.cert.certificatePem);
    t.add(future.cert.certificatePem);
    t.add(pki.kz.cert.certificatePem);
    const v = createVerifier({ trust: t });
    const s1 = createSigner({ privateKey: old.key, certificate: old.cert.certificatePem, origin: 'TM' });
    expect(
      reasonOf(
        s1.signEncoded({ messageType: 'X', schemaFingerprint: FP, payload: Buffer.from('x') }).bytes,
        'TM',
        v,
      ),
    ).to.equal('expired');
    const s2 = createSigner({
      privateKey: future.key,
      certificate: future.cert.certificatePem,
      origin: 'TM',
    });
    expect(
      reasonOf(
        s2.signEncoded({ messageType: 'X', schemaFingerprint: FP, payload: Buffer.from('x') }).bytes,
        'TM',
        v,
      ),
    ).to.equal('not-yet-valid');
    const bytes = sign().bytes;
    expect(reasonOf(bytes, 'KZ', v)).to.equal('ok');
    t.revoke({ fingerprint: pki.kz.cert.fingerprint, revokedAt: Date.now(), reason: 'key compromised' });
    expect(reasonOf(bytes, 'KZ', v)).to.equal('revoked');
  });

  /**
   * An envelope TM signed a day into a certificate of two days that began ten days ago (expired now), with a verifier
   * that trusts it.
   */
  const signedByOld = () => {
    const day = 86400000;
    const notBefore = Date.now() - 10 * day;
    const old = identity(pki.ca, 'TM', { notBefore: new Date(notBefore), validityDays: 2 });
    const t = createTrustStore(pki.ca.certPem);
    t.add(old.cert.certificatePem);
    const v = createVerifier({ trust: t });
    const signedAt = notBefore + day;
    const bytes = createSigner({
      privateKey: old.key,
      certificate: old.cert.certificatePem,
      origin: 'TM',
      clock: () => signedAt,
    }).signEncoded({ messageType: 'X', schemaFingerprint: FP, payload: Buffer.from('x') }).bytes;
    return { day, notBefore, old, t, v, signedAt, bytes };
  };

  it('judges as of a past time when given one (a replay): later expiry and later revocations do not count', () => {
    const { day, notBefore, old, t, v, signedAt, bytes } = signedByOld();
    const at = (time: number | undefined) => {
      const r = v.verify(bytes, { expectedCountry: 'TM', ...(time !== undefined && { at: time }) });
      return r.ok ? 'ok' : r.reason;
    };
    // Now the certificate has expired; when the record came (a minute after signing) it had not.
    expect(at(undefined)).to.equal('expired');
    expect(at(signedAt + 60000)).to.equal('ok');
    // Past its end, or signed "later" than the time judged at, it is refused as then.
    expect(at(notBefore + 3 * day)).to.equal('expired');
    expect(at(signedAt - 10 * 60000)).to.equal('not-yet-valid');
    // A revocation dated after the record came does not undo it; one dated before does.
    t.revoke({ fingerprint: old.cert.fingerprint, revokedAt: signedAt + 3600000, reason: 'key compromised' });
    expect(at(signedAt + 60000)).to.equal('ok');
    expect(at(signedAt + 2 * 3600000)).to.equal('revoked');
  });

  it('judges only the expiry as of the time a record came when given one (live), revocations as of now', () => {
    const { day, notBefore, old, t, v, signedAt, bytes } = signedByOld();
    const cameAt = (validAt: number) => {
      const r = v.verify(bytes, { expectedCountry: 'TM', validAt });
      return r.ok ? 'ok' : r.reason;
    };
    // Delivered a minute after signing, read days later past the certificate's end: taken.
    expect(cameAt(signedAt + 60000)).to.equal('ok');
    // Delivered after its end: refused as expired.
    expect(cameAt(notBefore + 3 * day)).to.equal('expired');
    // A revocation dated after the record came still counts (not so when judging a replay, `at`).
    t.revoke({ fingerprint: old.cert.fingerprint, revokedAt: signedAt + 3600000, reason: 'key compromised' });
    expect(cameAt(signedAt + 60000)).to.equal('revoked');
    expect(v.verify(bytes, { expectedCountry: 'TM', at: signedAt + 60000 }).ok).to.equal(true);
  });

  it('refuses a signing time beyond any date, and whatever throws on the way, without throwing', () => {
    // 9e15 ms is a safe integer but no date (the latest is 8.64e15): once, the future-time check threw on it, which
    // stalled the partition (and hub.pki) it was read from.
    const { envelope } = sign();
    const far = { ...envelope, signedAt: 9e15 };
    expect(decodeEnvelope(encodeEnvelope(far))).to.deep.include({
      ok: false,
      reason: 'malformed',
      detail: 'signedAt is not a timestamp',
    });
    const given = verifier.verify(far);
    expect(given).to.deep.include({ ok: false, reason: 'not-yet-valid' });
    expect(given.ok === false && given.detail).to.equal('signedAt 9000000000000000 is in the future');
    const broken = createVerifier({
      trust: {
        lookup: () => {
          throw new Error('store unreadable');
        },
        isRevoked: () => undefined,
      },
    });
    expect(broken.verify(sign().bytes)).to.deep.include({
      ok: false,
      reason: 'malformed',
      detail: 'the envelope could not be verified: store unreadable',
    });
  });

  it('puts every header field, length-prefixed, into the signing input', () => {
    const { envelope } = sign(Buffer.from('abc'));
    const input = signingInput(envelope, envelope.payload);
    expect(input.subarray(0, 8).toString('latin1')).to.equal('SXH-SIG\x01');
    expect(input.subarray(input.length - 3).toString()).to.equal('abc');
    expect(input.readUInt32BE(input.length - 7)).to.equal(3);
    expect(input.includes(Buffer.from(envelope.messageId))).to.equal(true);
    expect(input.includes(envelope.signerCertFingerprint)).to.equal(true);
  });

  it('never throws on random, truncated, bit-flipped or oversized bytes (30,000 cases)', function () {
    this.timeout(120000);
    const good = sign().bytes;
    expect(decodeEnvelope(Buffer.alloc(2 * 1024 * 1024)).ok).to.equal(false);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 800 }),
          fc.integer({ min: 0, max: good.length }).map((n) => good.subarray(0, n)),
          fc
            .tuple(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 1, max: 255 }))
            .map(([i, x]) => {
              const b = Buffer.from(good);
              b[i] = (b[i] as number) ^ x;
              return b;
            }),
        ),
        (bytes) => {
          const r = verifier.verify(Buffer.from(bytes), { expectedCountry: 'KZ' });
          expect(r.ok === true || typeof r.reason === 'string').to.equal(true);
          if (!r.ok) expect(r.detail).to.be.a('string');
        },
      ),
      { numRuns: 30000 },
    );
  });

  it('round-trips envelope bytes exactly', () => {
    const { bytes } = sign();
    const d = decodeEnvelope(bytes);
    expect(d.ok).to.equal(true);
    if (d.ok) expect(encodeEnvelope(d.envelope).equals(bytes)).to.equal(true);
  });
});
