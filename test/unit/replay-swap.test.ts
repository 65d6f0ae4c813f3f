// `hub replay --replace` swaps the rebuilt store into the live database: marked from before the first drop until the
// last copy, so that a swap failed half-way is finished before any replay drops the only whole copy of the rebuilt
// store; and not done while a coordinator writes to the live database. Stores in memory, no server.
import { expect } from 'chai';
import { HubError } from '@hub/errors';
import { COLLECTIONS } from '@hub/store';
import { replaceLive, resumeSwap } from '../../scripts/src/cli/commands/replay';
import { SWAP_MARK, refuseWhileSwapUnfinished, swapIn } from '../../scripts/src/run/replay-swap';
import { memoryStore, type Doc } from './memory-store';

const report = (id: string, owner: string): Doc => ({
  _id: id,
  reportId: id,
  version: 1,
  originCountry: owner,
});

/** The live database before a replay: a report, an audit entry and a queued ask (both kept), a stale collection. */
const liveOf = () =>
  memoryStore('hub', {
    [COLLECTIONS.reports]: [report('r1', 'KZ')],
    [COLLECTIONS.alerts]: [{ _id: 'a-old' }],
    [COLLECTIONS.audit]: [{ _id: 'au1', seq: 1 }],
    [COLLECTIONS.asks]: [{ _id: 'ask1', state: 'queued' }],
    [COLLECTIONS.meta]: [{ _id: 'erasures-epoch', stamp: 'live' }],
  });
/** The rebuilt store: the same report and one more, new alerts, its own meta; no stale collection. */
const rebuiltOf = () =>
  memoryStore('hub-replay', {
    [COLLECTIONS.reports]: [report('r1', 'KZ'), report('r2', 'UZ')],
    [COLLECTIONS.reportVersions]: [
      { _id: 'r1:1', originCountry: 'KZ' },
      { _id: 'r2:1', originCountry: 'UZ' },
    ],
    [COLLECTIONS.meta]: [{ _id: 'erasures-epoch', stamp: 'rebuilt' }],
  });
const kept = new Set<string>([COLLECTIONS.audit, COLLECTIONS.asks]);
const noCoordinator = async () => undefined;
const quiet = () => undefined;

async function refusal(p: Promise<unknown>): Promise<HubError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(HubError);
    return err as HubError;
  }
  expect.fail('not refused');
}

const ids = (docs: Doc[] | undefined) => (docs ?? []).map((d) => d._id).sort();

