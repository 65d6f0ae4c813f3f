// The dashboard's heading of a count from GET /v1/stats and /v1/routes (the bar charts' and the route legs' tables):
// seizure entries, a report once per substance it names, in every language of the dashboard; not "reports".
import { expect } from 'chai';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '@hub/config';

const publicFile = (name: string) =>
  pathToFileURL(join(repoRoot, 'services', 'query-api', 'public', name)).href;

describe('dashboard: the heading of a count of seizures', () => {
  let seizureEntries: () => string;
  let i18n: { setLang(lang: string): void; LANGS: string[] };
  const realDocument = (globalThis as { document?: unknown }).document;
  before(async () => {
    ({ seizureEntries } = (await import(publicFile('charts.js'))) as { seizureEntries: () => string });
    i18n = (await import(publicFile('i18n.js'))) as typeof i18n;
    // setLang marks the page's language: a page of nothing but that, here.
    (globalThis as { document?: unknown }).document = { documentElement: {} };
  });
  after(() => {
    i18n.setLang('en');
    (globalThis as { document?: unknown }).document = realDocument;
  });

  it('says the count is of seizures per substance, in English and in Russian', () => {
    i18n.setLang('en');
    expect(seizureEntries()).to.equal('Seizures (per substance)');
    i18n.setLang('ru');
    expect(seizureEntries()).to.equal('Изъятий (по каждому веществу)');
  });

  it('has the heading in every language of the dashboard', () => {
    const headings = new Set<string>();
    for (const lang of i18n.LANGS) {
      i18n.setLang(lang);
      headings.add(seizureEntries());
    }
    expect(headings.size, 'one heading per language').to.equal(i18n.LANGS.length);
  });
});
