// The regional feeds: which versions go out (only a subject's current version, claimed by the batch that stores
// it), where their withdrawals and erasures go (the feeds the versions went to, as their history entries recorded
// them, whatever regions.json says now), and that a region with no members gets nothing.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { seizureReportFromJson } from '@hub/domain';
import { topicNames } from '@hub/kafka';
import { loadRegions, loadSchemaRegistry, type Region } from '@hub/schemas';
import { COLLECTIONS, type Handled } from '@hub/store';
import { erasureTopics } from '../src/erasure-reach';
import {
  feedDecisions,
  feedKey,
  feedMessages,
  releasableRegions,
  type PublishedHandling,
} from '../src/feeds';
import { Outgoing } from '../src/outgoing';
import { persistBatch, versionHandlings } from '../src/persist';
import { decodeLockedStage, encodeLockedStage, recordedHandlings } from '../src/resume';
import type { Accepted, Outcome } from '../src/outcome';
import { acceptedMessage } from './accepted';
import { memoryStore, type MemoryStore } from './memory-store';

const NOW = Date.UTC(2026, 11, 7, 9, 0);
const regions = loadRegions();
const names = topicNames('');
const CENTRAL_ASIA = ['KZ', 'KG', 'TJ', 'UZ', 'TM'];
/** The regions after an operator started central-asia afresh under a new id (README), its members the same. */
const replaced: Region[] = regions.map((r) => (r.id === 'central-asia' ? { ...r, id: 'central-asia-2' } : r));
/** The regions after an operator added AF to central-asia. */
const widened: Region[] = regions.map((r) =>
  r.id === 'central-asia' ? { ...r, members: [...r.members, 'AF'] } : r,
);

/** A message as the intake accepts it, from `country`'s node. */
const accepted = (
  country: string,
  messageType: string,
  value: Record<string, unknown>,
  id: string,
): Accepted => acceptedMessage(country, messageType, value, id, NOW);

const report = (id: string, version: number, handling: Record<string, unknown> = { tlp: 'GREEN' }) =>
  accepted(
    'KZ',
    'SeizureReport',
    seizureReportFromJson(
      {
        reportId: id,
        seizedAt: '2026-12-01T09:30:00+05:00',
        country: 'KZ',
        agency: 'customs',
        drugs: [{ substance: 'heroin', quantity: 12.5, unit: 'kg' }],
        handling,
      },
      { nodeCountry: 'KZ', now: NOW, versionOf: () => version, regions: new Set(regions.map((r) => r.id)) },
    ).value as unknown as Record<string, unknown>,
    id,
  );

const retraction = (id: string, version: number) =>
  accepted(
    'KZ',
    'SeizureRetraction',
    { reportId: id, version, retractedAt: NOW, reason: 'withdrawn', submittedBy: null },
    id,
  );

/** The same message read again: re-sent by its node (another offset), or re-driven from quarantine. */
const again = (a: Accepted, redrive = false): Accepted => ({
  ...a,
  record: {
    ...a.record,
    offset: String(Number(a.record.offset) + 100_000),
    ...(redrive && {
      redrive: { redriveId: randomUUID(), quarantineId: 'q', requestedBy: 'operator', requestedAt: NOW },
    }),
  },
});

const AMBER_CA = { tlp: 'AMBER', releasableTo: CENTRAL_ASIA };
const amberCa: Handled = {
  originCountry: 'KZ',
  tlp: 'AMBER',
  releasableTo: CENTRAL_ASIA,
  releasableCountries: CENTRAL_ASIA,
};

describe('coordinator: which versions go on the feeds', () => {
  let mem: MemoryStore;
  let clock = NOW;
  const persist = (outcomes: Outcome[]) => {
    const at = (clock += 1000);
    return persistBatch(mem.store, outcomes, regions, () => at);
  };
  /** How each accepted message of `outcomes` may go on the feeds ('-': not at all). */
  const fed = async (outcomes: Accepted[]) => {
    const { feedable } = await persist(outcomes);
    return outcomes.map((a) => feedable.get(a) ?? '-');
  };

  beforeEach(() => {
    mem = memoryStore();
  });

  it('feeds a new version, and not an older one re-sent or re-driven after a later version', async () => {
    const id = randomUUID();
    const v1 = report(id, 1);
    expect(await fed([v1])).to.deep.equal(['new']);
    expect(await fed([report(id, 2, { tlp: 'AMBER_STRICT', releasableTo: ['KG'] })])).to.deep.equal(['new']);
    // Accepted again (its version's claim is its own), but version 2 has replaced it: the feeds would go backwards.
    expect(await fed([again(v1)])).to.deep.equal(['-']);
    expect(await fed([again(v1, true)])).to.deep.equal(['-']);
  });

  it('tells a resend of the current version from a new claim', async () => {
    const id = randomUUID();
    const v1 = report(id, 1);
    const copy = again(v1);
    // The second copy of one batch is not a version of its own.
    expect(await fed([v1, copy])).to.deep.equal(['new', '-']);
    expect(await fed([again(v1)])).to.deep.equal(['again']);
  });

  it('feeds nothing of a report re-driven after its own withdrawal was accepted', async () => {
    const id = randomUUID();
    const v1 = report(id, 1);
    // v1 quarantined (its signer not known yet); the withdrawal, accepted, is kept in the history only.
    expect(await fed([retraction(id, 2)])).to.deep.equal(['-']);
    const redriven = await persist([again(v1, true)]);
    expect(redriven.outcomes.map((o) => o.kind)).to.deep.equal(['accepted']);
    expect(mem.docs(COLLECTIONS.reports).get(id)?.status).to.equal('retracted');
    expect(redriven.feedable.size, 'nothing of the withdrawn report on the feeds').to.equal(0);
  });

  it('feeds nothing of a version withdrawn in the same batch', async () => {
    const id = randomUUID();
    expect(await fed([report(id, 1), retraction(id, 2)])).to.deep.equal(['-', '-']);
  });

  it('records in each version’s history entry the feeds it went to', async () => {
    const id = randomUUID();
    await persist([report(id, 1, AMBER_CA)]);
    const entry = mem.docs(COLLECTIONS.reportVersions).get(`${id}:1`) as { feeds?: string[] };
    expect(entry.feeds).to.deep.equal(['central-asia']);
    const [v] = (await versionHandlings(mem.store, [id], widened)).get(id) ?? [];
    expect(v?.handling?.feeds).to.deep.equal(['central-asia']);
  });
});

