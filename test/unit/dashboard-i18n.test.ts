// Unit tier: the dashboard's dictionary (services/query-api/public/i18n.js) says the same things in every language,
// and explains in words each error the query API can answer a signed-in analyst with.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '@hub/config';
import { ERROR_STATUS } from '@hub/query-api';

/** Every .avsc file under `dir`, however deep. */
function avscFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() && e.name !== 'node_modules'
      ? avscFiles(join(dir, e.name))
      : e.name.endsWith('.avsc')
        ? [join(dir, e.name)]
        : [],
  );
}

/** The symbols of the enum `name` anywhere in an Avro schema. */
function enumSymbols(schema: unknown, name: string): string[] | undefined {
  if (Array.isArray(schema)) return schema.map((s) => enumSymbols(s, name)).find(Boolean);
  if (!schema || typeof schema !== 'object') return undefined;
  const s = schema as Record<string, unknown>;
  if (s.type === 'enum' && s.name === name) return s.symbols as string[];
  return Object.values(s)
    .map((v) => enumSymbols(v, name))
    .find(Boolean);
}

describe('dashboard dictionary', () => {
  let DICT: Record<string, Record<string, string>>;
  before(async () => {
    const url = pathToFileURL(join(repoRoot, 'services', 'query-api', 'public', 'i18n.js')).href;
    ({ DICT } = (await import(url)) as { DICT: Record<string, Record<string, string>> });
  });

  it('has the same keys in every language, none empty', () => {
    const [first, ...rest] = Object.keys(DICT);
    expect(rest.length, 'more than one language').to.be.at.least(1);
    const keys = Object.keys(DICT[first!]!).sort();
    for (const lang of rest) expect(Object.keys(DICT[lang]!).sort(), lang).to.deep.equal(keys);
    for (const [lang, words] of Object.entries(DICT))
      for (const [key, text] of Object.entries(words)) expect(text.trim(), `${lang}.${key}`).to.not.equal('');
  });

  it('names every route role of the latest SeizureReport schema in every language', () => {
    const versions = avscFiles(join(repoRoot, 'schemas'))
      .map((file) => ({ file, version: Number(/SeizureReport\.v(\d+)\.avsc$/.exec(file)?.[1]) }))
      .filter((x) => x.version > 0)
      .sort((a, b) => b.version - a.version);
    expect(versions.length, 'SeizureReport schemas').to.be.greaterThan(0);
    const roles = enumSymbols(JSON.parse(readFileSync(versions[0]!.file, 'utf8')), 'RouteRole');
    expect(roles, `RouteRole in ${versions[0]!.file}`).to.include.members([
      'origin',
      'transit',
      'destination',
    ]);
    for (const lang of Object.keys(DICT))
      for (const role of roles!) expect(DICT[lang], `${lang}: ${role}`).to.have.property(`routeRole_${role}`);
  });

  it('words the route role origin in Russian as where the drugs come from, not as a departure', () => {
    expect(DICT.ru!.routeRole_origin).to.equal('происхождение');
    expect(DICT.ru!.routeRole_departure).to.equal('отправление');
  });

  it('words every error code of the query API but the internal one and parameter errors (shown field by field)', () => {
    for (const code of Object.keys(ERROR_STATUS).filter(
      (c) => !['INTERNAL', 'VALIDATION_FAILED', 'NOT_FOUND'].includes(c),
    ))
      for (const lang of Object.keys(DICT)) expect(DICT[lang], `${lang}: ${code}`).to.have.property(code);
  });
});
