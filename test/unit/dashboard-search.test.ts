// Unit tier: the dashboard's search (services/query-api/public/search.js) exports the search it shows, not the form
// as edited since; says which filters the routes export cannot apply; clears the results of an earlier search when a
// new one fails; and after "Load more" leaves the focus where the reader goes on. The DOM is a stand-in and the
// query API an answering function.
import { expect } from 'chai';
import { dashboardModule, loadDashboardReference, unloadDashboardReference } from './dashboard-support';
import { element, event, installDom, type StandInDocument, type StandInElement } from './dom-stand-in';

type Params = Record<string, unknown>;
interface Search {
  exportFilters(format: string, params: Params): { applied: Params; ignored: string[] };
  createSearch(o: { api: unknown; report: (err: unknown) => void; say: (text: string) => void }): {
    render(): void;
  };
}

/** The search view's markup (index.html), as search.js finds it by id and field name. */
function searchView(doc: StandInDocument) {
  doc.body.replaceChildren();
  const form = element(doc, 'form', { id: 'search-form' });
  for (const name of ['country', 'drug', 'routeCountry', 'from', 'to', 'limit'])
    element(doc, name === 'from' || name === 'to' ? 'input' : 'select', { name }, form);
  form.elements.limit!.value = '50';
  for (const id of ['export-csv', 'export-geojson']) element(doc, 'button', { id }, form);
  element(doc, 'div', { id: 'search-results' });
  return form;
}

const item = (n: number) => ({
  reportId: `0b4e5c8e-0000-4000-8000-${String(n).padStart(12, '0')}`,
  seizedAt: '2026-01-10T00:00:00Z',
  country: 'UZ',
  substances: ['heroin'],
  totalKg: 1,
  handling: { tlp: 'GREEN', releasableTo: [], evaluation: null },
  report: { drugs: [{ substance: 'heroin', quantity: 1, unit: 'kg', quantityKg: 1 }] },
});

/** Let the search's awaited calls finish. */
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('dashboard search', () => {
  let dom: ReturnType<typeof installDom>;
  let search: Search;
  before(async () => {
    dom = installDom();
    search = await dashboardModule<Search>('search.js');
    (await dashboardModule<{ setLang(l: string): void }>('i18n.js')).setLang('en');
    await loadDashboardReference();
  });
  after(async () => {
    await unloadDashboardReference();
    dom.restore();
  });

  /** A search view wired to an API whose answers to GET /v1/seizures are `pages`, in turn. */
  function wired(pages: (Params | Error)[]) {
    const form = searchView(dom.document);
    const asked: Params[] = [];
    const downloads: { path: string; params: Params }[] = [];
    const said: string[] = [];
    const reported: unknown[] = [];
    const api = {
      async get(_path: string, params: Params) {
        asked.push(params);
        const page = pages.shift()!;
        if (page instanceof Error) throw page;
        return page;
      },
      async download(path: string, params: Params, name: string) {
        downloads.push({ path, params });
        return { name, truncated: false };
      },
    };
    search.createSearch({ api, report: (e) => reported.push(e), say: (t) => said.push(t) }).render();
    const byId = (id: string) => dom.document.getElementById(id);
    const submit = async () => {
      await form.dispatchEvent(event('submit'));
      await settle();
    };
    return { form, asked, downloads, said, reported, byId, submit };
  }

  it('gives the filters an export applies and those it cannot (the routes export has no dates nor route country)', () => {
    const shown = {
      country: 'UZ',
      drug: 'heroin',
      routeCountry: 'AF',
      from: '2026-01-01',
      to: '2026-01-31T23:59:59.999Z',
      limit: '50',
      cursor: undefined,
    };
    expect(search.exportFilters('geojson', shown)).to.deep.equal({
      applied: { country: 'UZ', drug: 'heroin' },
      ignored: ['routeCountry', 'from', 'to'],
    });
    expect(search.exportFilters('csv', shown)).to.deep.equal({
      applied: {
        country: 'UZ',
        drug: 'heroin',
        routeCountry: 'AF',
        from: '2026-01-01',
        to: '2026-01-31T23:59:59.999Z',
      },
      ignored: [],
    });
    expect(search.exportFilters('geojson', { drug: '', country: undefined })).to.deep.equal({
      applied: {},
      ignored: [],
    });
  });

  it('exports the search shown, not the form as changed since, and says what the routes export leaves out', async () => {
    const view = wired([{ items: [item(1)], nextCursor: null }]);
    view.form.elements.country!.value = 'UZ';
    view.form.elements.from!.value = '2026-01-01';
    await view.submit();
    view.form.elements.country!.value = 'KZ';
    view.form.elements.from!.value = '';
    await view.byId('export-csv')!.click();
    await view.byId('export-geojson')!.click();
    expect(view.downloads[0]).to.deep.equal({
      path: '/v1/export/seizures.csv',
      params: { country: 'UZ', from: '2026-01-01', limit: 10000 },
    });
    expect(view.downloads[1]).to.deep.equal({ path: '/v1/export/routes.geojson', params: { country: 'UZ' } });
    expect(view.said[0]).to.equal('Downloaded seizures.csv.');
    expect(view.said[1]).to.equal(
      'Downloaded routes.geojson. Not applied, as the routes export has no such filter: Seized from. ' +
        'Country: Uzbekistan at either end of a route leg, not only where seized.',
    );
  });

  it('clears the results of the search before, and their "Load more", when a new search fails', async () => {
    const refused = Object.assign(new Error('store unavailable'), { code: 'STORE_UNAVAILABLE' });
    const view = wired([{ items: [item(1)], nextCursor: 'c1' }, refused]);
    await view.submit();
    expect(view.byId('search-results')!.querySelectorAll('tbody tr')).to.have.length(1);
    expect(view.byId('load-more')).to.not.equal(null);
    view.form.elements.country!.value = 'KZ';
    await view.submit();
    expect(view.reported).to.deep.equal([refused]);
    expect(view.byId('search-results')!.querySelectorAll('tbody tr')).to.have.length(0);
    expect(view.byId('load-more')).to.equal(null);
    // With no search shown, an export takes the form as it is.
    await view.byId('export-csv')!.click();
    expect(view.downloads[0]!.params).to.deep.include({ country: 'KZ' });
  });

  it('moves the focus after "Load more" to the button drawn anew, and to the first new row on the last page', async () => {
    const view = wired([
      { items: [item(1)], nextCursor: 'c1' },
      { items: [item(2)], nextCursor: 'c2' },
      { items: [item(3)], nextCursor: null },
    ]);
    await view.submit();
    const first = view.byId('load-more')!;
    first.focus();
    await first.click();
    await settle();
    const second = view.byId('load-more')!;
    expect(second).to.not.equal(first);
    expect(dom.document.activeElement).to.equal(second);
    await second.click();
    await settle();
    expect(view.byId('load-more')).to.equal(null);
    const active = dom.document.activeElement as StandInElement;
    expect(active.getAttribute('data-report-id')).to.equal(item(3).reportId);
    expect(active.getAttribute('tabindex')).to.equal('-1');
  });
});
