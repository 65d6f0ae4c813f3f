// The erasure notice the coordinator's retention review writes on a regional feed (bare, signed by the coordinator,
// not wrapped in a feed record) is given to the feed's subscribers as an `erasure` event saying which record to drop,
// and nothing of its content; it is not refused (and does not page on-call through HubFeedRecordsRefused).
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createVerifier, type Verifier } from '@hub/envelope';
import { topicNames, type Message } from '@hub/kafka';
import { createTrustStore } from '@hub/pki';
import { loadRegions, loadSchemaRegistry } from '@hub/schemas';
import { COLLECTIONS } from '@hub/store';
import { ErasedSet, eraseRecords } from '../../coordinator/src/retention';
import { memoryStore } from '../../coordinator/test/memory-store';
import { retentionDeps, type SentMessage } from '../../coordinator/test/retention-deps';
import { signerOf, testPki } from '../../pki/test/fixtures';
import type { Caller } from '../src/auth';
import {
  deliver,
  feedEvent,
  feedUnavailable,
  giveChecked,
  UNKNOWN,
  type EventMaking,
  type FeedEvent,
  type FeedRecordRead,
} from '../src/feed-stream';
import { feedSubscriber } from './feed-subscriber';

const names = topicNames('');
const registry = loadSchemaRegistry();
const regions = loadRegions();
const ORDERED_AT = Date.UTC(2026, 10, 3, 4, 0);

/** What the coordinator wrote on each topic when it erased KZ's GREEN report `id`, released to central Asia. */
async function erasedOnTopics(id: string): Promise<SentMessage[]> {
  const mem = memoryStore();
  mem.docs(COLLECTIONS.reports).set(id, {
    _id: id,
    originCountry: 'KZ',
    version: 2,
    status: 'active',
    handling: { tlp: 'GREEN', releasableCountries: [], releasableTo: ['central-asia'] },
  });
  const sent: SentMessage[] = [];
  const deps = retentionDeps({
    store: mem.store,
    policy: { periods: { seizure: 1000 }, warnMs: 100, checkMs: 100 },
    erased: new ErasedSet(),
    clock: ORDERED_AT,
    onSend: (s) => sent.push(s),
  });
  await eraseRecords(
    deps,
    [
      {
        _id: id,
        subjectType: 'SeizureReport',
        category: 'seizure',
        originCountry: 'KZ',
        reviewAt: new Date(ORDERED_AT),
        warnedAt: null,
        renewals: [],
      },
    ] as unknown as Parameters<typeof eraseRecords>[1],
    'retention_expired',
  );
  return sent;
}

/** The query API's verifier, trusting the hub CA and the coordinator's certificate. */
function hubVerifier(): Verifier {
  const pki = testPki();
  const trust = createTrustStore(pki.ca.certPem);
  trust.add(pki.hub.cert.certificatePem);
  return createVerifier({ trust });
}

