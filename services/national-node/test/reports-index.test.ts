import { expect } from 'chai';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReportsIndex } from '../src/reports-index';

describe("the node's version index", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-index-'));
    file = join(dir, 'reports.idx');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps versions, digests, message ids and normalisation notes across a restart, and reads past a torn last line', () => {
    const index = new ReportsIndex(file);
    expect(index.next('r-1')).to.equal(1);
    index.record('r-1', 1, 'd1');
    index.noteNormalisations('r-1', 1, ["country 'Казахстан' → KZ"]);
    index.record('r-1', 2, 'd2', 'm-2');
    index.record('r-2', 1);
    index.record('route-1', 1, undefined, 'm-route'); // sent without a body digest (a route): its envelope kept
    index.close();
    appendFileSync(file, 'r-5 1 d5\n'); // a line of a node from before message ids were kept
    appendFileSync(file, 'r-3 '); // a line cut short by a crash
    appendFileSync(`${file}.normalisations.jsonl`, '{"id":"r-');

    const reopened = new ReportsIndex(file);
    expect(reopened.sameAsLatest('r-1', 'd2')).to.deep.equal({ version: 2, messageId: 'm-2' });
    expect(reopened.sameAsLatest('r-1', 'd1'), 'not the latest version').to.equal(undefined);
    expect(reopened.latest('r-1')).to.equal(2);
    expect(reopened.next('r-1')).to.equal(3);
    expect(reopened.sameAsLatest('r-2', 'anything')).to.equal(undefined);
    expect(reopened.sameAsLatest('r-5', 'd5')).to.deep.equal({ version: 1, messageId: undefined });
    expect(reopened.ids()).to.deep.equal(['r-1', 'r-2', 'route-1', 'r-5']);
    expect(reopened.messageIdOf('route-1')).to.equal('m-route');
    expect(reopened.sameAsLatest('route-1', '-'), 'no digest, nothing re-sent matches it').to.equal(
      undefined,
    );
    expect(reopened.messageIdOf('r-2')).to.equal(undefined);
    expect(reopened.latest('r-3')).to.equal(0);
    expect(reopened.normalisationsOf('r-1', 1)).to.deep.equal(["country 'Казахстан' → KZ"]);
    expect(reopened.normalisationsOf('r-1', 2)).to.deep.equal([]);
    // Written after the torn lines, read whole after the next restart.
    reopened.record('r-4', 1, 'd4', 'm-4');
    reopened.noteNormalisations('r-4', 1, ['after the tear']);
    reopened.close();
    const third = new ReportsIndex(file);
    expect(third.sameAsLatest('r-4', 'd4')).to.deep.equal({ version: 1, messageId: 'm-4' });
    expect(third.normalisationsOf('r-4', 1)).to.deep.equal(['after the tear']);
    third.close();
  });

  it('takes over, from the outbox, versions it missed with their digests and notes, and keeps what it knew', () => {
    const index = new ReportsIndex(file);
    index.record('r-1', 2, 'known');
    index.noteNormalisations('r-1', 2, ['kept']);
    const fixed = index.reconcile([
      { reportId: 'r-1', version: 1, digest: 'older', notes: ['older'] },
      { reportId: 'r-1', version: 2, digest: 'again', notes: ['again'] },
      { reportId: 'r-1', version: 3, digest: 'lost', messageId: 'm-3', notes: ['unit kilo → kg'] },
      { reportId: 'r-2', version: 1 },
    ]);
    expect(fixed, 'only the versions it did not have').to.equal(2);
    index.close();

    const reopened = new ReportsIndex(file);
    expect(reopened.latest('r-1')).to.equal(3);
    expect(reopened.sameAsLatest('r-1', 'lost')).to.deep.equal({ version: 3, messageId: 'm-3' });
    expect(reopened.normalisationsOf('r-1', 3)).to.deep.equal(['unit kilo → kg']);
    expect(reopened.normalisationsOf('r-1', 2)).to.deep.equal(['kept']);
    expect(reopened.latest('r-2')).to.equal(1);
    reopened.close();
  });

  it('hands out each version once, and counts as sent only what was recorded', () => {
    const index = new ReportsIndex(file);
    index.record('r-1', 1, 'd1', 'm-1');
    // Two bodies read at once: each its own version; the first one's sending fails (never recorded).
    expect(index.next('r-1')).to.equal(2);
    expect(index.next('r-1')).to.equal(3);
    expect(index.latest('r-1'), 'only what was recorded').to.equal(1);
    expect(index.sameAsLatest('r-1', 'd1')).to.deep.equal({ version: 1, messageId: 'm-1' });
    index.record('r-1', 3, 'd3', 'm-3');
    expect(index.latest('r-1')).to.equal(3);
    expect(index.next('r-1')).to.equal(4);
    // A record whose only sending failed: not sent, so not listed, and its receipt route says so.
    expect(index.next('r-2')).to.equal(1);
    expect(index.latest('r-2')).to.equal(0);
    expect(index.ids()).to.deep.equal(['r-1']);
    expect(index.next('r-2'), 'never handed out twice').to.equal(2);
    index.close();
  });
});
