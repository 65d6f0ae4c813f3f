import { expect } from 'chai';
import { rabin64, rabinFingerprint } from '../src/rabin';

// Test vectors of the Avro specification (share/test/data/schema-tests.txt): canonical form → fingerprint
// as a signed 64-bit integer.
const VECTORS: [string, bigint][] = [
  ['"null"', 7195948357588979594n],
  ['"boolean"', -6970731678124411036n],
  ['"int"', 8247732601305521295n],
  ['"long"', -3434872931120570953n],
  ['"float"', 5583340709985441680n],
  ['"double"', -8181574048448539266n],
  ['"bytes"', 5746618253357095269n],
  ['"string"', -8142146995180207161n],
];

describe('CRC-64-AVRO (Rabin) schema fingerprint', () => {
  for (const [canonical, expected] of VECTORS) {
    it(`matches the Avro specification's vector for ${canonical}`, () => {
      expect(BigInt.asIntN(64, rabin64(Buffer.from(canonical)))).to.equal(expected);
    });
  }

  it('is written little-endian, as the single-object encoding carries it', () => {
    const fp = rabinFingerprint('"null"');
    expect(fp.toString('hex')).to.equal('8a8f25cce724dd63');
  });
});
