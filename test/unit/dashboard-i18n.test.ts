// Unit tier: the dashboard's dictionary (services/query-api/public/i18n.js) says the same things in every language,
// explains in words each error the query API can answer a signed-in analyst with, and tells of each as fits where it
// is shown.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '@hub/config';
import { ERROR_STATUS } from '@hub/query-api';
import { dashboardModule } from './dashboard-support';
import { installDom } from './dom-stand-in';

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

  it('words every error code of the query API that docs/errors.md lists, in every language', () => {
    const doc = readFileSync(join(repoRoot, 'docs', 'errors.md'), 'utf8');
    const section = /## Query API\n([\s\S]*?)\n## /.exec(doc)?.[1] ?? '';
    const codes = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]!);
    expect(codes, 'the codes of docs/errors.md').to.include.members([
      'NOT_FOUND',
      'INTERNAL',
      'VALIDATION_FAILED',
    ]);
    expect(codes).to.have.members(Object.keys(ERROR_STATUS));
    for (const code of codes)
      for (const lang of Object.keys(DICT)) expect(DICT[lang], `${lang}: ${code}`).to.have.property(code);
  });
});

describe('dashboard error messages', () => {
  let dom: ReturnType<typeof installDom>;
  let i18n: {
    setLang(l: string): void;
    errorText(err: { code: string; message: string; requestId?: string }, where?: string): string;
  };
  let createApi: (o: { token(): string; onUnauthorized(e: unknown): void }) => {
    get(path: string): Promise<unknown>;
  };
  before(async () => {
    dom = installDom();
    i18n = await dashboardModule('i18n.js');
    ({ createApi } = await dashboardModule<{ createApi: typeof createApi }>('api.js'));
  });
  after(() => {
    i18n.setLang('en');
    dom.restore();
  });

  it('says a record was not found, or is not released to the reader, in its own words', () => {
    for (const [lang, words] of [
      ['en', 'Not found'],
      ['ru', 'Не найдено'],
    ] as const) {
      i18n.setLang(lang);
      const text = i18n.errorText({ code: 'NOT_FOUND', message: 'no report 3f1c visible to you' });
      expect(text).to.contain(words);
      expect(text).to.not.contain(lang === 'en' ? 'Something went wrong' : 'Что-то пошло не так');
    }
  });

  it('keeps the request id of an internal error and asks to quote it to the operator', async () => {
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async () =>
      new Response(
        JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error', requestId: 'rq-7f3a' } }),
        { status: 500, headers: { 'content-type': 'application/json' } },
      )) as typeof fetch;
    let thrown: { code: string; message: string; requestId?: string } | undefined;
    try {
      await createApi({ token: () => 't', onUnauthorized: () => undefined }).get('/v1/seizures/x');
    } catch (err) {
      thrown = err as typeof thrown;
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(thrown?.code).to.equal('INTERNAL');
    expect(thrown?.requestId).to.equal('rq-7f3a');
    i18n.setLang('ru');
    expect(i18n.errorText(thrown!)).to.equal(
      'Хаб не смог ответить из-за ошибки на своей стороне. Сообщите этот номер оператору хаба: rq-7f3a.',
    );
    i18n.setLang('en');
    expect(i18n.errorText(thrown!)).to.equal(
      'The hub could not answer because of an error on its side. Quote this id to the hub operator: rq-7f3a.',
    );
  });

  it('does not advise narrowing dates, country or drug in the alerts panel, which has no such controls', () => {
    const timeout = {
      code: 'QUERY_TIMEOUT',
      message:
        'no alert you may see is among the 5000 that one request looks through (after the cursor, or from the newest): narrow the dates (from, to) to look further back',
    };
    for (const [lang, advice] of [
      ['en', /dates|country|drug|narrow/i],
      ['ru', /даты|страна|наркотик|Сузьте|narrow/i],
    ] as const) {
      i18n.setLang(lang);
      const inAlerts = i18n.errorText(timeout, 'alerts');
      expect(inAlerts, lang).to.not.match(advice);
      expect(inAlerts, lang).to.contain(lang === 'en' ? 'alerts' : 'оповещения');
      // Elsewhere (a chart, the search), the advice fits.
      expect(i18n.errorText(timeout, 'byDrug'), lang).to.match(advice);
    }
  });
});
