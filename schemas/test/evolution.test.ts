import { expect } from 'chai';
import avro from 'avsc';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AVRO_DIR, loadSchemaRegistry, type SchemaRegistry } from '../src/registry';
import {
  contentHashOf,
  enumSymbolChanges,
  fingerprintDrift,
  readFingerprints,
  type FingerprintEntry,
} from './evolution-checks';

const registry = loadSchemaRegistry();

type Json = Record<string, unknown> & { fields: Json[]; type: unknown; symbols: string[] };
const schemaOf = (file: string): Json => JSON.parse(readFileSync(join(AVRO_DIR, file), 'utf8'));
const fieldOf = (record: Json, name: string) => record.fields.find((f) => f.name === name) as Json;

/** The copies of schemas/avro made by changedDir, removed once the tests are done. */
const copies: string[] = [];

/**
 * A copy of schemas/avro changed by `change` (given the copy's folder), for showing that a check catches a broken
 * set; the published files themselves are never touched.
 */
function changedDir(change: (dir: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'hub-schemas-'));
  copies.push(dir);
  cpSync(AVRO_DIR, dir, { recursive: true });
  change(dir);
  return dir;
}

/** The registry of changedDir(change). */
const changedCopy = (change: (dir: string) => void): SchemaRegistry => loadSchemaRegistry(changedDir(change));

/** SeizureReport v4 in `dir`: v3 changed by `edit`. */
const withSeizureReportV4 = (edit: (v4: Json) => void) => (dir: string) => {
  const v4 = schemaOf('SeizureReport.v3.avsc');
  edit(v4);
  writeFileSync(join(dir, 'SeizureReport.v4.avsc'), JSON.stringify(v4));
};

/** A value of `type` with every field present: avsc's random value, made deterministic enough for resolution. */
function sample(type: avro.Type): unknown {
  return type.random();
}

