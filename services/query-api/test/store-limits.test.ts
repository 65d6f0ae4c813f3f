import { expect } from 'chai';
import type { FindCursor } from 'mongodb';
import type { Store } from '@hub/store';
import { ReadTimeLimitError, storeErrorToHubError, withinTime, withReadTimeout } from '../src/store-limits';

/** A cursor with two documents at hand that then waits for a batch that never comes (a store still scanning). */
function cursorThatStalls() {
  const state = { buffered: [{ n: 1 }, { n: 2 }], closed: 0, options: undefined as unknown };
  const cursor = {
    bufferedCount: () => state.buffered.length,
    next: () => (state.buffered.length ? Promise.resolve(state.buffered.shift()!) : new Promise(() => {})),
    close: async () => void state.closed++,
    toArray: async () => {
      throw new Error('the unbounded toArray was called');
    },
  };
  return { state, cursor: cursor as unknown as FindCursor<{ n: number }> };
}

describe('query API: reads held to HUB_QUERY_TIMEOUT_S while the store streams', function () {
  it('stops a cursor at its time limit while it waits for the store, and closes it', async () => {
    const { state, cursor } = cursorThatStalls();
    const seen: number[] = [];
    const started = Date.now();
    let thrown: unknown;
    try {
      for await (const doc of withinTime(cursor, 50)) seen.push(doc.n);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(ReadTimeLimitError);
    expect(Date.now() - started).to.be.at.least(45);
    expect(seen).to.deep.equal([1, 2]);
    expect(state.closed).to.equal(1);
    // Answered as the store's own time-out: 504 QUERY_TIMEOUT, saying what to do.
    const answer = storeErrorToHubError(thrown, 50) as { code: string; message: string };
    expect(answer.code).to.equal('QUERY_TIMEOUT');
    expect(answer.message).to.match(/within 0\.05 s \(HUB_QUERY_TIMEOUT_S\)/);
  });

  it('reads a cursor that ends in time whole, without closing it again', async () => {
    const docs = [{ n: 3 }, { n: 4 }];
    let closed = 0;
    const cursor = {
      bufferedCount: () => 0,
      next: async () => docs.shift() ?? null,
      close: async () => void closed++,
    } as unknown as FindCursor<{ n: number }>;
    const whole: number[] = [];
    for await (const doc of withinTime(cursor, 1000)) whole.push(doc.n);
    expect(whole).to.deep.equal([3, 4]);
    expect(closed).to.equal(0);
  });

  it("bounds every find of a limited store's collections, read whole or in turn, and asks the store for the same", async () => {
    const made: ReturnType<typeof cursorThatStalls>[] = [];
    const store = {
      collection: () => ({
        find: (_filter: unknown, options: unknown) => {
          const stalling = cursorThatStalls();
          stalling.state.options = options;
          made.push(stalling);
          return stalling.cursor;
        },
      }),
    } as unknown as Store;
    const reports = withReadTimeout(store, 30).collection('reports');
    let thrown: unknown;
    await reports
      .find({}, { projection: { a: 1 } })
      .toArray()
      .catch((err: unknown) => (thrown = err));
    expect(thrown).to.be.instanceOf(ReadTimeLimitError);
    thrown = undefined;
    try {
      for await (const doc of reports.find({})) void doc;
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(ReadTimeLimitError);
    expect(made.map((m) => m.state.options)).to.deep.equal([
      { maxTimeMS: 30, projection: { a: 1 } },
      { maxTimeMS: 30 },
    ]);
    expect(made.map((m) => m.state.closed)).to.deep.equal([1, 1]);
    // A read that sets its own limit keeps it; 0, none: read as the store answers (the data-quality figures).
    const whole = reports.find({}, { maxTimeMS: 0 });
    expect(made[2]!.state.options).to.deep.equal({ maxTimeMS: 0 });
    let unbounded: unknown;
    await whole.toArray().catch((err: unknown) => (unbounded = err));
    expect((unbounded as Error).message).to.equal('the unbounded toArray was called');
  });
});
