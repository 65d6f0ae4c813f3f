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
  let label: (prefix: string, value: string) => string;
  let answersOf: (r: Shown) => Answer[];
  /** A request's status in words, as the view says it. */
  const requestStatusText = (r: Shown) => label('reqStatus_', r.status);
  before(async () => {
    const url = (file: string) => pathToFileURL(join(repoRoot, 'services', 'query-api', 'public', file)).href;
    ({ fetchRequests, answersOf } = (await import(url('cooperation.js'))) as {
      fetchRequests: FetchRequests;
      answersOf: typeof answersOf;
    });
    ({ label } = (await import(url('i18n.js'))) as { label: typeof label });
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
    // The answers as the API lists them, never made up from the latest (this API lists them all, or none).
    expect(answersOf({ status: 'answered', response: second, responses: [second] })).to.deep.equal([second]);
    expect(answersOf({ status: 'answered', response: second })).to.deep.equal([]);
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
