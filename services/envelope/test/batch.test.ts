import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { loadConfig } from '@hub/config';
import { createTrustStore } from '@hub/pki';
import { testPki } from '../../pki/test/fixtures';
import {
  BATCH_ALGORITHM_NAME,
  decodeBatchSignature,
  encodeBatchSignature,
  leafHash,
  merkleTree,
  nodeHash,
  rootFromProof,
} from '../src/batch';
import { encodeEnvelope } from '../src/codec';
import { createSigner } from '../src/signer';
import { signingInput } from '../src/signing-input';
import type { Envelope } from '../src/types';
import { createVerifier } from '../src/verifier';

const FP = Buffer.from('0123456789abcdef', 'hex');
const leaf = (i: number) => createHash('sha256').update(`leaf ${i}`).digest();

describe('batch signatures (RSA-PSS-SHA256-BATCH)', function () {
  this.timeout(30000);
  const pki = testPki();
  const trust = createTrustStore(pki.ca.certPem);
  for (const id of [pki.kz, pki.uz]) trust.add(id.cert.certificatePem);
  const verifier = createVerifier({ trust });
  const kz = createSigner({
    privateKey: pki.kz.key,
    certificate: pki.kz.cert.certificatePem,
    origin: 'KZ',
    batch: true,
  });
  const request = (i: number) => ({
    messageType: 'SeizureReport',
    schemaFingerprint: FP,
    payload: Buffer.from(`payload ${i}`),
  });
  const reason = (e: Envelope | Buffer) => {
    const r = verifier.verify(e, { expectedCountry: 'KZ' });
    return r.ok ? 'ok' : r.reason;
  };

  it('builds RFC 9162 trees: every proof of every size up to 33 leads to the root, and no other leaf does', () => {
    for (let n = 1; n <= 33; n++) {
      const leaves = Array.from({ length: n }, (_, i) => leaf(i));
      const { root, proofs } = merkleTree(leaves);
      for (let i = 0; i < n; i++) {
        expect(
          rootFromProof(i, n, leaves[i] as Buffer, proofs[i] as Buffer[]),
          `leaf ${i} of ${n}`,
        ).to.deep.equal(root);
        // The same proof at another index, or for another leaf, does not. (For another tree size it may: a proof does
        // not fix the size, which is why the batch's RSA signature covers it, tested below.)
        if (n > 1)
          expect(rootFromProof((i + 1) % n, n, leaves[i] as Buffer, proofs[i] as Buffer[])).not.to.deep.equal(
            root,
          );
        expect(rootFromProof(i, n, leaf(1000), proofs[i] as Buffer[])).not.to.deep.equal(root);
      }
      expect(rootFromProof(n, n, leaves[0] as Buffer, proofs[0] as Buffer[]), 'index past the tree').to.equal(
        undefined,
      );
    }
    // The shape of RFC 9162 §2.1.1 for 3 leaves: the left subtree holds 2.
    const [a, b, c] = [leaf(0), leaf(1), leaf(2)];
    expect(merkleTree([a, b, c]).root).to.deep.equal(nodeHash(nodeHash(a, b), c));
  });

  it('signs a batch with one signature; each envelope verifies alone, offline, with its own proof', async () => {
    const signed = await kz.signEncodedAll(Array.from({ length: 37 }, (_, i) => request(i)));
    const parts = signed.map((s) => decodeBatchSignature(s.envelope.signature));
    expect(new Set(signed.map((s) => s.envelope.signatureAlgorithm))).to.deep.equal(
      new Set([BATCH_ALGORITHM_NAME]),
    );
    // One RSA signature for the 37 envelopes, each with its own index, salt and proof.
    expect(new Set(parts.map((p) => p?.rootSignature.toString('hex'))).size).to.equal(1);
    expect(parts.map((p) => p?.index)).to.deep.equal(Array.from({ length: 37 }, (_, i) => i));
    expect(new Set(parts.map((p) => p?.salt.toString('hex'))).size).to.equal(37);
    for (const [i, s] of signed.entries()) {
      expect(s.envelope.payload.toString()).to.equal(`payload ${i}`);
      expect(reason(s.bytes), `envelope ${i}`).to.equal('ok');
    }
    // A lone request is signed with the plain algorithm, as without batching.
    const [one] = await kz.signEncodedAll([request(99)]);
    expect(one?.envelope.signatureAlgorithm).to.equal('RSA-PSS-SHA256');
    expect(reason(one!.bytes)).to.equal('ok');
  });

  it('gathers the requests made together, and those that come while a signature is computed (signEncodedAsync)', async () => {
    const first = await Promise.all(Array.from({ length: 20 }, (_, i) => kz.signEncodedAsync(request(i))));
    const rootOf = (s: { envelope: Envelope }) =>
      decodeBatchSignature(s.envelope.signature)?.rootSignature.toString('hex');
    // Made in one turn of the event loop: one tree, one signature.
    expect(new Set(first.map((s) => s.envelope.signatureAlgorithm))).to.deep.equal(
      new Set([BATCH_ALGORITHM_NAME]),
    );
    expect(new Set(first.map(rootOf)).size).to.equal(1);
    first.forEach((s, i) => {
      expect(s.envelope.payload.toString()).to.equal(`payload ${i}`);
      expect(reason(s.bytes), `envelope ${i}`).to.equal('ok');
    });
    // Requests arriving while that signature is computed wait for it and then share the next one.
    const a = kz.signEncodedAsync(request(100));
    await new Promise((r) => setImmediate(r));
    const later = [101, 102, 103].map((i) => kz.signEncodedAsync(request(i)));
    const [alone, ...rest] = await Promise.all([a, ...later]);
    expect(alone?.envelope.signatureAlgorithm, 'a lone request: the plain algorithm').to.equal(
      'RSA-PSS-SHA256',
    );
    expect(new Set(rest.map(rootOf)).size).to.equal(1);
    for (const s of [alone!, ...rest]) expect(reason(s.bytes)).to.equal('ok');
  });

  it('refuses any change to an envelope of a batch, and leaves the others of the batch valid', async () => {
    const signed = (await kz.signEncodedAll([0, 1, 2, 3, 4].map(request))).map((s) => s.envelope);
    const [e0, e1, e2] = signed as [Envelope, Envelope, Envelope];
    const sig = decodeBatchSignature(e1.signature)!;
    const withSig = (e: Envelope, signature: Buffer): Envelope => ({ ...e, signature });
    const flip = (b: Buffer, at: number) => {
      const c = Buffer.from(b);
      c[at] = (c[at] as number) ^ 1;
      return c;
    };
    const cases: [string, Envelope][] = [
      ['payload changed', { ...e1, payload: Buffer.from('payload 9') }],
      ['header changed', { ...e1, signedAt: e1.signedAt + 1 }],
      ['another envelope’s signature', withSig(e1, e2.signature)],
      [
        'proof hash changed',
        withSig(
          e1,
          encodeBatchSignature({ ...sig, proof: [flip(sig.proof[0] as Buffer, 3), ...sig.proof.slice(1)] }),
        ),
      ],
      ['proof shortened', withSig(e1, encodeBatchSignature({ ...sig, proof: sig.proof.slice(1) }))],
      ['index changed', withSig(e1, encodeBatchSignature({ ...sig, index: 0 }))],
      ['tree size changed', withSig(e1, encodeBatchSignature({ ...sig, treeSize: 6 }))],
      ['salt changed', withSig(e1, encodeBatchSignature({ ...sig, salt: flip(sig.salt, 0) }))],
      [
        'root signature changed',
        withSig(e1, encodeBatchSignature({ ...sig, rootSignature: flip(sig.rootSignature, 10) })),
      ],
      ['truncated', withSig(e1, e1.signature.subarray(0, 30))],
      ['empty', withSig(e1, Buffer.alloc(0))],
      ['unknown format', withSig(e1, Buffer.concat([Buffer.from([2]), e1.signature.subarray(1)]))],
      ['index past the tree', withSig(e1, encodeBatchSignature({ ...sig, index: 7 }))],
      ['a plain RSA-PSS signature named as a batch', withSig(e1, sig.rootSignature)],
      ['the batch signature named as plain RSA-PSS', { ...e1, signatureAlgorithm: 'RSA-PSS-SHA256' }],
    ];
    for (const [name, e] of cases) {
      expect(reason(e), name).to.equal('bad-signature');
      // Re-encoded as bytes, as it would arrive from the broker: the same refusal, no exception.
      expect(reason(encodeEnvelope(e)), `${name}, as bytes`).to.equal('bad-signature');
    }
    for (const e of signed) expect(reason(e)).to.equal('ok');
    expect(reason(e0)).to.equal('ok');
  });

  it("refuses a batch signed by another node's key under KZ's certificate", async () => {
    const liar = createSigner({
      privateKey: pki.uz.key,
      certificate: pki.kz.cert.certificatePem,
      origin: 'KZ',
      batch: true,
    });
    const signed = await liar.signEncodedAll([request(0), request(1)]);
    expect(signed.map((s) => reason(s.bytes))).to.deep.equal(['bad-signature', 'bad-signature']);
  });

  it('proves membership without showing the other envelopes: a proof holds salted hashes only', async () => {
    const signed = await kz.signEncodedAll([request(0), request(1)]);
    const sig = decodeBatchSignature(signed[0]!.envelope.signature)!;
    // The sibling is the salted leaf of envelope 1; without its salt, nobody can test a guess of its content.
    const unsalted = createHash('sha256')
      .update(Buffer.from([0]))
      .update(Buffer.from('payload 1'))
      .digest();
    expect(sig.proof).to.have.length(1);
    expect(sig.proof[0]).not.to.deep.equal(unsalted);
    const other = decodeBatchSignature(signed[1]!.envelope.signature)!;
    expect(sig.proof[0]).to.deep.equal(
      leafHash(other.salt, signingInput(signed[1]!.envelope, signed[1]!.envelope.payload)),
    );
  });
});

describe('HUB_SIGNATURE_BATCH', () => {
  const home = { HUB_HOME: '/nonexistent/hub-home' };
  it('is on unless turned off, and names the variable when its value means neither', () => {
    expect(loadConfig(home).signatureBatch).to.equal(true);
    expect(loadConfig({ ...home, HUB_SIGNATURE_BATCH: 'off' }).signatureBatch).to.equal(false);
    expect(loadConfig({ ...home, HUB_SIGNATURE_BATCH: ' ON ' }).signatureBatch).to.equal(true);
    expect(() => loadConfig({ ...home, HUB_SIGNATURE_BATCH: 'sometimes' })).to.throw(
      /HUB_SIGNATURE_BATCH=sometimes must be on or off/,
    );
  });
});
