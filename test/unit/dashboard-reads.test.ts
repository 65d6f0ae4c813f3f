// Unit tier: the co-operation view's "who read our records" (services/query-api/public/cooperation.js) says a full
// list is the latest so many, not every read there was, and shows an audit entry that left out some of the records'
// ids (cut) as such. Only the API and the document are replaced.
import { expect } from 'chai';
import { dashboardModule } from './dashboard-support';
import { installDom, type StandInDocument, type StandInElement } from './dom-stand-in';

interface Read {
  at: string;
  seq: number;
  reader: { country: string; role: string; user: string };
  action: string;
  reportIds: string[];
  cut?: true;
}

const read = (seq: number, extra: Partial<Read> = {}): Read => ({
  at: '2026-03-14T09:30:00Z',
  seq,
  reader: { country: 'UZ', role: 'analyst', user: 'analyst-UZ' },
  action: 'search',
  reportIds: [`${String(seq).padStart(8, '0')}-0000-4000-8000-000000000000`],
  ...extra,
});

describe('dashboard: who read our records', () => {
  let fetchReads: (api: {
    get(path: string, params?: Record<string, unknown>): Promise<unknown>;
  }) => Promise<{
    reads: Read[];
    country: string;
    limit: number;
  }>;
  let renderReads: (box: StandInElement, data: unknown) => void;
  let READS_SHOWN: number;
  let t: (key: string, vars?: Record<string, unknown>) => string;
  /** The country's name as the view shows it (the code, unless another test loaded the reference data). */
  let kz = '';
  let dom: ReturnType<typeof installDom>;
  let doc: StandInDocument;
  before(async () => {
    ({ fetchReads, renderReads, READS_SHOWN } = await dashboardModule<{
      fetchReads: typeof fetchReads;
      renderReads: typeof renderReads;
      READS_SHOWN: number;
    }>('cooperation.js'));
    ({ t } = await dashboardModule<{ t: typeof t }>('i18n.js'));
    const { countryName } = await dashboardModule<{ countryName(code: string): string }>('reference.js');
    kz = countryName('KZ');
  });
  beforeEach(() => {
    dom = installDom();
    doc = dom.document;
  });
  afterEach(() => dom.restore());

  /** GET /v1/reads as the API answers it: the latest `limit` entries (of `total`), newest first. */
  const apiWith = (total: number, asked: Record<string, unknown>[] = []) => ({
    async get(path: string, params: Record<string, unknown> = {}) {
      expect(path).to.equal('/v1/reads');
      asked.push(params);
      const limit = Number(params.limit ?? 200);
      const reads = Array.from({ length: Math.min(total, limit) }, (_, i) => read(total - i));
      return { country: 'KZ', reads };
    },
  });
  const rendered = async (total: number) => {
    const box = doc.createElement('div');
    doc.body.append(box);
    renderReads(box, await fetchReads(apiWith(total)));
    return box;
  };
  const countLine = (box: StandInElement) => box.querySelector('#reads-count')!;

  it('says a full list is the latest so many, and counts a shorter one as all there is', async () => {
    const asked: Record<string, unknown>[] = [];
    await fetchReads(apiWith(5, asked));
    expect(asked).to.deep.equal([{ limit: READS_SHOWN }]);

    const full = countLine(await rendered(READS_SHOWN + 50));
    expect(full.getAttribute('data-latest')).to.equal('true');
    expect(full.textContent).to.equal(t('readsLatest', { count: READS_SHOWN, country: kz }));
    expect(full.textContent).to.not.equal(t('readsCount', { count: READS_SHOWN, country: kz }));

    const some = countLine(await rendered(3));
    expect(some.getAttribute('data-latest')).to.equal('false');
    expect(some.textContent).to.equal(t('readsCount', { count: 3, country: kz }));
  });

  it('shows an entry that left out ids of the records it read as cut', () => {
    const box = doc.createElement('div');
    doc.body.append(box);
    renderReads(box, {
      country: 'KZ',
      limit: READS_SHOWN,
      reads: [read(9, { action: 'export', cut: true }), read(8), read(7, { reportIds: [], cut: true })],
    });
    const rows = box.querySelectorAll('tr[data-seq]');
    expect(rows.map((r) => [r.getAttribute('data-seq'), r.getAttribute('data-cut')])).to.deep.equal([
      ['9', 'true'],
      ['8', 'false'],
      ['7', 'true'],
    ]);
    const records = (row: StandInElement) => row.querySelector('[data-col="records"]')!;
    expect(records(rows[0]!).textContent).to.equal(`00000009${t('readsCut')}`);
    expect(records(rows[1]!).textContent).to.equal('00000008');
    // None of its ids kept, all of them cut: the entry still says it read some.
    expect(records(rows[2]!).textContent).to.equal(t('readsCut'));
  });
});
