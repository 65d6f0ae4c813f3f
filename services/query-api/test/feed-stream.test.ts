import { expect } from 'chai';
import { resumeOf } from '../src/feed-stream';

/** Where a feed's reader stands, per partition. */
const at = (...offsets: number[]) => new Map(offsets.map((o, p) => [p, BigInt(o)]));

describe('feed stream: what a reconnecting client is given first', () => {
  it('gives the events held after the one it names', () => {
    expect(resumeOf('0:5,1:7', ['0:4,1:7', '0:5,1:7', '0:5,1:8'], at(5, 8), 10)).to.deep.equal({ held: 2 });
  });

  it('reads back from the broker what it missed on each partition, when no more than a stream gives again', () => {
    expect(resumeOf('0:5,1:7', [], at(9, 10), 10)).to.deep.equal({
      readBack: new Map([
        [0, { after: 5n, upTo: 9n }],
        [1, { after: 7n, upTo: 10n }],
      ]),
    });
  });

  it('tells of a gap for an id that is not one of this feed', () => {
    for (const id of ['nonsense', '0:5', '0:5,7:1'])
      expect(resumeOf(id, [], at(9, 10), 10), id).to.deep.equal({
        gap: 'not an event id of this feed; search for what was published (GET /v1/seizures)',
      });
  });

  it('tells of a gap when it missed more than a stream gives again, without saying how many records were published', () => {
    // Records of every handling were published: one whose clearance reaches GREEN must not learn how many it missed.
    const few = resumeOf('0:5,1:7', [], at(16, 7), 10);
    const many = resumeOf('0:5,1:7', [], at(5_005, 2_007), 10);
    expect(few)
      .to.have.property('gap')
      .that.matches(/than the 10 a stream gives again.*GET \/v1\/seizures/);
    expect(many).to.deep.equal(few);
  });
});
