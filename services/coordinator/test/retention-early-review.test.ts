// The retention review after a start: the early review (seconds after start) finishes the erasures a stop cut short
// and erases nothing else, since a renewal sent in time may still wait unread in its originator's topic (a backlog
// after the stop); a record fallen due is erased by the regular review, and not while the intake has not read its
// originator's topic past the record's review date. On the store in memory.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { Logger } from '@hub/observability';
import { COLLECTIONS, type Store } from '@hub/store';
import { memoryStore, type MemoryStore } from './memory-store';
import { retentionDeps } from './retention-deps';
import { ErasedSet, startRetention, type RetentionDeps, type RetentionDoc } from '../src/retention';

const DAY = 86400000;
const NOW = Date.UTC(2029, 11, 7, 13, 0, 30);
const GREEN = { tlp: 'GREEN', releasableCountries: [], releasableTo: [] };

describe('coordinator retention: the reviews after a start', function () {
  this.timeout(10000);
  let mem: MemoryStore;
  let reviews: ReturnType<typeof startRetention>[];

  /** The review over the store in memory (named, for its lock), its policy's first review `firstCheckMs` after start. */
  const deps = (more: Partial<RetentionDeps> = {}, firstCheckMs?: number): RetentionDeps => ({
    ...retentionDeps({
      store: { ...mem.store, db: { databaseName: `memory-${randomUUID()}` } } as unknown as Store,
      policy: {
        periods: { seizure: 1095 * DAY },
        warnMs: 90 * DAY,
        checkMs: 3600000,
        ...(firstCheckMs !== undefined && { firstCheckMs }),
      },
      erased: new ErasedSet(),
      clock: NOW,
      onSend: () => undefined,
    }),
    ...more,
  });
  const start = (d: RetentionDeps) => {
    const review = startRetention(d);
    reviews.push(review);
    return review;
  };

  /** `origin`'s report stored with its history, its review date `reviewAt`; `erasing`: its erasure begun. */
  const seed = (origin: string, reviewAt: number, erasing = false): string => {
    const id = randomUUID();
    mem.docs(COLLECTIONS.reports).set(id, {
      _id: id,
      originCountry: origin,
      version: 1,
      status: 'active',
      handling: GREEN,
    });
    mem.docs(COLLECTIONS.reportVersions).set(`${id}:1`, {
      _id: `${id}:1`,
      reportId: id,
      version: 1,
      originCountry: origin,
      handling: GREEN,
    });
    const doc: RetentionDoc = {
      _id: id,
      subjectType: 'SeizureReport',
      category: 'seizure',
      originCountry: origin,
      reviewAt: new Date(reviewAt),
      warnedAt: new Date(reviewAt - 90 * DAY),
      renewals: [],
      ...(erasing && { erasing: { reasonCode: 'retention_expired', since: new Date(NOW - DAY) } }),
    };
    mem.docs(COLLECTIONS.retention).set(id, doc as never);
    return id;
  };
  const kept = (id: string) =>
    mem.docs(COLLECTIONS.retention).has(id) && mem.docs(COLLECTIONS.reports).has(id);
  const erased = (id: string) =>
    !mem.docs(COLLECTIONS.retention).has(id) &&
    !mem.docs(COLLECTIONS.reports).has(id) &&
    mem.docs(COLLECTIONS.erasures).has(id);

  beforeEach(() => {
    mem = memoryStore();
    reviews = [];
  });
  afterEach(async () => {
    for (const review of reviews) await review.stop();
  });

  it('finishes at the early review the erasures begun, and erases no record fallen due meanwhile', async () => {
    // Begun by an instance whose clock was ahead: by this one's, not due for another day.
    const begun = seed('KZ', NOW + DAY, true);
    // Due at 12:00, the coordinator stopped from 11:00 to 13:00: KZ's renewal of 11:50 may wait in its topic.
    const fallenDue = seed('KZ', NOW - 3600_000);
    const review = start(deps({}, 20));
    const deadline = Date.now() + 5000;
    while (!erased(begun) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await review.stop();
    expect(erased(begun), 'the erasure begun, finished').to.equal(true);
    expect(kept(fallenDue), 'the record fallen due, kept for the regular review').to.equal(true);
    // The regular review erases it.
    await review.runOnce();
    expect(erased(fallenDue)).to.equal(true);
  });

  it('erases a record fallen due only once the intake has read its originator’s topic past its review date', async () => {
    const reviewAt = NOW - 3600_000;
    const kz = seed('KZ', reviewAt);
    const uz = seed('UZ', reviewAt);
    const asked: [string, number][] = [];
    let kzRead = false;
    const review = start(
      deps({
        intakeBehind: async (origin, at) => {
          asked.push([origin, at]);
          return origin === 'KZ' && !kzRead;
        },
      }),
    );
    await review.runOnce();
    expect(kept(kz), "KZ's topic not read past its date: kept").to.equal(true);
    expect(erased(uz), "UZ's topic read past its date: erased").to.equal(true);
    expect(asked).to.deep.include.members([
      ['KZ', reviewAt],
      ['UZ', reviewAt],
    ]);
    kzRead = true;
    await review.runOnce();
    expect(erased(kz)).to.equal(true);
  });

  it('keeps a record fallen due while where the intake stands cannot be read, and finishes a begun erasure', async () => {
    const fallenDue = seed('KZ', NOW - 3600_000);
    const begun = seed('KZ', NOW + DAY, true);
    const warned: unknown[] = [];
    const logger = {
      info: () => undefined,
      warn: (fields: unknown) => warned.push(fields),
      error: () => undefined,
      debug: () => undefined,
    } as unknown as Logger;
    const review = start(
      deps({
        logger,
        intakeBehind: () => Promise.reject(new Error('the brokers are not reachable')),
      }),
    );
    await review.runOnce();
    expect(kept(fallenDue)).to.equal(true);
    expect(erased(begun)).to.equal(true);
    expect(warned).to.deep.equal([{ origin: 'KZ', records: 1, err: 'the brokers are not reachable' }]);
  });
});
