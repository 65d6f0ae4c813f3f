// Bytes as text in the encoding a person names (`hub import --encoding windows-1251`), as strictly as UTF-8 is read.
import { expect } from 'chai';
import { HubError } from '@hub/errors';
import { decodeCsvBytes, decodeCsvBytesAs, encodingNamed, type Undecodable } from '../src/csv/text-bytes';

/** The undecodable part of a decoding that must have failed. */
function undecodable(decoded: { text: string } | { undecodable: Undecodable }): Undecodable {
  expect(decoded, 'refused').to.have.property('undecodable');
  return (decoded as { undecodable: Undecodable }).undecodable;
}

describe('text bytes: a file in the encoding a person names', () => {
  // "Хор,1\r\n" in windows-1251: what Excel saves as "CSV" in a Russian locale.
  const choir = Buffer.from([0xd5, 0xee, 0xf0, 0x2c, 0x31, 0x0d, 0x0a]);

  it('knows an encoding by any of its labels, and no other', () => {
    expect(encodingNamed('windows-1251')).to.equal('windows-1251');
    expect(encodingNamed(' CP1251 ')).to.equal('windows-1251');
    expect(encodingNamed('latin1')).to.equal('windows-1252');
    for (const label of ['windows-9999', '', 'iso-2022-kr'])
      expect(encodingNamed(label), label).to.equal(undefined);
  });

  it('decodes windows-1251 as named, which read as UTF-8 is refused at its first byte', () => {
    expect(decodeCsvBytesAs(choir, 'windows-1251')).to.deep.equal({ text: 'Хор,1\r\n' });
    expect(undecodable(decodeCsvBytes(choir))).to.include({ encoding: 'UTF-8', line: 1, offset: 0 });
  });

  it('reads a file named UTF-8 exactly as an unnamed one, its byte-order mark skipped', () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Хор,1\n')]);
    expect(decodeCsvBytesAs(withBom, 'utf8')).to.deep.equal({ text: 'Хор,1\n' });
    expect(undecodable(decodeCsvBytesAs(choir, 'utf-8'))).to.include({
      offset: 0,
      bytes: '0xD5 0xEE 0xF0 0x2C',
    });
  });

  it('refuses bytes that are not text of the named encoding, naming the line and byte where its decoder stops', () => {
    // Shift_JIS: 0x82 0xA0 is "あ"; 0x82 followed by "," begins no character.
    const bytes = Buffer.from([0x61, 0x0a, 0x82, 0xa0, 0x0a, 0x62, 0x82, 0x2c, 0x63]);
    const u = undecodable(decodeCsvBytesAs(bytes, 'shift_jis'));
    expect(u).to.include({
      encoding: 'shift_jis',
      line: 3,
      offset: 6,
      bytes: '0x82 0x2C 0x63',
      problem: 'the bytes there (0x82 0x2C 0x63) are not shift_jis',
    });
    // A byte no character of windows-1253 has, after two of its Greek letters.
    expect(
      undecodable(decodeCsvBytesAs(Buffer.from([0xe1, 0xe2, 0x0a, 0x41, 0xd2]), 'windows-1253')),
    ).to.include({
      line: 2,
      offset: 4,
    });
    // A character cut short at the end of the file.
    const cut = undecodable(decodeCsvBytesAs(Buffer.from([0x61, 0x0a, 0x82]), 'shift_jis'));
    expect(cut).to.include({
      line: 2,
      offset: 2,
      problem: 'the file ends in the middle of a shift_jis character',
    });
  });

  it('refuses a NUL, which no CSV holds, where it is', () => {
    const u = undecodable(decodeCsvBytesAs(Buffer.from([0x61, 0x0d, 0x0a, 0xd5, 0x00]), 'windows-1251'));
    expect(u).to.include({
      line: 2,
      offset: 4,
      bytes: '0x00',
      problem: 'a NUL character, which no CSV holds',
    });
  });

  it('refuses an encoding it does not know with a HubError naming it', () => {
    expect(() => decodeCsvBytesAs(choir, 'windows-9999'))
      .to.throw(HubError, 'no encoding is named "windows-9999"')
      .with.property('code', 'ENCODING_UNKNOWN');
  });
});
