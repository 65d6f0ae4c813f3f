// A stored record judged by a verifier of an older release than the coordinator that stored it (compareWithSigned):
// fields its schemas do not know are neither the signed payload nor a change, until a verifier that knows them judges.
import { expect } from 'chai';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AVRO_DIR, loadSchemaRegistry, type SchemaRegistry } from '../src/registry';
import { compareWithSigned, sameAsSigned } from '../src/same-as-signed';

type Json = Record<string, unknown> & { fields: Json[]; type: unknown; items: Json };

/** The schema files in AVRO_DIR, less `drop` and plus `add` (file name to schema): another release's registry. */
function release(dirs: string[], drop: string[], add: Record<string, unknown> = {}): SchemaRegistry {
  const dir = mkdtempSync(join(tmpdir(), 'newer-release-'));
  dirs.push(dir);
  cpSync(AVRO_DIR, dir, { recursive: true });
  for (const file of drop) rmSync(join(dir, file));
  for (const [file, schema] of Object.entries(add)) writeFileSync(join(dir, file), JSON.stringify(schema));
  return loadSchemaRegistry(dir);
}

/** SeizureReport v4: v3 plus a field at the top (`vesselImo`, default null) and one in each drug (`lab`, default "none"). */
function seizureReportV4(): Json {
  const v4 = JSON.parse(readFileSync(join(AVRO_DIR, 'SeizureReport.v3.avsc'), 'utf8')) as Json;
  v4.fields.push({ name: 'vesselImo', type: ['null', 'string'], default: null } as unknown as Json);
  const drugs = v4.fields.find((f) => f.name === 'drugs') as Json;
  (drugs.type as Json).items.fields.push({ name: 'lab', type: 'string', default: 'none' } as unknown as Json);
  return v4;
}

/** A SeizureReport as a node writes v2 (no submittedBy): KZ's 12.5 kg of heroin at Khorgos. */
const reportV2 = {
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
      packageCount: 40,
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
  reportingChannel: 'api',
};

describe('a stored record judged by a verifier of an older release (compareWithSigned)', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const today = loadSchemaRegistry();
  const v2 = today.get('SeizureReport', 2);
  const signedV2 = { schemaFingerprint: v2.fingerprint, payload: v2.type.toBuffer(reportV2) };
  /** What a coordinator whose registry is `registry` stored for `signed` (intake's decode). */
  const storedBy = (registry: SchemaRegistry, signed = signedV2) =>
    registry.decode(signed.schemaFingerprint, signed.payload);

  it('says a v2 report stored by a v3 coordinator (submittedBy: null) was stored by a newer release, to a v2 verifier', () => {
    const v2Release = release(dirs, ['SeizureReport.v3.avsc']);
    const stored = storedBy(today);
    expect(stored).to.include({ submittedBy: null });
    expect(compareWithSigned(v2Release, signedV2, stored)).to.deep.equal({
      kind: 'newer-release',
      fields: ['submittedBy'],
    });
    expect(sameAsSigned(v2Release, signedV2, stored), 'not the same: it cannot tell').to.equal(false);
    expect(compareWithSigned(today, signedV2, stored)).to.deep.equal({ kind: 'same' });
  });

  it('names the fields a newer release added at the top and inside an array of records', () => {
    const v4Release = release(dirs, [], { 'SeizureReport.v4.avsc': seizureReportV4() });
    const stored = storedBy(v4Release);
    expect(stored).to.include({ vesselImo: null });
    expect(compareWithSigned(today, signedV2, stored)).to.deep.equal({
      kind: 'newer-release',
      fields: ['drugs[].lab', 'vesselImo'],
    });
    expect(compareWithSigned(v4Release, signedV2, stored)).to.deep.equal({ kind: 'same' });
  });

  it('calls it a mismatch when a known field is changed too, or one is removed', () => {
    const stored = storedBy(release(dirs, [], { 'SeizureReport.v4.avsc': seizureReportV4() }));
    const changed = { ...stored, country: 'KG' };
    const { notes: _notes, ...removed } = stored;
    expect(compareWithSigned(today, signedV2, changed)).to.deep.equal({ kind: 'mismatch' });
    expect(compareWithSigned(today, signedV2, removed)).to.deep.equal({ kind: 'mismatch' });
  });

  it('calls a field a known version has, set to a value the node never signed, a mismatch, not a newer release', () => {
    const stored = { ...storedBy(today), submittedBy: 'case-system', vesselImo: null };
    expect(compareWithSigned(today, signedV2, stored)).to.deep.equal({ kind: 'mismatch' });
  });

  it('meets no map type in any schema: every object it compares is a record, whose extra keys are fields', () => {
    const maps: string[] = [];
    const visit = (schema: unknown, file: string) => {
      if (Array.isArray(schema)) return schema.forEach((s) => visit(s, file));
      if (!schema || typeof schema !== 'object') return;
      if ((schema as { type?: unknown }).type === 'map') maps.push(file);
      Object.values(schema).forEach((s) => visit(s, file));
    };
    for (const file of readdirSync(AVRO_DIR).filter((f) => f.endsWith('.avsc')))
      visit(JSON.parse(readFileSync(join(AVRO_DIR, file), 'utf8')), file);
    expect(maps, 'schemas with a map: compareWithSigned would read its extra keys as fields').to.deep.equal(
      [],
    );
  });
});
