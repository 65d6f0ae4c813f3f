// `hub replay --replace` swaps the rebuilt store in only when it lost nothing of the live one: the record-by-record
// comparison that decides it, on sorted streams of ids and owners, and on stores (in memory) holding documents as the
// coordinator stores them.
import { expect } from 'chai';
import { COLLECTIONS } from '@hub/store';
import {
  describeLoss,
  lostRecords,
  storeLosses,
  type OwnedRecord,
} from '../../scripts/src/run/replay-records';
import { memoryStore, type Doc } from './memory-store';

/** Records sorted by id, streamed as a cursor streams them. */
async function* stream(...records: [string, string | null][]): AsyncIterable<OwnedRecord> {
  for (const [id, owner] of [...records].sort(([a], [b]) => (a < b ? -1 : 1))) yield { id, owner };
}
const noneErased = () => false;

describe('hub replay --replace: what the rebuilt store lost', () => {
  it('finds nothing lost when the rebuilt store has every record with the same owner, and more', async () => {
    const losses = await lostRecords(
      'reports',
      stream(['a', 'KZ'], ['c', 'UZ']),
      stream(['a', 'KZ'], ['b', 'TJ'], ['c', 'UZ'], ['d', 'KG']),
      noneErased,
    );
    expect(losses).to.deep.equal([]);
  });

  it('names each record the rebuilt store lacks, first, middle and last', async () => {
    const losses = await lostRecords(
      'reports',
      stream(['a', 'KZ'], ['b', 'UZ'], ['c', 'KZ'], ['d', 'TJ']),
      stream(['c', 'KZ']),
      noneErased,
    );
    expect(losses.map((l) => [l.id, l.was, l.missing])).to.deep.equal([
      ['a', 'KZ', true],
      ['b', 'UZ', true],
      ['d', 'TJ', true],
    ]);
    expect(describeLoss(losses[0]!)).to.equal('reports a (KZ): missing from the rebuilt store');
  });

  it('names a record the rebuilt store gives another country', async () => {
    const losses = await lostRecords(
      'routes',
      stream(['a', 'KZ'], ['b', 'UZ']),
      stream(['a', 'KZ'], ['b', 'KZ']),
      noneErased,
    );
    expect(losses).to.deep.equal([{ collection: 'routes', id: 'b', was: 'UZ', missing: false, now: 'KZ' }]);
    expect(describeLoss(losses[0]!)).to.equal('routes b: owned by UZ live, by KZ in the rebuilt store');
  });

  it('excuses a record the erasure log says must not come back, and only that one', async () => {
    const losses = await lostRecords(
      'report_versions',
      stream(['erased:1', 'UZ'], ['kept:1', 'UZ']),
      stream(),
      (id) => id === 'erased:1',
    );
    expect(losses.map((l) => l.id)).to.deep.equal(['kept:1']);
  });

  it('finds everything lost when the rebuilt store is empty', async () => {
    const losses = await lostRecords('requests', stream(['q1', 'KZ'], ['q2', null]), stream(), noneErased);
    expect(losses.map((l) => l.id)).to.deep.equal(['q1', 'q2']);
  });
});

// Documents shaped as the coordinator stores them (StoredReport, StoredReportVersion, routeDocument,
// StoredAnnualReturn, StoredRequest), the fields the comparison does not read cut short.
const report = (id: string, owner: string): Doc => ({
  _id: id,
  reportId: id,
  version: 1,
  status: 'active',
  originCountry: owner,
  country: owner,
  messageId: `m-${id}`,
});
const reportVersion = (id: string, version: number, owner: string): Doc => ({
  _id: `${id}:${version}`,
  reportId: id,
  version,
  status: 'active',
  originCountry: owner,
  country: owner,
  supersededAt: null,
});
const route = (id: string, owner: string): Doc => ({
  _id: id,
  routeId: id,
  version: 1,
  country: owner,
  originCountry: owner,
  route: { routeId: id },
});
const annualReturn = (id: string, owner: string): Doc => ({
  _id: id,
  returnId: id,
  version: 1,
  country: owner,
  year: 2025,
  originCountry: owner,
  cells: [],
});
/** A request of `requester` to `addressee`, answered: the response's `from` is the addressee's. */
const request = (id: string, requester: string, addressee: string): Doc => ({
  _id: id,
  requestId: id,
  requester,
  addressee,
  status: 'answered',
  response: { responseId: `${id}-r`, from: addressee, to: requester, status: 'answered' },
});

/** A store holding one record of each compared kind, `owner` owning them all. */
function storeOf(database: string, owner: string, extra: Record<string, Doc[]> = {}) {
  return memoryStore(database, {
    [COLLECTIONS.reports]: [report('r1', owner)],
    [COLLECTIONS.reportVersions]: [reportVersion('r1', 1, owner)],
    [COLLECTIONS.routes]: [route('rt1', owner)],
    [COLLECTIONS.annualReturns]: [annualReturn('ar1', owner)],
    [COLLECTIONS.requests]: [request('q1', owner, 'UZ')],
    ...extra,
  }).store;
}

describe('hub replay --replace: what the rebuilt store lost, store against store', () => {
  it('finds nothing lost when the rebuilt store holds the same records of the same owners', async () => {
    expect(await storeLosses(storeOf('hub', 'KZ'), storeOf('hub-replay', 'KZ'))).to.deep.equal([]);
  });

  it('names an information request the rebuilt store gives another requester', async () => {
    const live = memoryStore('hub', { [COLLECTIONS.requests]: [request('q1', 'KZ', 'UZ')] }).store;
    // The same addressee answered both: only the requester differs.
    const rebuilt = memoryStore('hub-replay', { [COLLECTIONS.requests]: [request('q1', 'TJ', 'UZ')] }).store;
    expect(await storeLosses(live, rebuilt)).to.deep.equal([
      { collection: 'requests', id: 'q1', was: 'KZ', missing: false, now: 'TJ' },
    ]);
  });

  it('reads the owner of every compared kind from its stored field', async () => {
    const losses = await storeLosses(storeOf('hub', 'KZ'), storeOf('hub-replay', 'TJ'));
    expect(losses.map((l) => [l.collection, l.id, l.was, l.now])).to.deep.equal([
      ['reports', 'r1', 'KZ', 'TJ'],
      ['report_versions', 'r1:1', 'KZ', 'TJ'],
      ['routes', 'rt1', 'KZ', 'TJ'],
      ['annual_returns', 'ar1', 'KZ', 'TJ'],
      ['requests', 'q1', 'KZ', 'TJ'],
    ]);
  });

  it("excuses what the rebuilt store's erasure log names, a report's versions with it", async () => {
    const live = storeOf('hub', 'KZ', {
      [COLLECTIONS.reports]: [report('r1', 'KZ'), report('r2', 'KZ')],
      [COLLECTIONS.reportVersions]: [reportVersion('r1', 1, 'KZ'), reportVersion('r2', 1, 'KZ')],
    });
    const rebuilt = storeOf('hub-replay', 'KZ', {
      [COLLECTIONS.erasures]: [{ _id: 'r2', subjectId: 'r2' }],
    });
    expect(await storeLosses(live, rebuilt)).to.deep.equal([]);
    const notErased = storeOf('hub-replay', 'KZ');
    expect((await storeLosses(live, notErased)).map((l) => l.id)).to.deep.equal(['r2', 'r2:1']);
  });
});
