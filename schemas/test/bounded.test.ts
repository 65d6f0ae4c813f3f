import { expect } from 'chai';
import fc from 'fast-check';
import avro from 'avsc';
import { checkBounded } from '../src/bounded';

/** Avro's zigzag varint of any integer, written with BigInt so that values past 2^53 can be forged too. */
function zigzag(n: bigint): Buffer {
  const out: number[] = [];
  let v = n >= 0n ? n << 1n : (-n << 1n) - 1n;
  while (v > 0x7fn) {
    out.push(Number((v & 0x7fn) | 0x80n));
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

// An enum of one symbol: every index but 0 is refused with the index as read, so the reason shows the decoded value.
const oneSymbol = avro.Type.forSchema({ type: 'enum', name: 'One', symbols: ['A'] });

describe('bounded Avro walk', () => {
  it('reads every varint as avsc writes it: short ones in plain arithmetic, long ones up to 2^53 exactly', () => {
    const longType = avro.Type.forSchema('long');
    const edges = [1, -1, 63, -64, 64, 2 ** 28, -(2 ** 28), 2 ** 48, 2 ** 49 - 1, 2 ** 49, -(2 ** 49)];
    const values = [...edges, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...values), fc.maxSafeInteger()), (n) => {
        fc.pre(n !== 0);
        // Compared with avsc's own writing within ±2^52: past it, avsc doubles the value in floating point and
        // loses the last bit.
        const bytes = zigzag(BigInt(n));
        if (Math.abs(n) <= 2 ** 52) expect(longType.toBuffer(n).equals(bytes)).to.equal(true);
        expect(checkBounded(oneSymbol, bytes)).to.deep.equal({
          ok: false,
          reason: `enum index ${n} out of range`,
        });
      }),
      { numRuns: 2000 },
    );
    expect(checkBounded(oneSymbol, zigzag(0n))).to.deep.equal({ ok: true });
  });

  it('refuses varints past 2^53, longer than 10 bytes, or cut short', () => {
    const past = BigInt(Number.MAX_SAFE_INTEGER) + 1n;
    expect(checkBounded(oneSymbol, zigzag(past))).to.deep.equal({ ok: false, reason: 'varint out of range' });
    expect(checkBounded(oneSymbol, zigzag(-past - 1n))).to.deep.equal({
      ok: false,
      reason: 'varint out of range',
    });
    expect(checkBounded(oneSymbol, Buffer.alloc(11, 0x80))).to.deep.equal({
      ok: false,
      reason: 'varint too long',
    });
    for (const cut of [1, 3, 7, 9])
      expect(checkBounded(oneSymbol, Buffer.alloc(cut, 0x80))).to.deep.equal({
        ok: false,
        reason: 'truncated varint',
      });
  });
});
