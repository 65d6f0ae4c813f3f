import { expect } from 'chai';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubError } from '@hub/errors';
import type { ErasureOrder } from '../src/erasure-order';
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

  describe('when a record is erased at retention review', () => {
    const order = (subjectId: string, versionsUpTo: number, subjectType = 'SeizureReport'): ErasureOrder => ({
      erasureId: `erasure-${subjectId}`,
      subjectType,
      subjectId,
      versionsUpTo,
      originCountry: 'KZ',
      reasonCode: 'retention_expired',
      orderedAt: Date.parse('2026-12-01T00:00:00Z'),
    });
    const refusal = (run: () => unknown): HubError => {
      try {
        run();
      } catch (err) {
        expect(err).to.be.instanceOf(HubError);
        return err as HubError;
      }
      return expect.fail('refused');
    };

    it('forgets the notes of its versions, in memory and (rewritten) in the notes file, and keeps its version number', () => {
      const index = new ReportsIndex(file);
      index.record('r-1', 1, 'd1', 'm-1');
      index.noteNormalisations('r-1', 1, ["place 'Достык' → Dostyk"]);
      index.record('r-1', 2, 'd2', 'm-2');
      index.noteNormalisations('r-1', 2, ['quantity 2.5 t → 2500 kg']);
      index.record('r-2', 1, 'e1', 'n-1');
      index.noteNormalisations('r-2', 1, ["country 'Казахстан' → KZ"]);
      index.erase(order('r-1', 2));
      expect(index.normalisationsOf('r-1', 1)).to.deep.equal([]);
      expect(index.normalisationsOf('r-1', 2)).to.deep.equal([]);
      expect(index.normalisationsOf('r-2', 1), "another record's").to.deep.equal([
        "country 'Казахстан' → KZ",
      ]);
      expect(index.latest('r-1'), 'its version number stays').to.equal(2);
      expect(index.ids()).to.deep.equal(['r-1', 'r-2']);
      const notesFile = `${file}.normalisations.jsonl`;
      expect(readFileSync(notesFile, 'utf8'), 'until rewritten').to.include('Достык');
      expect(index.compactNotes()).to.equal(true);
      expect(index.compactNotes(), 'nothing more to forget').to.equal(false);
      const text = readFileSync(notesFile, 'utf8');
      expect(text).not.to.include('Достык');
      expect(text).not.to.include('2500 kg');
      expect(text).to.include('Казахстан');
      expect(existsSync(`${notesFile}.rewrite`)).to.equal(false);
      // Notes made after the rewrite go to the new file.
      index.record('r-3', 1, 'f1', 'o-1');
      index.noteNormalisations('r-3', 1, ['unit kilo → kg']);
      // Nor are an erased version's notes taken again (from the outbox after an interrupted stop).
      index.noteNormalisations('r-1', 2, ['found again']);
      expect(index.normalisationsOf('r-1', 2)).to.deep.equal([]);
      index.close();
      const reopened = new ReportsIndex(file);
      expect(reopened.normalisationsOf('r-1', 1)).to.deep.equal([]);
      expect(reopened.normalisationsOf('r-2', 1)).to.deep.equal(["country 'Казахстан' → KZ"]);
      expect(reopened.normalisationsOf('r-3', 1)).to.deep.equal(['unit kilo → kg']);
      expect(reopened.latest('r-1')).to.equal(2);
      reopened.close();
    });

    it('refuses a new version or a withdrawal of an erased report, naming the order, also for the body sent before', () => {
      const index = new ReportsIndex(file);
      index.record('r-1', 1, 'd1', 'm-1');
      index.record('route-1', 3, undefined, 'm-route');
      expect(index.sameAsLatest('r-1', 'd1')).to.deep.equal({ version: 1, messageId: 'm-1' });
      index.erase(order('r-1', 1));
      index.erase(order('route-1', 3, 'TraffickingRoute'));
      expect(index.erasureOf('r-1')?.erasureId).to.equal('erasure-r-1');
      // The very same body sent again is not answered as taken: the hub holds nothing of it.
      expect(index.sameAsLatest('r-1', 'd1')).to.equal(undefined);
      const refused = refusal(() => index.next('r-1'));
      expect(refused.code).to.equal('CONFLICT');
      expect(refused.message).to.include('r-1 was erased at retention review on 2026-12-01T00:00:00.000Z');
      expect(refused.message).to.include('erasure erasure-r-1, retention_expired, versions 1 to 1');
      expect(refused.message).to.include('send it under a new id');
      expect(refused.details).to.include({ field: 'reportId', value: 'r-1', erasureId: 'erasure-r-1' });
      expect(refusal(() => index.next('route-1')).code).to.equal('CONFLICT');
      expect(index.latest('r-1'), 'nothing reserved or recorded').to.equal(1);
      expect(index.next('r-2'), 'another record').to.equal(1);
      index.close();
    });

    it("goes on after the erased versions of an annual return (its id is its year's), never at one the hub passes over", () => {
      const index = new ReportsIndex(file);
      index.record('KZ-2024', 1, undefined, 'm-1');
      // The hub erased up to a version this node's index does not know (lost in a crash, say).
      index.erase(order('KZ-2024', 3, 'AnnualSeizureReturn'));
      expect(index.next('KZ-2024')).to.equal(4);
      index.record('KZ-2024', 4, undefined, 'm-4');
      expect(index.erasureOf('KZ-2024'), 'a record again, from the version after the erased ones').to.equal(
        undefined,
      );
      expect(index.next('KZ-2024')).to.equal(5);
      index.close();
    });
  });
});
