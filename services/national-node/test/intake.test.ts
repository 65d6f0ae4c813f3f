// The node's HTTP intake without a stack (intake-app.ts): ids, bodies and batches.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { HubError } from '@hub/errors';
import { unreadableRequest } from '../src/app';
import type { ReportsIndex } from '../src/reports-index';
import {
  minimal,
  startIntakeApp,
  type Answer,
  type FieldError,
  type IntakeApp,
  type Submission,
} from './intake-app';

describe('national node intake: ids, bodies and batches', () => {
  let app: IntakeApp;
  let url: string;
  let reports: ReportsIndex;
  /** What the submitter does with a report: undefined to take it, or the error to throw. */
  let refuse: (key: string) => Error | undefined;
  let submitted: Submission[];

  beforeEach(async () => {
    app = await startIntakeApp();
    ({ url, reports, submitted } = app);
    refuse = () => undefined;
    app.onSubmit = (s) => {
      const err = refuse(s.key);
      if (err) throw err;
    };
  });
  afterEach(() => app.close());

  const post = (
    path: string,
    body: unknown,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ): Promise<Answer> => app.post(path, body, headers);

  it('keeps a report id given in upper case as the same lower-case report, for versions and withdrawal', async () => {
    const id = randomUUID();
    const upper = await post('/v1/seizures', { ...minimal, reportId: id.toUpperCase() });
    expect(upper.status, JSON.stringify(upper.body)).to.equal(202);
    expect(upper.body).to.include({ reportId: id, version: 1 });
    const lower = await post('/v1/seizures', { ...minimal, reportId: id, notes: 'corrected' });
    expect(lower.body).to.include({ reportId: id, version: 2 });
    // The first body again, its id in upper case: the next version of the same report.
    const again = await post('/v1/seizures', { ...minimal, reportId: id.toUpperCase() });
    expect(again.body).to.include({ reportId: id, version: 3 });
    // Re-sent (an answer lost), it is known as the same body of the same report: nothing new is queued.
    const resent = await post('/v1/seizures', { ...minimal, reportId: id.toUpperCase() });
    expect(resent.body).to.include({ reportId: id, version: 3, duplicate: true });
    const renewed = await post(`/v1/seizures/${id.toUpperCase()}/renew`, { reason: 'case open' });
    expect(renewed.status, JSON.stringify(renewed.body)).to.equal(202);
    expect(renewed.body.subjectId).to.equal(id);
    const retracted = await post(`/v1/seizures/${id.toUpperCase()}/retract`, { reason: 'sent twice' });
    expect(retracted.status, JSON.stringify(retracted.body)).to.equal(202);
    expect(retracted.body).to.include({ reportId: id, version: 4 });
    expect(new Set(submitted.map((s) => s.key))).to.deep.equal(new Set([id]));
    // A batch giving the same report in both cases: two versions, one after the other.
    const batch = await post('/v1/seizures/batch', [
      { ...minimal, reportId: id.toUpperCase(), notes: 'a' },
      { ...minimal, reportId: id, notes: 'b' },
    ]);
    expect((batch.body.results as { version: number }[]).map((r) => r.version)).to.deep.equal([5, 6]);
    // Its receipt asked for by the id in upper case: the same report's.
    const receipt = await fetch(`${url}/v1/receipts/${id.toUpperCase()}`);
    expect(receipt.status).to.equal(200);
    expect(await receipt.json()).to.include({ reportId: id, status: 'pending', sentVersion: 6 });
  });

  it('names a report sent before in capitals (as ids were kept until 2026-12-07) as it was sent, in any case', async () => {
    const held = randomUUID().toUpperCase();
    reports.record(held, 1, undefined, randomUUID());
    const again = await post('/v1/seizures', { ...minimal, reportId: held, notes: 'corrected' });
    expect(again.body).to.include({ reportId: held, version: 2 });
    const lower = await post('/v1/seizures', { ...minimal, reportId: held.toLowerCase(), notes: 'again' });
    expect(lower.body).to.include({ reportId: held, version: 3 });
    const retracted = await post(`/v1/seizures/${held.toLowerCase()}/retract`, { reason: 'sent twice' });
    expect(retracted.body).to.include({ reportId: held, version: 4 });
    const renewed = await post(`/v1/seizures/${held.toLowerCase()}/renew`, { reason: 'case open' });
    expect(renewed.body.subjectId).to.equal(held);
    expect(new Set(submitted.map((s) => s.key))).to.deep.equal(new Set([held]));
    const receipt = await fetch(`${url}/v1/receipts/${held.toLowerCase()}`);
    expect(await receipt.json()).to.include({ reportId: held, sentVersion: 4 });
    // Both spellings held (two reports, before 2026-12-07): the same body re-sent under one is known as that one's.
    const twin = held.toLowerCase();
    reports.record(twin, 1, undefined, randomUUID());
    const first = await post('/v1/seizures', { ...minimal, reportId: held, notes: 'twins' });
    expect(first.body).to.include({ reportId: held, version: 5 });
    const resent = await post('/v1/seizures', { ...minimal, reportId: held, notes: 'twins' });
    expect(resent.body).to.include({ reportId: held, version: 5, duplicate: true });
    const ofTwin = await post('/v1/seizures', { ...minimal, reportId: twin, notes: 'twins' });
    expect(ofTwin.body).to.include({ reportId: twin, version: 2 });
  });

  /** A report with an unknown field nested `depth` levels deep: JSON.parse takes it, JSON.stringify overflows. */
  const deep = (depth: number) =>
    `{"extra":${'['.repeat(depth)}${']'.repeat(depth)},${JSON.stringify(minimal).slice(1)}`;

  it('refuses a body nested too deeply to digest as a field error, alone and in a batch', async () => {
    const one = await post('/v1/seizures', deep(20_000));
    expect(one.status, JSON.stringify(one.body)).to.equal(400);
    expect(one.body.error?.code).to.equal('VALIDATION_FAILED');
    expect(one.body.errors).to.have.length(1);
    expect(one.body.errors![0]).to.include({ field: '(body)' });
    expect(one.body.errors![0]!.message).to.match(/nested too deeply/);
    const batch = await post('/v1/seizures/batch', `[${JSON.stringify(minimal)},${deep(20_000)}]`);
    expect(batch.status, JSON.stringify(batch.body).slice(0, 300)).to.equal(207);
    const results = batch.body.results as { status: string; errors?: FieldError[] }[];
    expect(results[0]!.status).to.equal('queued');
    expect(results[1]!.status).to.equal('invalid');
    expect(results[1]!.errors![0]!.field).to.equal('(body)');
    expect(submitted).to.have.length(1);
  });

  it('answers for each report of a batch that could not be accepted, keeping those queued', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    refuse = (key) => (key === ids[1] ? new Error('disk full') : undefined);
    const batch = await post(
      '/v1/seizures/batch',
      ids.map((reportId) => ({ ...minimal, reportId })),
    );
    expect(batch.status, JSON.stringify(batch.body)).to.equal(207);
    expect(batch.body).to.include({ accepted: 2, rejected: 1 });
    const results = batch.body.results as { status: string; error?: { code: string } }[];
    expect(results.map((r) => r.status)).to.deep.equal(['queued', 'failed', 'queued']);
    expect(results[1]!.error?.code).to.equal('INTERNAL');
    // A later version of a report whose earlier one failed is not sent: out of order, the earlier one sent again
    // would become the latest.
    const twice = randomUUID();
    let refusedOnce = false;
    refuse = (key) =>
      key === twice && !refusedOnce ? ((refusedOnce = true), new Error('disk full')) : undefined;
    const sentBefore = submitted.length;
    const versions = await post('/v1/seizures/batch', [
      { ...minimal, reportId: twice, notes: 'first' },
      { ...minimal, reportId: twice, notes: 'second' },
      minimal,
    ]);
    expect(versions.status, JSON.stringify(versions.body)).to.equal(207);
    const vr = versions.body.results as { status: string; error?: { code: string; message: string } }[];
    expect(vr.map((r) => r.status)).to.deep.equal(['failed', 'failed', 'queued']);
    expect(vr[1]!.error?.message).to.match(/^not sent: an earlier version of this report in the batch/);
    expect(submitted.slice(sentBefore).map((x) => x.key)).to.not.include(twice);
    // Likewise after an invalid earlier version: mended and sent again, it would become the latest.
    const mended = randomUUID();
    const afterInvalid = await post('/v1/seizures/batch', [
      { ...minimal, reportId: mended, country: 'Atlantis' },
      { ...minimal, reportId: mended, notes: 'second' },
    ]);
    const ar = afterInvalid.body.results as { status: string; error?: { code: string; message: string } }[];
    expect(ar.map((r) => r.status)).to.deep.equal(['invalid', 'failed']);
    expect(ar[1]!.error?.message).to.match(
      /^not sent: an earlier version .* \(it is invalid: see its errors\)/,
    );
    expect(submitted.map((x) => x.key)).to.not.include(mended);
    // Nothing taken at all (the node may sign nothing now): the batch is refused whole, with the reason.
    refuse = () => new HubError('CERTIFICATE_INVALID', 'the node certificate expired', { retriable: true });
    const none = await post('/v1/seizures/batch', [minimal, minimal]);
    expect(none.status).to.equal(503);
    expect(none.body.error?.code).to.equal('CERTIFICATE_INVALID');
  });

  it('computes suggestions for a few unknown terms of a batch, and refuses every one', async () => {
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    const drug = (minimal.drugs as Record<string, unknown>[])[0]!;
    const items = Array.from({ length: 100 }, (_, i) => ({
      ...minimal,
      drugs: [{ ...drug, substance: `heroin${letters[i % 26]}${letters[Math.floor(i / 26)]}x` }],
    }));
    const batch = await post('/v1/seizures/batch', items);
    expect(batch.status).to.equal(207);
    const results = batch.body.results as { status: string; errors: FieldError[] }[];
    expect(results.map((r) => r.status)).to.deep.equal(items.map(() => 'invalid'));
    results.forEach((r, i) =>
      expect(r.errors.map((e) => [e.field, e.value])).to.deep.equal([
        ['drugs[0].substance', (items[i]!.drugs[0] as { substance: string }).substance],
      ]),
    );
    expect(results.filter((r) => r.errors[0]!.suggestions)).to.have.length(20);
  });

  it('refuses a body it cannot read (charset, content-encoding) as the sender’s to mend, not as an internal error', async () => {
    const charset = await post('/v1/seizures', minimal, {
      'content-type': 'application/json; charset=koi8-r',
    });
    expect(charset.status, JSON.stringify(charset.body)).to.equal(400);
    expect(charset.body.errors![0]).to.include({ field: 'content-type', value: 'koi8-r' });
    expect(charset.body.errors![0]!.message).to.match(/charset koi8-r is not supported.*UTF-8/);
    const csv = await post('/v1/seizures/csv', 'date,drug\n', { 'content-type': 'text/csv; charset=x-nope' });
    expect(csv.status, JSON.stringify(csv.body)).to.equal(400);
    expect(csv.body.errors![0]).to.include({ field: 'content-type' });
    const compress = await post('/v1/seizures', minimal, {
      'content-type': 'application/json',
      'content-encoding': 'compress',
    });
    expect(compress.status, JSON.stringify(compress.body)).to.equal(400);
    expect(compress.body.errors![0]).to.include({ field: 'content-encoding', value: 'compress' });
    const badGzip = await post('/v1/seizures', 'not gzip at all', {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(badGzip.status, JSON.stringify(badGzip.body)).to.equal(400);
    expect(badGzip.body.errors![0]).to.include({ field: '(body)' });
    expect(badGzip.body.errors![0]!.message).to.match(/does not decompress as its content-encoding says/);
    const gzipped = await post('/v1/seizures', gzipSync(JSON.stringify(minimal)), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(gzipped.status, JSON.stringify(gzipped.body)).to.equal(202);
  });

  it('leaves errors that are not the sender’s to the internal-error answer', () => {
    expect(unreadableRequest(new Error('boom'))).to.equal(undefined);
    expect(unreadableRequest(Object.assign(new Error('upstream'), { status: 502 }))).to.equal(undefined);
    expect(unreadableRequest(new HubError('NOT_FOUND', 'none'))).to.equal(undefined);
  });
});
