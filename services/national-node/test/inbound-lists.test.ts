// The node's lists of what the coordinator sent it (alerts, retention notices, erasure orders), read newest first a
// page at a time over a real inbox file: items received between two pages do not shift the next one.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { InboundStore } from '../src/inbox-store';
import { alertRoutes } from '../src/routes-alerts';
import { retentionRoutes } from '../src/routes-retention';
import type { Submitter } from '../src/submit';
import { serveRoutes, type Served } from './serve';

interface Page<T> {
  total?: number;
  counts?: Record<string, number>;
  nextCursor?: string;
  alerts?: T[];
  notices?: T[];
  erasures?: T[];
}

describe("a node's lists of what the coordinator sent it, in pages", () => {
  let served: Served;
  let inbound: InboundStore;
  let url: string;
  beforeEach(async () => {
    // Renewal (the POST routes) is not what these tests read: its submitter is never called.
    const submitter = {} as Submitter;
    served = await serveRoutes(({ reports, inbound }) => [
      alertRoutes({ inbound }),
      retentionRoutes({ country: 'KZ', submitter, reports, inbound, clock: Date.now }),
    ]);
    ({ url, inbound } = served);
  });
  afterEach(() => served.close());

  let n = 0;
  const receive = (messageType: string, value: Record<string, unknown>) =>
    inbound.add({ messageId: `m-${++n}`, messageType, receivedAt: Date.now(), value });
  const get = async <T>(
    path: string,
  ): Promise<{ status: number; body: Page<T> & { errors?: unknown[] } }> => {
    const res = await fetch(`${url}${path}`);
    return { status: res.status, body: (await res.json()) as Page<T> & { errors?: unknown[] } };
  };

  it('pages the alerts newest first, and an alert received between two pages does not shift the next', async () => {
    for (let i = 1; i <= 5; i++) receive('CrossBorderAlert', { alertId: `a${i}` });
    receive('Receipt', { subjectId: 'x', subjectVersion: 1, status: 'accepted', inReplyTo: 'y' });
    const first = await get<{ alertId: string }>('/v1/alerts?limit=2');
    expect(first.status).to.equal(200);
    expect(first.body.total).to.equal(5);
    expect(first.body.alerts!.map((a) => a.alertId)).to.deep.equal(['a5', 'a4']);
    receive('CrossBorderAlert', { alertId: 'a6' });
    const second = await get<{ alertId: string }>(`/v1/alerts?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.alerts!.map((a) => a.alertId)).to.deep.equal(['a3', 'a2']);
    const last = await get<{ alertId: string }>(`/v1/alerts?limit=2&cursor=${second.body.nextCursor}`);
    expect(last.body.alerts!.map((a) => a.alertId)).to.deep.equal(['a1']);
    expect(last.body).not.to.have.property('nextCursor');
    const all = await get<{ alertId: string }>('/v1/alerts');
    expect(all.body.alerts!.map((a) => a.alertId)).to.deep.equal(['a6', 'a5', 'a4', 'a3', 'a2', 'a1']);
    expect(all.body).not.to.have.property('nextCursor');
  });

  it("keeps each record's latest notice with current=true: those awaiting renewal, and the counts by kind", async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const notice = (subjectId: string, kind: string) =>
      receive('RetentionNotice', {
        noticeId: `${subjectId}-${kind}`,
        kind,
        subjectId,
        reviewAt: 1,
        issuedAt: 1,
      });
    notice(a, 'review_due');
    notice(b, 'review_due');
    notice(c, 'review_due');
    notice(a, 'renewed');
    notice(b, 'erased');
    const ids = (p: Page<{ subjectId: string; kind: string }>) =>
      p.notices!.map((x) => `${x.subjectId}:${x.kind}`);

    const awaiting = await get<{ subjectId: string; kind: string }>(
      '/v1/retention?kind=review_due&current=true',
    );
    expect(ids(awaiting.body)).to.deep.equal([`${c}:review_due`]);
    expect(awaiting.body.counts).to.deep.equal({ review_due: 1, renewed: 1, erased: 1 });

    const everything = await get<{ subjectId: string; kind: string }>('/v1/retention');
    expect(ids(everything.body)).to.deep.equal([
      `${b}:erased`,
      `${a}:renewed`,
      `${c}:review_due`,
      `${b}:review_due`,
      `${a}:review_due`,
    ]);
    const ofA = await get<{ subjectId: string; kind: string }>(`/v1/retention?subjectId=${a}&limit=1`);
    expect(ids(ofA.body)).to.deep.equal([`${a}:renewed`]);
    const rest = await get<{ subjectId: string; kind: string }>(
      `/v1/retention?subjectId=${a}&limit=1&cursor=${ofA.body.nextCursor}`,
    );
    expect(ids(rest.body)).to.deep.equal([`${a}:review_due`]);
    expect(rest.body).not.to.have.property('nextCursor');
  });

  /** The coordinator's order to erase a record of `originCountry`'s. */
  const erasure = (subjectId: string, originCountry = 'KZ') =>
    receive('ErasureNotice', {
      erasureId: `e-${subjectId}`,
      subjectType: 'SeizureReport',
      subjectId,
      versionsUpTo: 1,
      originCountry,
      reasonCode: 'retention_expired',
      orderedAt: 1,
    });

  it('pages the erasure orders newest first, one record at a time when asked', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const subjectId of ids) erasure(subjectId);
    const page = await get<{ subjectId: string }>('/v1/retention/erasures?limit=2');
    expect(page.body.total).to.equal(3);
    expect(page.body.erasures!.map((e) => e.subjectId)).to.deep.equal([ids[2], ids[1]]);
    const next = await get<{ subjectId: string }>(
      `/v1/retention/erasures?limit=2&cursor=${page.body.nextCursor}`,
    );
    expect(next.body.erasures!.map((e) => e.subjectId)).to.deep.equal([ids[0]]);
    const one = await get<{ subjectId: string }>(`/v1/retention/erasures?subjectId=${ids[1]}`);
    expect(one.body.erasures!.map((e) => e.subjectId)).to.deep.equal([ids[1]]);
  });

  it("lists the orders for this country's records only, not those for another's its alerts named", async () => {
    const [own1, uz, own2, kg] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    erasure(own1);
    erasure(uz, 'UZ');
    erasure(own2);
    erasure(kg, 'KG');
    const all = await get<{ subjectId: string }>('/v1/retention/erasures');
    expect(all.body.total).to.equal(2);
    expect(all.body.erasures!.map((e) => e.subjectId)).to.deep.equal([own2, own1]);
    const first = await get<{ subjectId: string }>('/v1/retention/erasures?limit=1');
    expect(first.body.erasures!.map((e) => e.subjectId)).to.deep.equal([own2]);
    // Another arriving between two pages, of either, does not shift the next.
    erasure(randomUUID(), 'UZ');
    const second = await get<{ subjectId: string }>(
      `/v1/retention/erasures?limit=1&cursor=${first.body.nextCursor}`,
    );
    expect(second.body.erasures!.map((e) => e.subjectId)).to.deep.equal([own1]);
    expect(second.body).not.to.have.property('nextCursor');
    const asked = await get<{ subjectId: string }>(`/v1/retention/erasures?subjectId=${uz}`);
    expect(asked.body.erasures).to.deep.equal([]);
  });

  it('drops from the alerts and their total those naming a record erased since, of this country or another', async () => {
    const [kz, uz, kg] = [randomUUID(), randomUUID(), randomUUID()];
    const alert = (alertId: string, ...reportIds: string[]) =>
      receive('CrossBorderAlert', {
        alertId,
        matched: reportIds.map((reportId) => ({ reportId, version: 1 })),
      });
    alert('a1', kz, uz);
    alert('a2', kz, kg);
    alert('a3', uz, kg);
    alert('a4', kz, kg);
    alert('a5', kz, uz);
    const first = await get<{ alertId: string }>('/v1/alerts?limit=2');
    expect(first.body.alerts!.map((a) => a.alertId)).to.deep.equal(['a5', 'a4']);
    // UZ's record uz is erased: every alert naming it goes.
    erasure(uz, 'UZ');
    const after = await get<{ alertId: string }>('/v1/alerts');
    expect(after.body.total).to.equal(2);
    expect(after.body.alerts!.map((a) => a.alertId)).to.deep.equal(['a4', 'a2']);
    // The next page of before, where it was.
    const second = await get<{ alertId: string }>(`/v1/alerts?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.alerts!.map((a) => a.alertId)).to.deep.equal(['a2']);
    expect(second.body).not.to.have.property('nextCursor');
    erasure(kz);
    const none = await get<{ alertId: string }>('/v1/alerts');
    expect(none.body).to.deep.equal({ total: 0, alerts: [] });
  });

  it('refuses parameters it cannot use, naming each', async () => {
    const refused = async (path: string) => {
      const r = await get(path);
      expect(r.status, path).to.equal(400);
      return (r.body.errors as { field: string }[]).map((e) => e.field);
    };
    expect(await refused('/v1/alerts?limit=0&cursor=nonsense&rule=x')).to.have.members([
      'limit',
      'cursor',
      'rule',
    ]);
    expect(await refused('/v1/alerts?limit=501')).to.deep.equal(['limit']);
    expect(await refused('/v1/retention?kind=expired&current=yes&subjectId=1')).to.have.members([
      'kind',
      'current',
      'subjectId',
    ]);
    // A cursor beyond the list: not one this node gave.
    expect(
      await refused(`/v1/retention/erasures?cursor=${Buffer.from('p9').toString('base64url')}`),
    ).to.deep.equal(['cursor']);
  });
});