describe('schema evolution: every version resolves every other version of the same message, both ways', () => {
  after(() => copies.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  for (const name of registry.names()) {
    const versions = registry.versions(name);
    it(`${name}: ${versions.length} version(s) are mutually compatible`, () => {
      for (const writer of versions) {
        for (const reader of versions) {
          const resolver = reader.type.createResolver(writer.type);
          for (let i = 0; i < 20; i++) {
            const bytes = writer.type.toBuffer(sample(writer.type));
            const read = reader.type.fromBuffer(bytes, resolver);
            expect(
              reader.type.isValid(read),
              `${name} v${writer.version} read as v${reader.version}`,
            ).to.equal(true);
          }
        }
      }
    });
  }

  it('fills the defaults of fields a newer version added when reading an older record', () => {
    const v1 = registry.get('SeizureReport', 1);
    const v2 = registry.get('SeizureReport', 2);
    const old: unknown = v1.type.random();
    const read = v2.type.fromBuffer(v1.type.toBuffer(old), v2.type.createResolver(v1.type)) as {
      reportingChannel: unknown;
      drugs: { packageCount: unknown }[];
    };
    expect(read.reportingChannel).to.equal(null);
    for (const d of read.drugs) expect(d.packageCount).to.equal(null);
  });

  it('reads a v1 RetentionRenewal as v2 with no submittedBy, and a v2 one as v1 (a coordinator not yet upgraded)', () => {
    const v1 = registry.get('RetentionRenewal', 1);
    const v2 = registry.get('RetentionRenewal', 2);
    const old = {
      renewalId: 'r-1',
      subjectType: 'SeizureReport',
      subjectId: 's-1',
      reason: 'trial set for 2027',
      requestedAt: 1,
    };
    expect(v2.type.fromBuffer(v1.type.toBuffer(old), v2.type.createResolver(v1.type))).to.deep.include({
      ...old,
      submittedBy: null,
    });
    const signed = { ...old, submittedBy: 'case-system' };
    expect(v2.type.fromBuffer(v2.type.toBuffer(signed))).to.deep.include(signed);
    expect(v1.type.fromBuffer(v2.type.toBuffer(signed), v1.type.createResolver(v2.type))).to.deep.include(
      old,
    );
    expect(registry.latest('RetentionRenewal').version).to.equal(2);
  });

  it('gives every enum a default symbol, so that readers survive symbols added later', () => {
    const enums: string[] = [];
    const visit = (schema: unknown) => {
      if (Array.isArray(schema)) return schema.forEach(visit);
      if (!schema || typeof schema !== 'object') return;
      const s = schema as Record<string, unknown>;
      if (s.type === 'enum' && s.default === undefined) enums.push(String(s.name));
      Object.values(s).forEach(visit);
    };
    for (const file of readdirSync(AVRO_DIR).filter((f) => f.endsWith('.avsc')))
      visit(JSON.parse(readFileSync(join(AVRO_DIR, file), 'utf8')));
    expect(enums, 'enums without a default').to.deep.equal([]);
  });

  it('keeps the symbols of every enum, in their order, at the start of those of the next version (rule 5)', () => {
    expect(enumSymbolChanges(registry)).to.deep.equal([]);
  });

  it('catches a renamed, removed or reordered enum symbol, which resolution lets through', () => {
    /** The enum of `path`'s field: 'handling.tlp', 'route[].role'. */
    const enumAt = (s: Json, path: string) =>
      path.split('.').reduce((t, step) => {
        const f = fieldOf(t, step.replace('[]', '')).type as Json & { items: Json };
        return step.endsWith('[]') ? f.items : f;
      }, s);
    const broken = changedCopy(
      withSeizureReportV4((v4) => {
        const role = enumAt(v4, 'route[].role');
        role.symbols = role.symbols.map((x) => (x === 'transit' ? 'transiting' : x));
        const tlp = enumAt(v4, 'handling.tlp');
        tlp.symbols = tlp.symbols.filter((x) => x !== 'AMBER_STRICT');
        enumAt(v4, 'place.direction').symbols = ['export', 'import', 'transit', 'domestic', 'unknown'];
      }),
    );
    const [v3, v4] = [broken.get('SeizureReport', 3), broken.get('SeizureReport', 4)];
    expect(() => v4.type.createResolver(v3.type), 'resolution alone lets it through').not.to.throw();
    const problems = enumSymbolChanges(broken);
    expect(problems).to.have.length(3);
    expect(problems.join('\n'))
      .to.contain('SeizureReport v3 -> v4: enum org.seizurehub.RouteRole symbols')
      .and.to.contain("v4's reader would silently read transit in older records as unknown")
      .and.to.contain("v4's reader would silently read AMBER_STRICT in older records as RED")
      .and.to.contain(
        'enum org.seizurehub.Direction symbols [import, export, transit, domestic, unknown] became',
      )
      .and.to.contain('here they were reordered')
      .and.to.contain('docs/schema-evolution.md rule 5');
    const appended = changedCopy(
      withSeizureReportV4((v4) => {
        const tlp = enumAt(v4, 'handling.tlp');
        tlp.symbols = [...tlp.symbols, 'BLACK'];
      }),
    );
    expect(enumSymbolChanges(appended), 'a symbol appended').to.deep.equal([]);
  });

  it('lists every schema file in schemas/fingerprints.json with its fingerprint and content hash, unchanged (rule 1)', () => {
    const entries = readFingerprints();
    expect(entries).to.be.an('array');
    expect(fingerprintDrift(AVRO_DIR, entries as FingerprintEntry[])).to.deep.equal([]);
  });

  it('catches a published version edited in place, a new version not listed, and a listed version removed', () => {
    const entries = readFingerprints() as FingerprintEntry[];
    const brokenDir = changedDir((dir) => {
      const route = schemaOf('TraffickingRoute.v2.avsc');
      route.fields.push({ name: 'confidence', type: ['null', 'string'], default: null } as unknown as Json);
      writeFileSync(join(dir, 'TraffickingRoute.v2.avsc'), JSON.stringify(route));
      withSeizureReportV4((v4) => {
        v4.fields.push({ name: 'vesselImo', type: ['null', 'string'], default: null } as unknown as Json);
      })(dir);
      rmSync(join(dir, 'FeedRecord.v1.avsc'));
    });
    const broken = loadSchemaRegistry(brokenDir);
    const hex = (r: SchemaRegistry, name: string, version: number) =>
      r.get(name, version).fingerprint.toString('hex');
    const v4Hash = contentHashOf(JSON.parse(readFileSync(join(brokenDir, 'SeizureReport.v4.avsc'), 'utf8')));
    expect(fingerprintDrift(brokenDir, entries)).to.deep.equal([
      'SeizureReport.v4.avsc has no entry in schemas/fingerprints.json: add ' +
        `{ "name": "SeizureReport", "version": 4, "fingerprint": "${hex(broken, 'SeizureReport', 4)}", ` +
        `"contentHash": "${v4Hash}" } to it ` +
        '(from then on the version is published and never edited, docs/schema-evolution.md rule 1)',
      `TraffickingRoute.v2.avsc has fingerprint ${hex(broken, 'TraffickingRoute', 2)}, ` +
        `but schemas/fingerprints.json lists ${hex(registry, 'TraffickingRoute', 2)}: ` +
        'a published version was edited in place, and envelopes written with it would no longer be read; ' +
        'restore it and make the change in TraffickingRoute.v3.avsc (docs/schema-evolution.md rule 1)',
      `schemas/fingerprints.json lists FeedRecord v1 (fingerprint ${hex(registry, 'FeedRecord', 1)}) ` +
        'but FeedRecord.v1.avsc is missing: a published version is never removed, envelopes on the wire and in the ' +
        'archive name it (docs/schema-evolution.md rule 1)',
    ]);
  });

  it('catches a default, a doc or an alias edited in a published version, which its fingerprint leaves out', () => {
    const entries = readFingerprints() as FingerprintEntry[];
    /** SeizureReport v1 in a copy, changed by `edit`; the enum of place.direction is `direction`. */
    const editedV1 = (edit: (v1: Json, direction: Json) => void) =>
      changedDir((dir) => {
        const v1 = schemaOf('SeizureReport.v1.avsc');
        const place = fieldOf(v1, 'place').type as Json;
        edit(v1, fieldOf(place, 'direction').type as Json);
        writeFileSync(join(dir, 'SeizureReport.v1.avsc'), JSON.stringify(v1));
      });
    const listed = entries.find((e) => e.name === 'SeizureReport' && e.version === 1)?.contentHash;
    const edits: [string, (v1: Json, direction: Json) => void][] = [
      ["Direction's default, unknown to transit", (_v1, direction) => (direction.default = 'transit')],
      ["notes' doc", (v1) => (fieldOf(v1, 'notes').doc = 'free text, English')],
      ['an alias of agency', (v1) => (fieldOf(v1, 'agency').aliases = ['agencyType'])],
    ];
    for (const [what, edit] of edits) {
      const dir = editedV1(edit);
      expect(loadSchemaRegistry(dir).get('SeizureReport', 1).fingerprint, what).to.deep.equal(
        registry.get('SeizureReport', 1).fingerprint,
      );
      const hash = contentHashOf(JSON.parse(readFileSync(join(dir, 'SeizureReport.v1.avsc'), 'utf8')));
      expect(fingerprintDrift(dir, entries), what).to.deep.equal([
        `SeizureReport.v1.avsc has content hash ${hash}, but schemas/fingerprints.json lists ${listed}: a ` +
          'published version was edited in place (a default, a doc or an alias, which its fingerprint leaves ' +
          'out), and readers would fill a changed default into older records; restore it and make the change in ' +
          'SeizureReport.v4.avsc (docs/schema-evolution.md rule 1)',
      ]);
    }
  });

  it('lets a published file be formatted again, its keys in another order: the same content hash', () => {
    const entries = readFingerprints() as FingerprintEntry[];
    const reversedKeys = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reversedKeys)
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v)
                .reverse()
                .map(([k, x]) => [k, reversedKeys(x)]),
            )
          : v;
    const dir = changedDir((d) =>
      writeFileSync(
        join(d, 'SeizureReport.v1.avsc'),
        JSON.stringify(reversedKeys(schemaOf('SeizureReport.v1.avsc')), null, 4),
      ),
    );
    expect(fingerprintDrift(dir, entries)).to.deep.equal([]);
  });

  it('refuses a fingerprints file that is not a list of { name, version, fingerprint, contentHash }', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-fingerprints-'));
    try {
      const file = join(dir, 'fingerprints.json');
      writeFileSync(file, JSON.stringify([{ name: 'SeizureReport', version: '3', fingerprint: 'd7e6' }]));
      expect(readFingerprints(file)).to.equal(
        `${file}[0] is {"name":"SeizureReport","version":"3","fingerprint":"d7e6"}: each entry must be ` +
          '{ "name": string, "version": integer, "fingerprint": 16 lower-case hex digits, "contentHash": 16 ' +
          'lower-case hex digits }',
      );
      const noHash = { name: 'SeizureReport', version: 3, fingerprint: 'd7e6c1a2b3c4d5e6' };
      writeFileSync(file, JSON.stringify([noHash]));
      expect(readFingerprints(file)).to.match(/^.*\[0\] is .*: each entry must be .*"contentHash"/);
      writeFileSync(file, '{');
      expect(readFingerprints(file)).to.match(/cannot be read as JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
