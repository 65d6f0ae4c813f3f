import { expect } from 'chai';
import type { Accepted, Outcome, Rejected } from '../src/outcome';
import type { AlertRecord } from '../src/correlate';
import {
  decodeLockedStage,
  encodeLockedStage,
  recordedHandlings,
  RedeliveryWindow,
  resumedOutcomes,
  type SubjectHandling,
} from '../src/resume';

const record = (offset: number) => ({
  topic: 'hub.node.KZ.out',
  partition: 0,
  offset: String(offset),
  key: null,
  bytes: Buffer.from(`m${offset}`),
});
// Only what resume.ts reads of an outcome; the rest of an Accepted is carried through untouched.
const accepted = (offset: number, subjectId: string) =>
  ({ kind: 'accepted', record: record(offset), subjectId, subjectVersion: 1 }) as unknown as Accepted;
const rejected = (offset: number, reason: Rejected['reason'], detail: string): Rejected => ({
  kind: 'rejected',
  record: record(offset),
  reason,
  detail,
});

describe('the record of a chunk’s locked stage (resume.ts)', () => {
  const done = { '10': 'd10', '11': 'd11', '12': 'd12', '13': 'd13' };
  const green: SubjectHandling = {
    originCountry: 'KZ',
    tlp: 'GREEN',
    releasableTo: [],
  } as unknown as SubjectHandling;
  const amber: SubjectHandling = {
    originCountry: 'KZ',
    tlp: 'AMBER',
    releasableTo: ['KG'],
  } as unknown as SubjectHandling;
  const alert = { alertId: 'a1', countries: ['KZ', 'UZ'], matched: [] } as unknown as AlertRecord;
  // Decided under the lock: 10 accepted, 11 stale (found by storing), 12 accepted, 13 skipped (erased).
  const body = encodeLockedStage(
    done,
    [
      accepted(10, 'r10'),
      {
        ...rejected(11, 'stale-version', 'version 1 of r11 already exists'),
        fields: [{ field: 'version', message: 'taken' }],
      },
      accepted(12, 'r12'),
    ],
    [alert],
    new Map([
      ['r10', green],
      ['r12', amber],
      ['r99', green],
    ]),
  );
  const stage = decodeLockedStage(body);

  it('gives the outcomes decided then to the same messages classified again, and leaves out the skipped', () => {
    const again: Outcome[] = [
      accepted(10, 'r10'),
      accepted(11, 'r11'),
      accepted(12, 'r12'),
      accepted(13, 'r13'),
    ];
    const out = resumedOutcomes(stage, again)!;
    expect(out.map((o) => `${o.record.offset}:${o.kind}`)).to.deep.equal([
      '10:accepted',
      '11:rejected',
      '12:accepted',
    ]);
    expect(out[1]).to.deep.include({
      reason: 'stale-version',
      detail: 'version 1 of r11 already exists',
      fields: [{ field: 'version', message: 'taken' }],
    });
    // The accepted ones are the new classification's, with their decoded envelopes and values.
    expect(out[0]).to.equal(again[0]);
    expect(stage.alerts).to.deep.equal([alert]);
  });

  it('keeps each handling once, and gives every subject its own', () => {
    expect(stage.handlings).to.have.length(2);
    expect(Object.fromEntries(recordedHandlings(stage))).to.deep.equal({
      r10: green,
      r12: amber,
      r99: green,
    });
  });

  it('declines when the messages are not the ones it recorded, or one accepted then is refused now', () => {
    expect(
      resumedOutcomes(stage, [accepted(10, 'r10'), accepted(14, 'r14')]),
      'an offset it does not cover',
    ).to.equal(undefined);
    expect(
      resumedOutcomes(stage, [rejected(10, 'revoked', 'certificate revoked since')]),
      'accepted then, refused now',
    ).to.equal(undefined);
    // A rejection decided then stands whatever the classification says now.
    expect(resumedOutcomes(stage, [rejected(11, 'bad-signature', 'x')])?.map((o) => o.kind)).to.deep.equal([
      'rejected',
    ]);
  });

  it('declines a record written before it held the feed decisions, whose chunk is then processed in full', () => {
    // As a coordinator before the `feed:` keys wrote it: the same fields, no format.
    const { feeds, ...old } = stage;
    expect(feeds, 'the format written now').to.equal(1);
    const classified: Outcome[] = [accepted(10, 'r10'), accepted(11, 'r11'), accepted(12, 'r12')];
    expect(resumedOutcomes(stage, classified)).to.have.length(3);
    expect(resumedOutcomes(decodeLockedStage(Buffer.from(JSON.stringify(old))), classified)).to.equal(
      undefined,
    );
  });
});

describe('which chunks may be the redelivery of a chunk stored and never answered (RedeliveryWindow)', () => {
  const P = 'hub.node.KZ.out|0';

  it('takes every chunk within a chunk of messages of where the first after a start begins, not only the first', () => {
    const window = new RedeliveryWindow(500);
    // The dead chunk held 500 messages; the first fetch after the restart brings 200 of them only.
    const first = window.begin(P, 200);
    expect(first.redelivered).to.equal(true);
    first.answered();
    const rest = window.begin(P, 299);
    expect(rest.redelivered, 'the rest of the dead chunk, in the next fetch').to.equal(true);
    rest.answered();
    const last = window.begin(P, 100);
    expect(last.redelivered, 'its last message').to.equal(true);
    last.answered();
    expect(window.begin(P, 100).redelivered, 'past what a previous holder could have stored').to.equal(false);
    // Another partition has a window of its own.
    expect(window.begin('hub.node.UZ.out|0', 7).redelivered).to.equal(true);
  });

  it('opens the window again after a chunk that failed, and after a join', () => {
    const window = new RedeliveryWindow(500);
    window.begin(P, 500).answered();
    // Failed before its answers were sent: read again, it may have been stored.
    expect(window.begin(P, 300).redelivered).to.equal(false);
    const again = window.begin(P, 300);
    expect(again.redelivered).to.equal(true);
    again.answered();
    expect(window.begin(P, 300).redelivered).to.equal(true);
    window.clear();
    expect(window.begin(P, 10).redelivered).to.equal(true);
  });
});
