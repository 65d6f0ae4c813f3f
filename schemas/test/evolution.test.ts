import { expect } from 'chai';
import avro from 'avsc';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AVRO_DIR, loadSchemaRegistry } from '../src/registry';

const registry = loadSchemaRegistry();

/** A value of `type` with every field present: avsc's random value, made deterministic enough for resolution. */
function sample(type: avro.Type): unknown {
  return type.random();
}

describe('schema evolution: every version resolves every other version of the same message, both ways', () => {
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
});
