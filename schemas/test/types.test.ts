import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@hub/config';
import { seizureReportFromJson } from '@hub/domain';
import { loadSchemaRegistry } from '../src/registry';

const registry = loadSchemaRegistry();

/** Field paths of a schema's records: 'place.lat', 'drugs[].quantity', ... */
function schemaPaths(schema: unknown, prefix = ''): string[] {
  const s = schema as { type?: unknown; fields?: { name: string; type: unknown }[]; items?: unknown };
  if (Array.isArray(schema)) return schema.flatMap((b) => schemaPaths(b, prefix));
  if (s && typeof s === 'object') {
    if (s.type === 'record')
      return (s.fields ?? []).flatMap((f) => [
        `${prefix}${f.name}`,
        ...schemaPaths(f.type, `${prefix}${f.name}.`),
      ]);
    if (s.type === 'array') return schemaPaths(s.items, prefix.replace(/\.$/, '[].'));
  }
  return [];
}

function valuePaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.length ? valuePaths(value[0], prefix.replace(/\.$/, '[].')) : [];
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    return Object.entries(value).flatMap(([k, v]) => [`${prefix}${k}`, ...valuePaths(v, `${prefix}${k}.`)]);
  }
  return [];
}

describe('TypeScript types checked against the schemas', () => {
  it("the national node's SeizureReport has exactly the fields of the latest schema, and validates against it", () => {
    const minimal = JSON.parse(
      readFileSync(join(repoRoot, 'docs', 'examples', 'minimal-report.json'), 'utf8'),
    );
    const full = { ...minimal, links: [{ kind: 'case', ref: 'KZ-2026-0042' }] };
    const { value } = seizureReportFromJson(full, {
      nodeCountry: 'KZ',
      now: Date.now(),
      versionOf: () => 1,
      regions: new Set(),
    });
    const latest = registry.latest('SeizureReport');
    expect(latest.type.isValid(value)).to.equal(true);
    const fromSchema = new Set(schemaPaths(latest.type.schema()));
    const fromCode = new Set(valuePaths(value));
    expect(
      [...fromCode].filter((p) => !fromSchema.has(p)),
      'fields the code sets that the schema lacks',
    ).to.deep.equal([]);
    expect(
      [...fromSchema].filter((p) => !fromCode.has(p)),
      'schema fields the code never sets',
    ).to.deep.equal([]);
  });
});
