// The dashboard's audit tab (public/audit.js): a row shows an entry's count and query unless GET /v1/audit names that
// field withheld. Below RED every entry withholds its hashes, so `withheld` alone says nothing of the count or query.
import { expect } from 'chai';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '@hub/config';

/** As much of a DOM element as the dashboard's h() builds rows with. */
class FakeNode {
  readonly attributes: Record<string, string> = {};
  readonly children: FakeNode[] = [];
  textContent = '';
  constructor(readonly tag: string) {}
  setAttribute(name: string, value: string) {
    this.attributes[name] = value;
  }
  append(child: FakeNode) {
    this.children.push(child);
  }
  addEventListener() {}
  /** Its text and that of everything in it, as a browser's textContent reads. */
  get text(): string {
    return this.textContent + this.children.map((c) => c.text).join('');
  }
}

type Entry = Record<string, unknown>;

describe('dashboard: the audit tab shows what an entry withholds as withheld, and the rest', () => {
  let entryRow: (e: Entry) => FakeNode;
  const realDocument = (globalThis as { document?: unknown }).document;
  const realNode = (globalThis as { Node?: unknown }).Node;
  before(async () => {
    Object.assign(globalThis, {
      Node: FakeNode,
      document: {
        documentElement: {},
        createElement: (tag: string) => new FakeNode(tag),
        createTextNode: (text: string) => Object.assign(new FakeNode('#text'), { textContent: text }),
      },
    });
    const url = pathToFileURL(join(repoRoot, 'services', 'query-api', 'public', 'audit.js')).href;
    ({ entryRow } = (await import(url)) as { entryRow: typeof entryRow });
  });
  after(() => {
    Object.assign(globalThis, { document: realDocument, Node: realNode });
  });

  /** The text of each cell of the row of `e`, by its column. */
  const cells = (e: Entry) =>
    Object.fromEntries(entryRow(e).children.map((td) => [td.attributes['data-col'], td.text]));
  const entry = (fields: string[], over: Entry = {}): Entry => ({
    seq: 7,
    at: '2026-01-02T00:00:00.000Z',
    actor: { sub: 'analyst-TJ', role: 'analyst', country: 'TJ' },
    action: 'search',
    query: { drug: 'heroin' },
    count: 3,
    withheld: { by: 'clearance', fields },
    ...over,
  });

  it("shows the count and query of its own country's entry, though it withholds other fields", () => {
    const row = cells(entry(['reportIds', 'reportOrigins', 'origins', 'cutOrigins', 'prevHash', 'hash']));
    expect(row.count).to.equal('3');
    expect(row.query).to.equal('drug=heroin');
  });

  it("shows as withheld the count and query of another country's entry, and a query naming another's record", () => {
    const other = cells(entry(['query', 'count', 'prevHash', 'hash'], { query: null, count: null }));
    expect(other.count).to.equal('withheld (clearance)');
    expect(other.query).to.equal('withheld (clearance)');
    const read = cells(entry(['query', 'reportIds', 'prevHash', 'hash'], { query: null, count: 1 }));
    expect(read.count).to.equal('1');
    expect(read.query).to.equal('withheld (clearance)');
  });

  it('shows an entry whole to a caller cleared for RED', () => {
    const whole = entry([]);
    delete whole.withheld;
    expect(cells(whole)).to.include({ count: '3', query: 'drug=heroin' });
  });
});
