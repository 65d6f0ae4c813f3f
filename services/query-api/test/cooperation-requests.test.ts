// The dashboard's co-operation view (public/cooperation.js) reads every page of GET /v1/requests, and knows when it
// stopped short. Only the API is replaced: it answers pages as the query API does.
import { expect } from 'chai';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '@hub/config';

type Page = { requests: { requestId: string }[]; nextCursor: string | null };
type FetchRequests = (
  api: { get(path: string, params: Record<string, unknown>): Promise<Page> },
  params: Record<string, unknown>,
  pages?: number,
) => Promise<{ requests: { requestId: string }[]; cut: boolean }>;

type Answer = { responseId: string; status: string };
type Shown = { status: string; response?: Answer | null; responses?: Answer[] };

describe("dashboard: the co-operation view's list of information requests", () => {
  let fetchRequests: FetchRequests;
  let requestStatusText: (r: Shown) => string;
  let answersOf: (r: Shown) => Answer[];
  before(async () => {
    const url = pathToFileURL(join(repoRoot, 'services', 'query-api', 'public', 'cooperation.js')).href;
    ({ fetchRequests, requestStatusText, answersOf } = (await import(url)) as {
      fetchRequests: FetchRequests;
      requestStatusText: typeof requestStatusText;
      answersOf: typeof answersOf;
    });
  });

  it('says a request answered in part as such, and lists every answer it has had', () => {
    expect(requestStatusText({ status: 'partial' })).to.equal('partly answered');
    expect(requestStatusText({ status: 'answered' })).to.equal('answered');
    expect(requestStatusText({ status: 'escalated' })).to.equal('escalated');
    const first = { responseId: 'a', status: 'partial' };
    const second = { responseId: 'b', status: 'answered' };
    expect(answersOf({ status: 'answered', response: second, responses: [first, second] })).to.deep.equal([
      first,
      second,
    ]);
    // From an API of before partial answers were followed by more: the one answer.
    expect(answersOf({ status: 'answered', response: second })).to.deep.equal([second]);
    expect(answersOf({ status: 'open', response: null })).to.deep.equal([]);
  });

  /** An API holding `n` requests, answering pages of at most `limit` after `cursor` (the index to start at). */
  const apiOf = (n: number) => {
    const asked: Record<string, unknown>[] = [];
    const api = {
      get: async (path: string, params: Record<string, unknown>): Promise<Page> => {
        expect(path).to.equal('/v1/requests');
        asked.push(params);
        const from = params.cursor === undefined ? 0 : Number(params.cursor);
        const to = Math.min(n, from + Number(params.limit ?? 200));
        return {
          requests: Array.from({ length: to - from }, (_, i) => ({ requestId: `r${from + i}` })),
          nextCursor: to < n ? String(to) : null,
        };
      },
    };
    return { api, asked };
  };

  it('reads page after page until the last, with the status chosen', async () => {
    const { api, asked } = apiOf(1200);
    const { requests, cut } = await fetchRequests(api, { status: 'open' });
    expect(cut).to.equal(false);
    expect(requests).to.have.length(1200);
    expect(requests.at(-1)?.requestId).to.equal('r1199');
    expect(asked.map((p) => p.cursor)).to.deep.equal([undefined, '500', '1000']);
    for (const p of asked) expect(p).to.include({ status: 'open', limit: 500 });
  });

  it('says the list is cut when more follow than the pages it reads', async () => {
    const { api, asked } = apiOf(1200);
    const { requests, cut } = await fetchRequests(api, {}, 2);
    expect(cut).to.equal(true);
    expect(requests).to.have.length(1000);
    expect(asked).to.have.length(2);
    // Exactly as many as the pages hold: not cut.
    expect((await fetchRequests(apiOf(1000).api, {}, 2)).cut).to.equal(false);
  });
});
