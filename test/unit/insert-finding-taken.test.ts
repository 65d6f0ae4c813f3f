// Unit tier: inserting documents that may be stored already (a redelivered chunk, a re-published report). A duplicate
// key is no error, but a write-concern error that comes with it is: the new documents of the same command are then
// not known to be durable, and the caller must not commit offsets for them. The errors are the mongodb driver's own.
import { expect } from 'chai';
import { createRequire } from 'node:module';
import { MongoBulkWriteError, MongoServerError, type Collection } from 'mongodb';
import { insertFindingTaken, insertNew } from '@hub/store/lookup';

// BulkWriteResult is not exported at run time; the driver builds its errors with it (lib/bulk/common.js).
const { BulkWriteResult } = createRequire(import.meta.url)('mongodb/lib/bulk/common.js') as {
  BulkWriteResult: new (bulkResult: unknown, isOrdered: boolean) => unknown;
};

interface Doc {
  _id: string;
}

/** What the driver's unordered insert throws when the documents at `duplicates` were taken (handleWriteError). */
function bulkError(
  duplicates: number[],
  inserted: number,
  writeConcernError?: { code: number; errmsg: string },
) {
  const writeErrors = duplicates.map((index) => ({
    index,
    code: 11000,
    errmsg: 'E11000 duplicate key error',
    op: {},
  }));
  const result = new BulkWriteResult(
    {
      ok: 1,
      writeErrors,
      writeConcernErrors: writeConcernError ? [writeConcernError] : [],
      insertedIds: [],
      nInserted: inserted,
      nUpserted: 0,
      nMatched: 0,
      nModified: 0,
      nRemoved: 0,
      upserted: [],
    },
    false,
  );
  return new MongoBulkWriteError(
    { message: 'E11000 duplicate key error', code: 11000, writeErrors } as never,
    result as never,
  );
}

/** A collection whose every insert fails with `err`. */
const failingWith = (err: unknown) =>
  ({
    insertMany: async () => {
      throw err;
    },
  }) as unknown as Collection<Doc>;

const stepdown = { code: 11602, errmsg: 'operation was interrupted because of a primary stepdown' };

describe('store: inserting documents some of which are stored already', () => {
  it('rejects with the driver error when a duplicate comes with a write-concern error (primary stepdown)', async () => {
    const err = bulkError([0], 1, stepdown);
    const docs = [{ _id: 'redelivered-claim' }, { _id: 'new-history-entry' }];
    let thrown: unknown;
    try {
      await insertFindingTaken(failingWith(err), docs);
    } catch (e) {
      thrown = e;
    }
    expect(thrown, 'new-history-entry is not durable: the insert must fail').to.equal(err);
    thrown = undefined;
    try {
      await insertNew(failingWith(err), docs);
    } catch (e) {
      thrown = e;
    }
    expect(thrown, 'insertNew must fail the same way').to.equal(err);
  });

  it('rejects when a server error for a duplicate carries a write-concern error in its response', async () => {
    const err = new MongoServerError({
      code: 11000,
      errmsg: 'E11000 duplicate key error',
      writeConcernError: { code: 64, errmsg: 'waiting for replication timed out' },
    });
    let thrown: unknown;
    try {
      await insertFindingTaken(failingWith(err), [{ _id: 'a' }, { _id: 'b' }]);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).to.equal(err);
  });

  it('returns the _ids taken already when the only errors are duplicates', async () => {
    const docs = [{ _id: 'old-1' }, { _id: 'new' }, { _id: 'old-2' }];
    const taken = await insertFindingTaken(failingWith(bulkError([0, 2], 1)), docs);
    expect([...taken].sort()).to.deep.equal(['old-1', 'old-2']);
  });
});