describe('hub replay --replace: the swap', () => {
  it('replaces the live collections by the rebuilt ones, keeps audit and asks, and leaves no mark', async () => {
    const live = liveOf();
    const rebuilt = rebuiltOf();
    expect(await replaceLive(rebuilt.store, live.store, quiet, noCoordinator)).to.equal(0);
    expect(ids(live.collections.get(COLLECTIONS.reports))).to.deep.equal(['r1', 'r2']);
    expect(ids(live.collections.get(COLLECTIONS.reportVersions))).to.deep.equal(['r1:1', 'r2:1']);
    expect(live.collections.has(COLLECTIONS.alerts)).to.equal(false);
    expect(ids(live.collections.get(COLLECTIONS.audit))).to.deep.equal(['au1']);
    expect(ids(live.collections.get(COLLECTIONS.asks))).to.deep.equal(['ask1']);
    expect(live.collections.get(COLLECTIONS.meta)).to.deep.equal([
      { _id: 'erasures-epoch', stamp: 'rebuilt' },
    ]);
    expect(rebuilt.dropped()).to.equal(true);
  });

  it('marks the live database when the swap fails half-way, and keeps the rebuilt copy', async () => {
    const live = liveOf();
    const rebuilt = rebuiltOf();
    live.failNextInsertInto(COLLECTIONS.reports);
    const err = await refusal(replaceLive(rebuilt.store, live.store, quiet, noCoordinator));
    expect(err.code).to.equal('REPLAY_INCOMPLETE');
    expect(err.message)
      .to.contain('hub replay --resume-swap')
      .and.contain("--nsFrom 'hub-replay.*' --nsTo 'hub.*'");
    // Half-way: the live report is gone, the rebuilt ones not all in.
    expect(ids(live.collections.get(COLLECTIONS.reports))).to.deep.equal([]);
    const mark = live.collections.get(COLLECTIONS.meta)?.find((d) => d._id === SWAP_MARK);
    expect(mark).to.include({ from: 'hub-replay' });
    expect(mark?.startedAt).to.be.instanceOf(Date);
    expect(rebuilt.dropped()).to.equal(false);
  });

  it('refuses, while the mark is there, a replay into the rebuilt copy and any --replace, and says how to finish', async () => {
    const live = liveOf();
    live.failNextInsertInto(COLLECTIONS.reports);
    await refusal(replaceLive(rebuiltOf().store, live.store, quiet, noCoordinator));

    for (const [target, replace] of [
      ['hub-replay', false],
      ['hub-replay', true],
    ] as const) {
      const err = await refusal(refuseWhileSwapUnfinished(live.store, target, replace));
      expect(err.code).to.equal('REPLAY_INCOMPLETE');
      expect(err.message)
        .to.match(/^database hub is half replaced: a hub replay --replace began copying database hub-replay/)
        .and.contain('hub replay --resume-swap')
        .and.contain(`meta.deleteOne({ _id: '${SWAP_MARK}' })`);
    }
    // A replay into another database drops nothing of the swap's: it goes ahead.
    await refuseWhileSwapUnfinished(live.store, 'scratch', false);
    // Without a mark, nothing is refused.
    await refuseWhileSwapUnfinished(liveOf().store, 'hub-replay', true);
  });

  it('--resume-swap copies the rebuilt copy again, keeping the kept collections, then drops it and the mark', async () => {
    const live = liveOf();
    const rebuilt = rebuiltOf();
    live.failNextInsertInto(COLLECTIONS.meta);
    await refusal(replaceLive(rebuilt.store, live.store, quiet, noCoordinator));
    // Failed on meta itself, emptied but for the mark, which the copy keeps.
    expect(ids(live.collections.get(COLLECTIONS.meta))).to.deep.equal([SWAP_MARK]);

    expect(await resumeSwap(rebuilt.store, live.store, 'hub-replay', quiet)).to.equal(0);
    expect(ids(live.collections.get(COLLECTIONS.reports))).to.deep.equal(['r1', 'r2']);
    expect(ids(live.collections.get(COLLECTIONS.audit))).to.deep.equal(['au1']);
    expect(live.collections.get(COLLECTIONS.meta)).to.deep.equal([
      { _id: 'erasures-epoch', stamp: 'rebuilt' },
    ]);
    expect(rebuilt.dropped()).to.equal(true);
    await refuseWhileSwapUnfinished(live.store, 'hub-replay', true);
  });

  it('--resume-swap refuses a rebuilt copy that is gone, the mark left in place', async () => {
    const live = liveOf();
    live.failNextInsertInto(COLLECTIONS.reports);
    await refusal(replaceLive(rebuiltOf().store, live.store, quiet, noCoordinator));
    const err = await refusal(resumeSwap(memoryStore('hub-replay').store, live.store, 'hub-replay', quiet));
    expect(err.message).to.contain('holds no collection');
    expect(ids(live.collections.get(COLLECTIONS.meta))).to.include(SWAP_MARK);
  });

  it('will not resume from another database than the one the mark names', async () => {
    const live = liveOf();
    live.failNextInsertInto(COLLECTIONS.reports);
    await refusal(replaceLive(rebuiltOf().store, live.store, quiet, noCoordinator));
    const other = memoryStore('elsewhere', { [COLLECTIONS.reports]: [report('x', 'TJ')] });
    const err = await refusal(swapIn(other.store, live.store, kept, new Date()));
    expect(err.message).to.contain('half replaced from database hub-replay, not elsewhere');
    expect(ids(live.collections.get(COLLECTIONS.reports))).to.deep.equal([]);
  });
});

describe('hub replay --replace: a coordinator started during the rebuild', () => {
  /** A check that finds a coordinator from its `from`th call on (1: the first). */
  function coordinatorFrom(from: number) {
    let calls = 0;
    return {
      calls: () => calls,
      check: async () => {
        calls++;
        if (calls >= from)
          throw new HubError('USAGE', 'a coordinator is running (1 member in consumer group g)');
      },
    };
  }

  it('is found before the comparison: nothing of the live database is touched', async () => {
    const live = liveOf();
    const rebuilt = rebuiltOf();
    const c = coordinatorFrom(1);
    const err = await refusal(replaceLive(rebuilt.store, live.store, quiet, c.check));
    expect(err.message).to.contain('a coordinator is running');
    expect(ids(live.collections.get(COLLECTIONS.reports))).to.deep.equal(['r1']);
    expect(ids(live.collections.get(COLLECTIONS.alerts))).to.deep.equal(['a-old']);
    expect(rebuilt.dropped()).to.equal(false);
  });

  it('is found again after the comparison, before the first drop', async () => {
    const live = liveOf();
    const c = coordinatorFrom(2);
    await refusal(replaceLive(rebuiltOf().store, live.store, quiet, c.check));
    expect(c.calls()).to.equal(2);
    expect(ids(live.collections.get(COLLECTIONS.reports))).to.deep.equal(['r1']);
    expect(ids(live.collections.get(COLLECTIONS.meta))).to.deep.equal(['erasures-epoch']);
  });
});