describe('coordinator: where withdrawals and erasures go', () => {
  /** The feed topics a withdrawal of a version published under `h` goes to, with regions as `now`. */
  const withdrawalFeeds = (h: PublishedHandling, now: Region[]) => {
    const out = new Outgoing(loadSchemaRegistry());
    const topics: string[] = [];
    out.sign = (t: string | string[]) => void topics.push(...(typeof t === 'string' ? [t] : t));
    feedMessages([retraction(randomUUID(), 2)], [], out, {
      regions: now,
      names,
      now: NOW,
      handlingsOf: () => [h],
      alertHandling: () => [],
    });
    return topics.sort();
  };

  it('sends a withdrawal to the feeds its version went to, though a member added since may not read it', () => {
    expect(withdrawalFeeds({ ...amberCa, feeds: ['central-asia'] }, widened)).to.deep.equal([
      names.feed('central-asia'),
    ]);
    // A version stored before the feeds were recorded: worked out as before.
    expect(withdrawalFeeds(amberCa, regions)).to.deep.equal([names.feed('central-asia')]);
  });

  it('sends a withdrawal also to the feeds its handling allows now: a region started afresh under a new id', () => {
    const topics = withdrawalFeeds({ ...amberCa, feeds: ['central-asia'] }, replaced);
    expect(topics).to.include(names.feed('central-asia'));
    expect(topics, 'the new id of the region, whose readers had it under the old one').to.include(
      names.feed('central-asia-2'),
    );
  });

  it('sends an erasure notice also to the feeds its handling allows now', () => {
    const topics = erasureTopics(names, replaced, {
      originCountry: 'KZ',
      handlings: [{ ...amberCa, feeds: ['central-asia'] }],
      alertedCountries: [],
    });
    expect(topics).to.include(names.feed('central-asia'));
    expect(topics).to.include(names.feed('central-asia-2'));
  });

  it('sends an erasure notice to the feeds each version went to', () => {
    const topics = erasureTopics(names, widened, {
      originCountry: 'KZ',
      handlings: [{ ...amberCa, feeds: ['central-asia'] }],
      alertedCountries: [],
    });
    expect(topics).to.include(names.feed('central-asia'));
  });
});

describe('coordinator: a chunk answered from its locked stage after regions.json changed', () => {
  /**
   * The feed topics of version 1 of a report under `handling`, decided when stored by `regions`, recorded in the
   * chunk's locked stage and answered from it by a coordinator started since with regions as `now`.
   */
  const resumedFeeds = (handling: Record<string, unknown>, now: Region[]) => {
    const v1 = report(randomUUID(), 1, handling);
    const decided = feedDecisions([v1], new Map([[v1, 'new' as const]]), false, regions);
    const stage = decodeLockedStage(encodeLockedStage({}, [v1], [], decided));
    const docs = recordedHandlings(stage);
    const out = new Outgoing(loadSchemaRegistry());
    const topics: string[] = [];
    out.sign = (t: string | string[]) => void topics.push(...(typeof t === 'string' ? [t] : t));
    feedMessages([v1], [], out, {
      regions: now,
      names,
      now: NOW,
      handlingsOf: (a) => {
        const h = docs.get(feedKey(a));
        return h ? [h] : [];
      },
      alertHandling: () => [],
    });
    return topics;
  };

  it('sends a version to the feeds decided when it was stored, as its history entry records them, and no other', () => {
    const topics = resumedFeeds(AMBER_CA, replaced);
    expect(topics, 'the feed its history entry names').to.include(names.feed('central-asia'));
    // A region made since is not one the history names: its members would get a version whose withdrawal, should the
    // region change again, would go only where the history says.
    expect(topics).to.not.include(names.feed('central-asia-2'));
  });

  it('sends it to no region that has a member since who may not read it', () => {
    const topics = resumedFeeds(AMBER_CA, widened);
    expect(topics).to.not.include(names.feed('central-asia'));
    // Unchanged regions: the same as decided.
    expect(resumedFeeds(AMBER_CA, regions)).to.deep.equal([names.feed('central-asia')]);
  });
});

describe('coordinator: a region with no members', () => {
  it('gets no record, RED included', () => {
    const empty: Region = { id: 'new-region', labels: { en: 'New' }, members: [] };
    const red: Handled = { originCountry: 'KZ', tlp: 'RED', releasableTo: [], releasableCountries: [] };
    const green: Handled = { originCountry: 'KZ', tlp: 'GREEN', releasableTo: [], releasableCountries: [] };
    expect(releasableRegions(red, [...regions, empty])).to.deep.equal([]);
    expect(releasableRegions(green, [...regions, empty])).to.not.include('new-region');
    expect(releasableRegions(green, [...regions, empty])).to.include('central-asia');
  });
});
