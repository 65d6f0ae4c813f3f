// An erasure cut short after its notices went out (a store error, a crash): the record is announced erased
// everywhere, but its retention entry and some of its content are still stored. A renewal read before the review runs
// again is refused (it would keep the record a whole period after every subscriber erased it), and the next review
// finishes the erasure, whatever the record's date, soon after a start. On the store in memory.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { decodeEnvelope } from '@hub/envelope';
import { topicNames } from '@hub/kafka';
import { loadSchemaRegistry } from '@hub/schemas';
import { COLLECTIONS, type CollectionName, type Store } from '@hub/store';
import { acceptedMessage } from './accepted';
import { memoryStore, type MemoryStore } from './memory-store';
import { retentionDeps, type SentMessage } from './retention-deps';
import type { Accepted, Rejected } from '../src/outcome';
import { checkRenewals } from '../src/renewal-checks';
import {
  applyRenewals,
  ErasedSet,
  eraseRecords,
  startRetention,
  type RetentionDeps,
  type RetentionDoc,
} from '../src/retention';

const DAY = 86400000;
const NOW = Date.UTC(2029, 11, 7);
const names = topicNames('');
const registry = loadSchemaRegistry();
const GREEN = { tlp: 'GREEN', releasableCountries: [], releasableTo: [] };

type Filter = Record<string, unknown>;
/** A retention filter as MongoDB reads it, as far as the review asks (`$or`, `$exists`, `$lte`, `$in`, null). */
const holds = (doc: Filter, filter: Filter): boolean =>
  Object.entries(filter).every(([field, want]) => {
    if (field === '$or') return (want as Filter[]).some((f) => holds(doc, f));
    const value = doc[field];
    if (want === null) return value === null || value === undefined;
    if (want instanceof Date || typeof want !== 'object') return value === want;
    const op = want as { $exists?: boolean; $lte?: Date; $in?: unknown[] };
    if (op.$exists !== undefined) return (value !== undefined) === op.$exists;
    if (op.$lte) return value instanceof Date && value.getTime() <= op.$lte.getTime();
    if (op.$in) return op.$in.includes(value);
    return false;
  });

/**
 * The store in memory as the review uses it: the retention collection found by the review's filter (sorted and
 * limited) and its warned entries updated, a lock's name, and deletes from `failing` (if set) failing as a store
 * timing out does.
 */
const reviewStore = (mem: MemoryStore, fail: { failing?: CollectionName }): Store =>
  ({
    ...mem.store,
    db: { databaseName: `memory-${randomUUID()}` },
    collection: (name: CollectionName) => {
      const coll = mem.store.collection(name);
      return new Proxy(coll, {
        get: (target, prop, receiver) => {
          if (prop === 'deleteMany' && name === fail.failing)
            return () => Promise.reject(new Error('store: operation timed out'));
          if (prop === 'updateOne') return async () => undefined; // the lock's extension
          if (prop === 'find' && name === COLLECTIONS.retention)
            return (filter: Filter) => {
              let limit = Infinity;
              const found = () =>
                [...mem.docs(name).values()]
                  .filter((d) => holds(d, filter))
                  .map((d) => structuredClone(d))
                  .sort((a, b) => +(a.reviewAt as Date) - +(b.reviewAt as Date))
                  .slice(0, limit);
              const cursor = {
                sort: () => cursor,
                limit: (n: number) => ((limit = n), cursor),
                toArray: async () => found(),
              };
              return cursor;
            };
          return Reflect.get(target, prop, receiver) as unknown;
        },
      });
    },
  }) as unknown as Store;

