// A stored record against the payload it was decoded from, across the schema versions the store outlives.
import { expect } from 'chai';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubError } from '@hub/errors';
import { AVRO_DIR, loadSchemaRegistry, type SchemaRegistry } from '../src/registry';
import { stableJson } from '../src/plain';
import { sameAsSigned } from '../src/same-as-signed';

/** A registry of the schema files in AVRO_DIR, less `drop` and plus `add` (file name to schema): another release. */
function releaseWith(dirs: string[], drop: string[], add: Record<string, unknown> = {}): SchemaRegistry {
  const dir = mkdtempSync(join(tmpdir(), 'same-as-signed-'));
  dirs.push(dir);
  cpSync(AVRO_DIR, dir, { recursive: true });
  for (const file of drop) rmSync(join(dir, file));
  for (const [file, schema] of Object.entries(add)) writeFileSync(join(dir, file), JSON.stringify(schema));
  return loadSchemaRegistry(dir);
}

/** SeizureReport v3 plus `field`: a later version adding a field whose default is not null (rule 2 allows it). */
function v4Adding(field: Record<string, unknown>): Record<string, unknown> {
  const v3 = JSON.parse(readFileSync(join(AVRO_DIR, 'SeizureReport.v3.avsc'), 'utf8'));
  return { ...v3, fields: [...v3.fields, field] };
}

/** A SeizureReport with the fields of v1; `extra` adds those of later versions. */
function report(extra: Record<string, unknown> = {}, drug: Record<string, unknown> = {}) {
  return {
    reportId: '0b7c4a52-3f0e-4d5e-9a43-0c2d6f1f7a11',
    version: 1,
    supersedesVersion: null,
    reportedAt: Date.UTC(2025, 2, 3, 9),
    seizedAt: Date.UTC(2025, 2, 2, 22, 30),
    seizedAtOffsetMinutes: 300,
    country: 'KZ',
    place: {
      name: 'Khorgos',
      lat: 44.2,
      lon: 80.4,
      locationType: 'border-crossing',
      city: null,
      adminRegion: null,
      borderCrossingPoint: 'Khorgos',
      direction: 'import',
    },
    agency: 'customs',
    agencyName: null,
    caseReference: 'KZ-2025-0042',
    drugs: [
      {
        substance: 'heroin',
        substanceReported: null,
        form: null,
        quantity: 12.5,
        unit: 'kg',
        quantityKg: 12.5,
        purityPct: null,
        ...drug,
      },
    ],
    conveyance: { mode: 'road', vehicle: 'truck', identifiers: [] },
    concealment: 'false-floor',
    detection: null,
    route: [{ country: 'AF', role: 'origin', place: null }],
    arrested: [],
    links: [],
    handling: { tlp: 'AMBER', releasableTo: ['KZ'], evaluation: 'B2' },
    notes: 'seized at the crossing',
    source: null,
    ...extra,
  };
}

