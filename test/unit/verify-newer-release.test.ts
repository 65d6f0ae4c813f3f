// `hub verify` on a record a newer release of the hub stored: neither VALID nor a MISMATCH, but UNVERIFIED (exit 1).
import { expect } from 'chai';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seizureReportFromJson } from '@hub/domain';
import { AVRO_DIR, loadSchemaRegistry } from '@hub/schemas';
import { compareWithSigned } from '@hub/schemas/same-as-signed';
import { contentVerdict } from '../../scripts/src/cli/commands/verify';
import { minimalReport } from '../support/hub';

describe('hub verify: what it says of the stored record against the signed payload', () => {
  const dir = mkdtempSync(join(tmpdir(), 'verify-v2-release-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(AVRO_DIR, dir, { recursive: true });
  rmSync(join(dir, 'SeizureReport.v3.avsc'));
  /** The registry of the release before SeizureReport v3 (a hub verify not yet upgraded). */
  const v2Release = loadSchemaRegistry(dir);
  const today = loadSchemaRegistry();
  const v2 = today.get('SeizureReport', 2);
  const { submittedBy: _s, ...value } = seizureReportFromJson(minimalReport(), {
    nodeCountry: 'KZ',
    now: Date.now(),
    versionOf: () => 1,
    regions: new Set(),
  }).value;
  const signed = { schemaFingerprint: v2.fingerprint, payload: v2.type.toBuffer(value) };
  /** What a v3 coordinator stored for KZ's v2 report: submittedBy null. */
  const stored = today.decode(signed.schemaFingerprint, signed.payload);

  it('says UNVERIFIED, naming the fields, to a release older than the coordinator that stored the record', () => {
    expect(contentVerdict(compareWithSigned(v2Release, signed, stored))).to.deep.equal({
      line:
        'content  NEWER RELEASE: the stored record has fields this release does not know (submittedBy), stored by ' +
        'a newer release of the hub: upgrade hub verify to verify it',
      verdict: 'UNVERIFIED',
    });
  });

  it('says VALID for the same record once upgraded, and INVALID for a record changed in the store', () => {
    expect(contentVerdict(compareWithSigned(today, signed, stored)).verdict).to.equal('VALID');
    const changed = { ...stored, country: 'KG' };
    expect(contentVerdict(compareWithSigned(v2Release, signed, changed))).to.deep.equal({
      line: 'content  MISMATCH: the stored record differs from the signed payload',
      verdict: 'INVALID',
    });
  });
});