describe('coordinator: an erasure cut short after its notices went out', function () {
  this.timeout(30000);
  let mem: MemoryStore;
  let sent: SentMessage[];
  let erased: ErasedSet;
  let fail: { failing?: CollectionName };
  const deps = (clock = NOW): RetentionDeps =>
    retentionDeps({
      store: reviewStore(mem, fail),
      policy: { periods: { seizure: 1095 * DAY }, warnMs: 90 * DAY, checkMs: 3600000 },
      erased,
      clock,
      onSend: (s) => sent.push(s),
    });

  /** KZ's report `id` stored with its history, archived envelope and statistics, its review date `reviewAt`. */
  const seed = (id: string, reviewAt: number): RetentionDoc => {
    mem.docs(COLLECTIONS.reports).set(id, {
      _id: id,
      originCountry: 'KZ',
      version: 1,
      status: 'active',
      handling: GREEN,
    });
    mem.docs(COLLECTIONS.reportVersions).set(`${id}:1`, {
      _id: `${id}:1`,
      reportId: id,
      version: 1,
      originCountry: 'KZ',
      handling: GREEN,
    });
    const messageId = randomUUID();
    mem
      .docs(COLLECTIONS.envelopes)
      .set(messageId, { _id: messageId, subjectId: id, bytes: 'plate 777ABC02' });
    mem.docs(COLLECTIONS.contributions).set(id, {
      _id: id,
      amounts: [{ bucket: 's|KZ|heroin|2026-12|KZ|GREEN|', kg: 12.5, n: 1, at: new Date(NOW - 1000 * DAY) }],
    });
    const doc: RetentionDoc = {
      _id: id,
      subjectType: 'SeizureReport',
      category: 'seizure',
      originCountry: 'KZ',
      reviewAt: new Date(reviewAt),
      warnedAt: new Date(reviewAt - 90 * DAY),
      renewals: [],
    };
    mem.docs(COLLECTIONS.retention).set(id, structuredClone(doc) as never);
    return doc;
  };
  const renewal = (id: string): Accepted =>
    acceptedMessage(
      'KZ',
      'RetentionRenewal',
      {
        renewalId: randomUUID(),
        subjectType: 'SeizureReport',
        subjectId: id,
        reason: 'the case is still in court',
        requestedAt: NOW,
      },
      id,
      NOW,
    );
  /** The collections still naming `id` (the erasure log, which keeps what was erased and why, aside). */
  const naming = (id: string) =>
    Object.values(COLLECTIONS)
      .filter((name) => name !== COLLECTIONS.erasures)
      .filter((name) =>
        [...mem.docs(name).entries()].some(([key, d]) => JSON.stringify([key, d]).includes(id)),
      );
  /** Erase `doc` with the envelopes' delete failing: the run stops there, its notices out. */
  const cutShort = async (doc: RetentionDoc) => {
    fail.failing = COLLECTIONS.envelopes;
    await eraseRecords(deps(), [doc], 'retention_expired').then(
      () => expect.fail('the erasure was to stop at the envelopes'),
      (err: Error) => expect(err.message).to.equal('store: operation timed out'),
    );
    fail.failing = undefined;
  };

  beforeEach(() => {
    mem = memoryStore();
    sent = [];
    erased = new ErasedSet();
    fail = {};
  });

  it('refuses a renewal read before the review runs again, and the next run leaves nothing of the record', async () => {
    const id = randomUUID();
    const doc = seed(id, NOW - 1000);
    await cutShort(doc);
    expect(sent.filter((s) => s.topic === names.erasures).map((s) => s.message.key)).to.deep.equal([id]);
    expect(naming(id), 'what the stop left').to.include.members([
      COLLECTIONS.envelopes,
      COLLECTIONS.contributions,
      COLLECTIONS.retention,
    ]);

    // KZ's renewal, read before the review runs again: refused, naming the id and why.
    const asked = renewal(id);
    const [checked] = await checkRenewals(reviewStore(mem, fail), [asked]);
    const message = `the hub keeps no record ${id} to renew (it was erased: its erasure notice went out)`;
    expect(checked).to.deep.include({
      kind: 'rejected',
      reason: 'invalid-content',
      detail: `subjectId: ${message}`,
    });
    expect((checked as Rejected).fields).to.deep.equal([{ field: 'subjectId', message, value: id }]);
    // Nor would the store apply it, were it let through: the review date stays where it was, nothing is announced.
    expect(await applyRenewals(deps(), [asked])).to.deep.equal(new Map());
    expect((mem.docs(COLLECTIONS.retention).get(id) as unknown as RetentionDoc).reviewAt).to.deep.equal(
      doc.reviewAt,
    );

    // The next run, from the entry as stored, finishes the erasure: nothing names the record any more.
    const [entry] = [...mem.docs(COLLECTIONS.retention).values()] as unknown as RetentionDoc[];
    const [logged] = await eraseRecords(deps(), [entry!], 'retention_expired');
    expect(naming(id)).to.deep.equal([]);
    expect(logged).to.include({ subjectId: id, versionsUpTo: 1, reasonCode: 'retention_expired' });
    // The same notice again (its id made from the record and its last version): a node keeps one of each.
    const noticeIds = sent
      .filter((s) => s.topic === names.erasures)
      .map((s) => {
        const decoded = decodeEnvelope(s.message.value as Buffer);
        return decoded.ok ? decoded.envelope.messageId : decoded.reason;
      });
    expect(noticeIds).to.deep.equal([logged!.erasureId, logged!.erasureId]);
  });

  it('refuses a renewal of a record this instance knows announced erased, though its entry is not marked', async () => {
    // An erasure an older version began and a stop cut short: its notice read back from hub.erasures.
    const id = randomUUID();
    seed(id, NOW - 1000);
    erased.add(id, 1);
    const [checked] = await checkRenewals(reviewStore(mem, fail), [renewal(id)], erased);
    expect(checked).to.deep.include({
      kind: 'rejected',
      reason: 'invalid-content',
      detail: `subjectId: the hub keeps no record ${id} to renew (it was erased: its erasure notice went out)`,
    });
    // Without the erasure known, the same renewal is taken.
    expect((await checkRenewals(reviewStore(mem, fail), [renewal(id)]))[0]).to.include({ kind: 'accepted' });
  });

  it('finishes an erasure begun, whatever its date, at a review run soon after start', async () => {
    const id = randomUUID();
    // Begun by an instance whose clock was ahead: by this one's, the record is not due for another day.
    const doc = seed(id, NOW + DAY);
    await cutShort(doc);
    const ahead = randomUUID();
    seed(ahead, NOW + DAY);
    const review = startRetention({
      ...deps(NOW),
      policy: { periods: { seizure: 1095 * DAY }, warnMs: 0, checkMs: 3600000, firstCheckMs: 20 },
    });
    try {
      const deadline = Date.now() + 5000;
      while (mem.docs(COLLECTIONS.retention).has(id) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
    } finally {
      await review.stop();
    }
    expect(naming(id), 'the erasure begun, finished').to.deep.equal([]);
    expect(mem.docs(COLLECTIONS.retention).has(ahead), 'a record not due, kept').to.equal(true);
    // Its originator is told it was erased (besides the erasure notice itself, sent again).
    const told = sent
      .filter((s) => s.topic === names.nodeIn('KZ'))
      .flatMap((s) => {
        const decoded = decodeEnvelope(s.message.value as Buffer);
        if (!decoded.ok || decoded.envelope.messageType !== 'RetentionNotice') return [];
        return [registry.decode(decoded.envelope.schemaFingerprint, decoded.envelope.payload)];
      });
    expect(told.map((n) => [n.subjectId, n.kind])).to.deep.equal([[id, 'erased']]);
  });
});
