// Unit tier: the ingest section's raw baselines (bench/ingest.ts) work on what the pipeline works on: envelopes signed
// as the national node signs them (batch signatures with their Merkle proofs, by default), checked and signed the way
// the node and the coordinator do it; and the end-to-end row's note says when the store was prefilled.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@hub/config';
import { seizureReportFromJson, type SeizureReportRecord } from '@hub/domain';
import {
  RSA_PSS_SHA256_BATCH,
  createSigner,
  renewableSigner,
  signingInput,
  type SignRequest,
} from '@hub/envelope';
import type { OutboxLog, Publisher } from '@hub/national-node';
import { PkiStore, type NodeIdentity } from '@hub/pki';
import { baselineEnvelopes, endToEndNote, rawBatchSignatures, rawVerifyAll } from '../../bench/ingest';
import { loadRegions, loadSchemaRegistry } from '@hub/schemas';
import { createSubmitter } from '../../services/national-node/src/submit';
import { agencyJson, random } from '../../bench/reports';

const registry = loadSchemaRegistry();
const regions = new Set(loadRegions().map((r) => r.id));

/** `n` seizure reports from KZ, varied as the bench's are (bench/reports.ts), as the node normalises them. */
const reports = (n: number): SeizureReportRecord[] => {
  const rnd = random(0xb5);
  return Array.from({ length: n }, (_, i) => {
    const body = agencyJson(rnd, i, { now: Date.now(), years: 1, country: 'KZ', idSeed: 0xb5 });
    return seizureReportFromJson(body, { nodeCountry: 'KZ', now: Date.now(), versionOf: () => 1, regions })
      .value as SeizureReportRecord;
  });
};

/** The sign requests of `records`, as the bench and the node's submitter make them. */
const requests = (records: SeizureReportRecord[]): SignRequest[] =>
  records.map((r) => {
    const { payload, fingerprint } = registry.encode('SeizureReport', r);
    return { messageType: 'SeizureReport', schemaFingerprint: fingerprint, payload };
  });

describe('bench ingest baselines: the envelopes, key and signing the pipeline uses', () => {
  let dir: string;
  let identity: NodeIdentity;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-bench-baselines-'));
    const pki = new PkiStore(dir);
    pki.initCa({ bits: 2048 });
    pki.issue({ country: 'KZ', agency: 'bench KZ customs' });
    identity = pki.identity('KZ');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const signerOptions = () => ({
    privateKey: identity.privateKey,
    certificate: identity.certificatePem,
    origin: 'KZ',
    // As node.ts makes its signer: HUB_SIGNATURE_BATCH, on unless turned off.
    batch: loadConfig({}).signatureBatch,
  });

  /** What the national node's submission path makes of reports accepted together (app.ts's batch, submit.ts). */
  async function nodeEnvelopes(records: SeizureReportRecord[]): Promise<Buffer[]> {
    const appended: Buffer[] = [];
    const submitter = createSubmitter({
      registry,
      signer: renewableSigner(createSigner(signerOptions())),
      log: {
        append: async (_key: string, bytes: Buffer) => {
          appended.push(bytes);
          return { bytes };
        },
      } as unknown as OutboxLog,
      publisher: { enqueue: () => undefined } as unknown as Publisher,
    });
    await Promise.all(records.map((r) => submitter.submit('SeizureReport', r.reportId, r)));
    return appended;
  }

  it("gives envelopes of the same byte length as the node's signer, for a batch of 100", async () => {
    const records = reports(100);
    const node = await nodeEnvelopes(records);
    const baseline = await baselineEnvelopes(signerOptions(), requests(records), 100);
    expect(baseline.map((e) => e.bytes.length)).to.deep.equal(node.map((b) => b.length));
    // Batch signatures: each envelope carries its proof besides the root's RSA-PSS signature.
    expect(baseline[0]!.envelope.signatureAlgorithm).to.equal('RSA-PSS-SHA256-BATCH');
    expect(baseline[0]!.envelope.signature.length).to.be.greaterThan(256 + 200);
  });

  it('signs each batch as a tree of its own, and with the key given', async () => {
    const baseline = await baselineEnvelopes(signerOptions(), requests(reports(250)), 100);
    const pub = createPublicKey(identity.certificatePem);
    const trees = baseline.map((e) => e.envelope.signature.readUInt32BE(5));
    expect(trees.slice(0, 100).every((t) => t === 100)).to.equal(true);
    expect(trees.slice(200).every((t) => t === 50)).to.equal(true);
    const inputs = baseline.map((e) => signingInput(e.envelope, e.envelope.payload));
    expect(() =>
      rawVerifyAll(
        baseline.map((e) => e.envelope),
        inputs,
        pub,
      ),
    ).not.to.throw();
  });

  it("(b) computes signature fields that verify as the node's do, of the same length", async () => {
    const baseline = await baselineEnvelopes(signerOptions(), requests(reports(101)), 100);
    const inputs = baseline.map((e) => signingInput(e.envelope, e.envelope.payload));
    const raw = rawBatchSignatures(inputs, identity.privateKey, 100);
    const pub = createPublicKey(identity.certificatePem);
    expect(raw.map((s) => s.length)).to.deep.equal(baseline.map((e) => e.envelope.signature.length));
    raw
      .slice(0, 100)
      .forEach((signature, i) =>
        expect(RSA_PSS_SHA256_BATCH.verify(inputs[i]!, pub, signature), `signature ${i}`).to.equal(true),
      );
    // A tree of one is signed alone, as the signer signs a lone request.
    expect(baseline[100]!.envelope.signatureAlgorithm).to.equal('RSA-PSS-SHA256');
    expect(raw[100]!.length).to.equal(256);
  });

  it('(c) refuses an envelope whose payload was changed, naming it', async () => {
    const baseline = await baselineEnvelopes(signerOptions(), requests(reports(10)), 10);
    const inputs = baseline.map((e) => signingInput(e.envelope, e.envelope.payload));
    const changed = [...inputs];
    changed[3] = Buffer.concat([inputs[3]!, Buffer.from([0])]);
    expect(() =>
      rawVerifyAll(
        baseline.map((e) => e.envelope),
        changed,
        createPublicKey(identity.certificatePem),
      ),
    ).to.throw(`envelope 3 (${baseline[3]!.envelope.messageId}) did not verify`);
  });
});

describe("bench ingest: the end-to-end row's note", () => {
  it('names the prefilled buckets when BENCH_PREFILL_BUCKETS stored some', () => {
    expect(endToEndNote({ reports: 3000, batch: 100, clients: 4, ratios: [0.5], prefill: 39_000 })).to.equal(
      '3000 reports, batches of 100, 4 clients; the store prefilled with 39,000 statistics and 39,000 route-leg ' +
        'buckets (BENCH_PREFILL_BUCKETS)',
    );
  });

  it("gives each run's ratio when there were several, and no prefill when none was stored", () => {
    expect(
      endToEndNote({ reports: 1000, batch: 100, clients: 4, ratios: [0.61, 0.55, 0.6], prefill: 0 }),
    ).to.equal(
      '1000 reports, batches of 100, 4 clients; the median of 3 runs, whose ratios were 0.61, 0.55, 0.60',
    );
  });
});
