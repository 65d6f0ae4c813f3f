// The dashboard's search tab (public/search.js, public/api.js): "Load more" shows a report once even when it comes
// again on the next page, and a CSV export the API cut at its row limit (x-export-truncated) says so.
import { expect } from 'chai';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '@hub/config';

const publicFile = (name: string) =>
  pathToFileURL(join(repoRoot, 'services', 'query-api', 'public', name)).href;

type Item = { reportId: string; seizedAt: string };
type Download = { name: string; truncated: boolean };

describe('dashboard: the search tab pages and exports', () => {
  let search: {
    appendPage(items: Item[], next: Item[]): Item[];
    downloadNotice(d: Download, rows?: number): string;
    EXPORT_ROWS: number;
  };
  let createApi: (deps: { token(): string; onUnauthorized(err: unknown): void }) => {
    download(path: string, params: Record<string, unknown>, fallbackName: string): Promise<Download>;
  };
  let i18n: { setLang(lang: string): void; LANGS: string[]; has(key: string): boolean };
  const realDocument = (globalThis as { document?: unknown }).document;
  before(async () => {
    // setLang marks the page's language: a page of nothing but that, here.
    (globalThis as { document?: unknown }).document = { documentElement: {} };
    search = (await import(publicFile('search.js'))) as typeof search;
    ({ createApi } = (await import(publicFile('api.js'))) as { createApi: typeof createApi });
    i18n = (await import(publicFile('i18n.js'))) as typeof i18n;
  });
  after(() => {
    i18n.setLang('en');
    (globalThis as { document?: unknown }).document = realDocument;
  });

  const item = (reportId: string, seizedAt = '2026-01-01T00:00:00Z'): Item => ({ reportId, seizedAt });

  it('shows a report that comes again on the next page once, where it was first shown', () => {
    // r2's seizedAt was corrected to a later date between the pages: it crossed the cursor and came again.
    const first = [item('r1'), item('r2'), item('r3')];
    const next = [item('r4'), item('r2', '2026-01-05T00:00:00Z'), item('r5')];
    const shown = search.appendPage(first, next);
    expect(shown.map((i) => i.reportId)).to.deep.equal(['r1', 'r2', 'r3', 'r4', 'r5']);
    expect(shown[1]).to.equal(first[1]);
    // A page with nothing new appends nothing; one with no repeat appends it whole.
    expect(search.appendPage(first, [item('r1'), item('r3')])).to.deep.equal(first);
    expect(search.appendPage(first, [item('r6')]).map((i) => i.reportId)).to.deep.equal([
      'r1',
      'r2',
      'r3',
      'r6',
    ]);
  });

  /** What api.download resolves to for an answer with `headers`, the browser's download and timer left out. */
  const downloaded = async (headers: Record<string, string>) => {
    const real = {
      fetch: globalThis.fetch,
      setTimeout: globalThis.setTimeout,
      document: (globalThis as { document?: unknown }).document,
    };
    const clicked: string[] = [];
    const asked: string[] = [];
    Object.assign(globalThis, {
      fetch: async (url: string) => {
        asked.push(url);
        return new Response('\ufeffreportId\r\n', { headers: { 'content-type': 'text/csv', ...headers } });
      },
      // The object URL is let go 10 s later: not waited for here.
      setTimeout: () => 0,
      document: {
        documentElement: {},
        body: { append: () => undefined },
        createElement: () => ({
          remove: () => undefined,
          click(this: { download: string }) {
            clicked.push(this.download);
          },
        }),
      },
    });
    try {
      const api = createApi({ token: () => 'token', onUnauthorized: () => undefined });
      const got = await api.download(
        '/v1/export/seizures.csv',
        { country: 'UZ', limit: 10000 },
        'seizures.csv',
      );
      expect(asked).to.deep.equal(['/v1/export/seizures.csv?country=UZ&limit=10000']);
      expect(clicked).to.deep.equal([got.name]);
      return got;
    } finally {
      Object.assign(globalThis, real);
    }
  };

  it('reads whether the API cut the export, and says so apart from a whole one', async () => {
    const name = 'attachment; filename="seizures-20260301.csv"';
    const cut = await downloaded({ 'content-disposition': name, 'x-export-truncated': 'true' });
    expect(cut).to.deep.equal({ name: 'seizures-20260301.csv', truncated: true });
    const whole = await downloaded({ 'content-disposition': name, 'x-export-truncated': 'false' });
    expect(whole).to.deep.equal({ name: 'seizures-20260301.csv', truncated: false });
    // A GeoJSON export carries no such header: whole.
    expect(await downloaded({})).to.deep.equal({ name: 'seizures.csv', truncated: false });
    i18n.setLang('en');
    expect(search.downloadNotice(whole)).to.equal('Downloaded seizures-20260301.csv.');
    expect(search.downloadNotice(cut)).to.not.equal(search.downloadNotice(whole));
  });

  it('words the notice of a cut export in every language: the file, how many rows it holds, what to narrow', () => {
    expect(search.EXPORT_ROWS).to.equal(10000);
    expect(i18n.has('exportedTruncated'), 'i18n.js: exportedTruncated').to.equal(true);
    const notices = new Set<string>();
    for (const lang of i18n.LANGS) {
      i18n.setLang(lang);
      const notice = search.downloadNotice({ name: 'seizures.csv', truncated: true });
      expect(notice, lang).to.contain('seizures.csv');
      expect(notice.replace(/\D/g, ''), lang).to.contain('10000');
      notices.add(notice);
    }
    expect(notices.size, 'one notice per language').to.equal(i18n.LANGS.length);
    i18n.setLang('en');
    expect(search.downloadNotice({ name: 'seizures.csv', truncated: true })).to.match(
      /^Downloaded seizures\.csv: the newest 10,000 reports only.*Narrow the dates/,
    );
  });
});
