// The dashboard says every status of an information request the query API shows in words of its own, in every
// language, and its requests list can be filtered by each of them (partial, answered in part, among them).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '@hub/config';
import { SCHEMAS } from '../src/openapi-schemas';

const PUBLIC = join(repoRoot, 'services', 'query-api', 'public');
type Dict = Record<string, Record<string, string>>;

describe("dashboard: the words for a request's status", () => {
  let DICT: Dict;
  let setLang: (lang: string) => void;
  let label: (prefix: string, value: string) => string;
  /** A request's status in words, as the co-operation view says it. */
  const requestStatusText = (r: { status: string }) => label('reqStatus_', r.status);
  /** The statuses the query API shows (GET /v1/requests, as its OpenAPI description gives them). */
  const statuses = (
    (SCHEMAS.InformationRequest as { properties: Record<string, { enum?: string[] }> }).properties.status!
      .enum ?? []
  ).slice();

  before(async () => {
    ({ DICT, setLang, label } = (await import(pathToFileURL(join(PUBLIC, 'i18n.js')).href)) as {
      DICT: Dict;
      setLang: typeof setLang;
      label: typeof label;
    });
  });

  it('has a word for each status in every language, partial one of its own', () => {
    expect(statuses).to.include('partial');
    for (const [lang, words] of Object.entries(DICT))
      for (const status of statuses)
        expect(words, `${lang}: ${status}`).to.have.property(`reqStatus_${status}`);
    expect(DICT.en!.reqStatus_partial).to.equal('partly answered');
    expect(DICT.ru!.reqStatus_partial).to.equal('частично отвечен');
  });

  it('says partial in the language chosen, not as an answer is said', () => {
    // setLang marks the page's language: a stand-in for the page, for the time of the test.
    const had = 'document' in globalThis;
    const saved = (globalThis as { document?: unknown }).document;
    (globalThis as { document?: unknown }).document = { documentElement: {} };
    try {
      setLang('ru');
      expect(requestStatusText({ status: 'partial' })).to.equal('частично отвечен');
      expect(requestStatusText({ status: 'answered' })).to.equal('получен ответ');
    } finally {
      setLang('en');
      if (had) (globalThis as { document?: unknown }).document = saved;
      else delete (globalThis as { document?: unknown }).document;
    }
  });

  it('filters the requests list by every status, each option worded by its status', () => {
    const html = readFileSync(join(PUBLIC, 'index.html'), 'utf8');
    const select = /<select id="requests-status"[^>]*>([\s\S]*?)<\/select>/.exec(html)?.[1] ?? '';
    const options = [...select.matchAll(/<option value="([^"]*)" data-i18n="([^"]*)"/g)].map((m) => ({
      value: m[1]!,
      key: m[2]!,
    }));
    const filtered = options.filter((o) => o.value !== '');
    expect(filtered.map((o) => o.value)).to.have.members(statuses);
    for (const o of filtered) expect(o.key, o.value).to.equal(`reqStatus_${o.value}`);
  });
});