describe('feed stream: an erasure notice on a feed', function () {
  this.timeout(30000);
  const id = randomUUID();
  const region = 'central-asia';
  let onFeed: Message[];
  let refused: { reason: string; detail: Record<string, unknown> }[];
  let making: EventMaking;
  /** The event of the notice as the feed's reader reads it at `offset`. */
  const read = (offset: number): FeedRecordRead => ({
    region,
    bytes: onFeed[0]!.value as Buffer,
    partition: 0,
    offset: String(offset),
    id: `0:${offset}`,
    counted: false,
    appendedAt: ORDERED_AT,
  });

  before(async () => {
    const sent = await erasedOnTopics(id);
    onFeed = sent.filter((s) => s.topic === names.feed(region)).map((s) => s.message);
    expect(onFeed, 'the notice the coordinator wrote on the central Asian feed').to.have.length(1);
  });

  beforeEach(() => {
    refused = [];
    making = {
      verifier: hubVerifier(),
      registry,
      regions,
      refuse: (_read, reason, detail) => void refused.push({ reason, detail }),
    };
  });

  it('is an erasure event saying which record to drop up to which version, and is refused by no one', () => {
    const event = feedEvent(read(12), making);
    expect(refused, 'refusals (hub_query_feed_records_refused_total)').to.deep.equal([]);
    expect(event).to.not.equal(undefined);
    expect(event).to.not.equal(UNKNOWN);
    const e = event as FeedEvent;
    expect(e.type).to.equal('erasure');
    expect(e.id).to.equal('0:12');
    expect(e.subjects).to.deep.equal([]);
    const green = { sub: 'a', role: 'analyst', country: 'TJ', clearance: 'GREEN', regions: [] } as Caller;
    const shown = e.shownTo(green, undefined);
    expect(shown?.reads, 'no read of the record').to.deep.equal([]);
    const data = shown!.data;
    expect(data).to.include({
      subjectType: 'SeizureReport',
      subjectId: id,
      versionsUpTo: 2,
      region,
      orderedAt: new Date(ORDERED_AT).toISOString(),
    });
    expect(data.erasureId)
      .to.be.a('string')
      .that.matches(/^[0-9a-f-]{36}$/);
    // Nothing of the record, nor whose it was or why: to one never shown it, its id names nothing.
    expect(Object.keys(data).sort()).to.deep.equal(
      ['erasureId', 'orderedAt', 'region', 'subjectId', 'subjectType', 'versionsUpTo'].sort(),
    );
  });

  it('is sent to every subscriber of the feed live, and again to one reconnecting, whatever the store holds', async () => {
    const event = feedEvent(read(12), making) as FeedEvent;
    const kz = feedSubscriber(
      { sub: 'k', role: 'analyst', country: 'KZ', clearance: 'AMBER', regions: [] } as Caller,
      region,
    );
    const uz = feedSubscriber(
      { sub: 'u', role: 'analyst', country: 'UZ', clearance: 'GREEN', regions: [] } as Caller,
      region,
    );
    deliver(kz.sub, event, undefined, '');
    await giveChecked(uz.sub, [{ event }], '0:3', { lookUp: async () => new Map(), warn: () => undefined });
    for (const { sent } of [kz, uz]) {
      expect(sent.map((s) => [s.event, s.id])).to.deep.equal([['erasure', '0:12']]);
      expect(sent[0]!.data.subjectId).to.equal(id);
    }
    expect(kz.sub.given.ids, 'no read noted for the owners').to.deep.equal([]);
  });

  it('is refused when it is not signed by the coordinator', () => {
    const pki = testPki();
    const kzSigner = signerOf(pki.kz, 'KZ');
    const { payload, fingerprint } = registry.encode('ErasureNotice', {
      erasureId: randomUUID(),
      subjectType: 'SeizureReport',
      subjectId: id,
      versionsUpTo: 2,
      originCountry: 'KZ',
      reasonCode: 'originator_request',
      orderedAt: ORDERED_AT,
    });
    const forged = kzSigner.signEncoded({
      messageType: 'ErasureNotice',
      schemaFingerprint: fingerprint,
      payload,
    });
    const trust = createTrustStore(pki.ca.certPem);
    trust.add(pki.hub.cert.certificatePem);
    trust.add(pki.kz.cert.certificatePem);
    const event = feedEvent(
      { ...read(13), bytes: forged.bytes },
      { ...making, verifier: createVerifier({ trust }) },
    );
    expect(event).to.equal(undefined);
    expect(refused.map((r) => r.reason)).to.deep.equal(['not-countersigned']);
  });
});

describe('feed stream: a feed that cannot be followed now', () => {
  it('is refused in fixed words, without the brokers or the topic the Kafka client names', () => {
    const cause = new Error(
      'Connection error: connect ECONNREFUSED 10.20.30.40:9093 (topic hub.feed.central-asia)',
    );
    const err = feedUnavailable('central-asia', cause);
    expect(err.code).to.equal('FEED_UNAVAILABLE');
    expect(err.retriable).to.equal(true);
    expect(err.cause, 'kept for the log').to.equal(cause);
    expect(err.message).to.equal(
      'the feed of central-asia cannot be followed now: the hub cannot reach its brokers, or the feed is not made yet; retry later',
    );
    for (const leak of ['10.20.30.40', '9093', 'hub.feed', 'ECONNREFUSED'])
      expect(err.message).to.not.contain(leak);
  });
});
