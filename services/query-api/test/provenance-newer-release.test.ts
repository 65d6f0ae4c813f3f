// Provenance of a report stored by a newer release of the hub than the query API's (a field its schemas do not
// know): not verified, with a reason of its own (newer-release), never called changed in the store.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seizureReportFromJson } from '@hub/domain';
import { createSigner } from '@hub/envelope';
import { createTrustStore } from '@hub/pki';
import { AVRO_DIR, loadSchemaRegistry } from '@hub/schemas';
import type { StoredEnvelope, StoredReport } from '@hub/store';
import { testPki } from '../../pki/test/fixtures';
import { provenanceOf } from '../src/routes-seizures';

describe('query API: provenance of a report stored by a newer release of the hub', function () {
  this.timeout(30000);
  const pki = testPki();
  const today = loadSchemaRegistry();
  const v2 = today.get('SeizureReport', 2);
  const dir = mkdtempSync(join(tmpdir(), 'provenance-newer-'));
  cpSync(AVRO_DIR, dir, { recursive: true });
  rmSync(join(dir, 'SeizureReport.v3.avsc'));
  /** The registry of the release before SeizureReport v3 (a query API not yet upgraded). */
  const v2Release = loadSchemaRegistry(dir);
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** KZ's report written as v2 (as a node of that release did), signed, and its archived envelope. */
  const signedV2 = () => {
    const { submittedBy: _s, ...value } = seizureReportFromJson(
      {
        reportId: randomUUID(),
        seizedAt: '2025-03-02T22:30:00Z',
        country: 'KZ',
        agency: 'customs',
        drugs: [{ substance: 'heroin', quantity: 12.5, unit: 'kg' }],
        handling: { tlp: 'GREEN', releasableTo: [] },
      },
      { nodeCountry: 'KZ', now: Date.now(), versionOf: () => 1, regions: new Set() },
    ).value;
    const signer = createSigner({
      privateKey: pki.kz.key,
      certificate: pki.kz.cert.certificatePem,
      origin: 'KZ',
    });
    const { envelope, bytes } = signer.signEncoded({
      messageType: 'SeizureReport',
      schemaFingerprint: v2.fingerprint,
      payload: v2.type.toBuffer(value),
    });
    const archived: StoredEnvelope = {
      _id: envelope.messageId,
      messageType: 'SeizureReport',
      origin: 'KZ',
      subjectId: value.reportId,
      subjectVersion: 1,
      topic: 'hub.node.KZ.out',
      partition: 0,
      offset: '0',
      bytes,
      sha256: 'd',
      signerFingerprint: pki.kz.cert.fingerprint,
      signerCertificatePem: pki.kz.cert.certificatePem,
      receivedAt: new Date(),
    };
    return { envelope, archived };
  };

  /** The record as the coordinator whose registry is `registry` stored it (intake's decode, documents.ts). */
  const storedBy = (registry: typeof today, signed: ReturnType<typeof signedV2>): StoredReport => {
    const report = registry.decode(signed.envelope.schemaFingerprint, signed.envelope.payload);
    return {
      _id: signed.archived.subjectId,
      reportId: signed.archived.subjectId,
      version: 1,
      status: 'active',
      originCountry: 'KZ',
      country: 'KZ',
      seizedAt: new Date(report.seizedAt as number),
      reportedAt: new Date(report.reportedAt as number),
      receivedAt: new Date(),
      messageId: signed.archived._id,
      signerFingerprint: pki.kz.cert.fingerprint,
      handling: { tlp: 'GREEN', releasableTo: [], releasableCountries: [], evaluation: null },
      report,
      substances: ['heroin'],
      drugGroups: ['opioids'],
      routeCountries: [],
      conveyanceMode: null,
      totalKg: 12.5,
    } as StoredReport;
  };
  const provenance = (signed: ReturnType<typeof signedV2>, shown: StoredReport) =>
    provenanceOf(signed.archived, createTrustStore(pki.ca.certPem), shown);

  /** What the query API of the release before SeizureReport v3 says of `shown`. */
  const provenanceInV2Release = (signed: ReturnType<typeof signedV2>, shown: StoredReport) =>
    provenanceOf(signed.archived, createTrustStore(pki.ca.certPem), shown, v2Release);

  it('says newer-release, naming the field, for a v2 report a v3 coordinator stored (submittedBy null)', () => {
    const signed = signedV2();
    const shown = storedBy(today, signed);
    expect(shown.report).to.include({ submittedBy: null });
    expect(provenanceInV2Release(signed, shown)).to.include({
      verified: false,
      reason: 'newer-release',
      content:
        'the record shown has fields this release of the query API does not know (submittedBy): stored by a ' +
        'newer release of the hub, it is verified once the query API is upgraded',
    });
    expect(provenance(signed, shown)).to.include({ verified: true });
  });

  it('still says content-mismatch for a record changed in the store besides', () => {
    const signed = signedV2();
    const stored = storedBy(today, signed);
    const shown = { ...stored, report: { ...stored.report, country: 'KG' } };
    expect(provenanceInV2Release(signed, shown)).to.include({ verified: false, reason: 'content-mismatch' });
  });
});