describe('a stored record against its signed payload (sameAsSigned)', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const today = loadSchemaRegistry();
  const v1 = today.get('SeizureReport', 1);
  const v2 = today.get('SeizureReport', 2);
  const v3 = today.get('SeizureReport', 3);
  const signedV1 = { schemaFingerprint: v1.fingerprint, payload: v1.type.toBuffer(report()) };
  const signedV2 = {
    schemaFingerprint: v2.fingerprint,
    payload: v2.type.toBuffer(report({ reportingChannel: 'api' }, { packageCount: 40 })),
  };
  const signedV3 = {
    schemaFingerprint: v3.fingerprint,
    payload: v3.type.toBuffer(
      report({ reportingChannel: 'api', submittedBy: 'case-system' }, { packageCount: 40 }),
    ),
  };
  /** What a coordinator whose newest SeizureReport was `registry`'s stored for `signed` (intake's decode). */
  const storedBy = (registry: SchemaRegistry, signed: typeof signedV1) =>
    registry.decode(signed.schemaFingerprint, signed.payload);

  describe('a report a node wrote as v2', () => {
    const v2Release = () => releaseWith(dirs, ['SeizureReport.v3.avsc']);

    it('stored by a coordinator that knew no v3 (no submittedBy key) equals it, read with the v3 registry', () => {
      const stored = storedBy(v2Release(), signedV2);
      expect(stored).to.not.have.property('submittedBy');
      // Today's decode has submittedBy: null, so the whole-record comparison `hub verify` made failed here.
      expect(stableJson(storedBy(today, signedV2))).to.not.equal(stableJson(stored));
      expect(sameAsSigned(today, signedV2, stored)).to.equal(true);
    });

    it('stored by a coordinator that knew v3 (submittedBy at its default, null) equals it', () => {
      const stored = storedBy(today, signedV2);
      expect(stored).to.include({ submittedBy: null });
      expect(sameAsSigned(today, signedV2, stored)).to.equal(true);
    });

    it('differs once its country is changed in the store, whichever coordinator stored it', () => {
      for (const registry of [v2Release(), today]) {
        const stored = { ...storedBy(registry, signedV2), country: 'KG' };
        expect(sameAsSigned(today, signedV2, stored)).to.equal(false);
      }
    });

    it('differs once a field v2 lacks holds anything but its default (submittedBy set in the store)', () => {
      for (const registry of [v2Release(), today]) {
        const stored = { ...storedBy(registry, signedV2), submittedBy: 'case-system' };
        expect(sameAsSigned(today, signedV2, stored)).to.equal(false);
      }
    });

    it('differs once a quantity deep in the record is changed, or a signed field removed', () => {
      const stored = storedBy(today, signedV2);
      const drug = (stored.drugs as Record<string, unknown>[])[0];
      const quantity = { ...stored, drugs: [{ ...drug, quantity: 9999 }] };
      const { notes: _notes, ...withoutNotes } = stored;
      expect(sameAsSigned(today, signedV2, quantity)).to.equal(false);
      expect(sameAsSigned(today, signedV2, withoutNotes)).to.equal(false);
    });
  });

  describe('a report a node wrote as v1 (fields added later, also inside drugs[])', () => {
    it('equals it as stored by a v1, a v2 and a v3 coordinator', () => {
      const v1Release = releaseWith(dirs, ['SeizureReport.v2.avsc', 'SeizureReport.v3.avsc']);
      const v2Release = releaseWith(dirs, ['SeizureReport.v3.avsc']);
      for (const registry of [v1Release, v2Release, today])
        expect(sameAsSigned(today, signedV1, storedBy(registry, signedV1))).to.equal(true);
    });

    it('differs with a packageCount in a drug the node never signed, or keys of two versions mixed', () => {
      const stored = storedBy(today, signedV1);
      const drug = (stored.drugs as Record<string, unknown>[])[0];
      const counted = { ...stored, drugs: [{ ...drug, packageCount: 40 }] };
      // v2's reportingChannel with neither packageCount (v2) nor submittedBy (v3): no coordinator stores that.
      const mixed: Record<string, unknown> = { ...stored, drugs: report().drugs };
      delete mixed.submittedBy;
      expect(sameAsSigned(today, signedV1, counted)).to.equal(false);
      expect(sameAsSigned(today, signedV1, mixed)).to.equal(false);
    });
  });

  describe('a later version adding a field whose default is not null', () => {
    const v4 = v4Adding({
      name: 'caseTags',
      type: { type: 'array', items: 'string' },
      default: [],
    });

    it('equals a v3 report stored by the v4 coordinator with the field at its default, []', () => {
      const v4Release = releaseWith(dirs, [], { 'SeizureReport.v4.avsc': v4 });
      const stored = storedBy(v4Release, signedV3);
      expect(stored).to.deep.include({ caseTags: [] });
      expect(sameAsSigned(v4Release, signedV3, stored)).to.equal(true);
      // And the one a v3 coordinator stored before the upgrade, without the key.
      expect(sameAsSigned(v4Release, signedV3, storedBy(today, signedV3))).to.equal(true);
    });

    it('differs once that field holds a value the node never signed', () => {
      const v4Release = releaseWith(dirs, [], { 'SeizureReport.v4.avsc': v4 });
      const stored = { ...storedBy(v4Release, signedV3), caseTags: ['smuggling-ring'] };
      expect(sameAsSigned(v4Release, signedV3, stored)).to.equal(false);
    });
  });

  it('differs once a field the writer signed is removed from the store (submittedBy of a v3 report)', () => {
    const { submittedBy: _s, ...stored } = storedBy(today, signedV3);
    expect(sameAsSigned(today, signedV3, storedBy(today, signedV3))).to.equal(true);
    expect(sameAsSigned(today, signedV3, stored)).to.equal(false);
  });

  it('refuses, naming the schema, a payload no version decodes: unknown fingerprint or malformed bytes', () => {
    const stored = storedBy(today, signedV2);
    const unknown = { schemaFingerprint: Buffer.alloc(8), payload: signedV2.payload };
    const truncated = { ...signedV2, payload: signedV2.payload.subarray(0, 20) };
    expect(() => sameAsSigned(today, unknown, stored))
      .to.throw(HubError, 'no schema has fingerprint 0000000000000000')
      .with.property('code', 'UNKNOWN_SCHEMA');
    expect(() => sameAsSigned(today, truncated, stored))
      .to.throw(HubError, 'payload is not a valid SeizureReport v2')
      .with.property('code', 'MALFORMED_PAYLOAD');
  });
});
