// Bytes as text, strictly: where a file stops being UTF-8 or UTF-16, found as the decoders find it.
import { expect } from 'chai';
import { isUtf8 } from 'node:buffer';
import { decodeCsvBytes, firstBadUtf8 } from '../src/text-bytes';

describe('text bytes: where a file stops being text of its encoding', () => {
  it('finds the first byte that starts no well-formed UTF-8 sequence, whatever the bytes', () => {
    const known: [number[], number][] = [
      [[0x41, 0xc3, 0xa9], 3], // "Aé": all well-formed
      [[0x41, 0xc0, 0x80], 1], // an overlong NUL
      [[0xed, 0xa0, 0x80], 0], // a surrogate
      [[0xf4, 0x90, 0x80, 0x80], 0], // beyond U+10FFFF
      [[0x41, 0xe2, 0x82], 1], // cut short at the end
      [[0xd5, 0xee, 0xf0], 0], // windows-1251 "Хор"
    ];
    for (const [bytes, at] of known)
      expect(firstBadUtf8(Uint8Array.from(bytes)), bytes.join(' ')).to.equal(at);
    // Random bytes (mostly ASCII and lead bytes): a well-formed prefix up to there, and no character starting there.
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let n = 0; n < 2000; n++) {
      const b = Uint8Array.from({ length: 1 + Math.floor(random() * 12) }, () =>
        random() < 0.5 ? Math.floor(random() * 0x80) : 0x80 + Math.floor(random() * 0x80),
      );
      const at = firstBadUtf8(b);
      expect(isUtf8(b.subarray(0, at)), `${b.join(' ')} at ${at}`).to.equal(true);
      if (at === b.length) continue;
      for (let len = 1; len <= 4; len++) expect(isUtf8(b.subarray(at, at + len))).to.equal(false);
    }
  });

  it('counts lines as the CSV reader does: CRLF, LF and a lone CR each end one', () => {
    const bytes = Buffer.concat([Buffer.from('a\r\nb\nc\rd,'), Buffer.from([0xff])]);
    const decoded = decodeCsvBytes(bytes);
    expect(decoded).to.have.property('undecodable');
    expect((decoded as { undecodable: { line: number; offset: number } }).undecodable).to.include({
      line: 4,
      offset: 9,
    });
  });
});
