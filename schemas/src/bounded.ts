// A bounds-checked walk over Avro binary before avsc decodes it. avsc trusts block counts: a forged array count
// of 10^9 makes it loop (and allocate) a billion times even when the payload has a few bytes, which is a
// denial of service for anyone who can write to a topic. This walk rejects any count or length that the
// remaining bytes cannot hold, and any read past the end, in time linear in the payload.
import type avro from 'avsc';

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  left(): number {
    return this.buf.length - this.pos;
  }

  long(): number {
    // Up to 7 bytes (49 bits) in plain arithmetic, exact below 2^53: nearly every count, length and index.
    const start = this.pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++] as number;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      scale *= 128;
    }
    this.pos = start;
    return this.longWide();
  }

  private longWide(): number {
    let shift = 0;
    let result = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++] as number;
      result |= BigInt(b & 0x7f) << BigInt(shift);
      if ((b & 0x80) === 0) {
        const n = (result >> 1n) ^ -(result & 1n);
        if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER))
          throw new Error('varint out of range');
        return Number(n);
      }
      shift += 7;
    }
    throw new Error('varint too long');
  }

  skip(n: number): void {
    if (n < 0 || n > this.left()) throw new Error(`length ${n} exceeds the ${this.left()} bytes left`);
    this.pos += n;
  }
}

/** The smallest number of bytes one value of `type` takes: 0 for null and empty records. */
function minSize(type: avro.Type, seen = new Set<avro.Type>()): number {
  const t = type as unknown as { typeName: string; fields?: { type: avro.Type }[]; size?: number };
  switch (t.typeName) {
    case 'null':
      return 0;
    case 'float':
      return 4;
    case 'double':
      return 8;
    case 'fixed':
      return t.size ?? 0;
    case 'record':
    case 'error': {
      if (seen.has(type)) return 0;
      seen.add(type);
      return (t.fields ?? []).reduce((s, f) => s + minSize(f.type, seen), 0);
    }
    default:
      return 1;
  }
}

const ZERO_SIZE_ITEMS_LIMIT = 10000;

function walk(type: avro.Type, r: Reader, depth: number): void {
  if (depth > 64) throw new Error('nesting too deep');
  const t = type as unknown as {
    typeName: string;
    fields?: { type: avro.Type }[];
    itemsType?: avro.Type;
    valuesType?: avro.Type;
    types?: avro.Type[];
    size?: number;
    symbols?: string[];
  };
  switch (t.typeName) {
    case 'null':
      return;
    case 'boolean':
      return r.skip(1);
    case 'int':
    case 'long':
      r.long();
      return;
    case 'float':
      return r.skip(4);
    case 'double':
      return r.skip(8);
    case 'bytes':
    case 'string':
      return r.skip(r.long());
    case 'fixed':
      return r.skip(t.size ?? 0);
    case 'enum': {
      const i = r.long();
      if (i < 0 || i >= (t.symbols?.length ?? 0)) throw new Error(`enum index ${i} out of range`);
      return;
    }
    case 'record':
    case 'error':
      for (const f of t.fields ?? []) walk(f.type, r, depth + 1);
      return;
    case 'union:unwrapped':
    case 'union:wrapped': {
      const i = r.long();
      const branch = t.types?.[i];
      if (!branch) throw new Error(`union branch ${i} out of range`);
      return walk(branch, r, depth + 1);
    }
    case 'array':
    case 'map': {
      const item = (t.typeName === 'array' ? t.itemsType : t.valuesType) as avro.Type;
      const per = minSize(item) + (t.typeName === 'map' ? 1 : 0);
      let total = 0;
      for (;;) {
        let count = r.long();
        if (count === 0) return;
        if (count < 0) {
          count = -count;
          r.skip(r.long() < 0 ? Infinity : 0); // block size follows a negative count; it is re-read by avsc
        }
        total += count;
        if (per > 0 ? count * per > r.left() : total > ZERO_SIZE_ITEMS_LIMIT)
          throw new Error(`block of ${count} items cannot fit the bytes left`);
        for (let i = 0; i < count; i++) {
          if (t.typeName === 'map') r.skip(r.long());
          walk(item, r, depth + 1);
        }
      }
    }
    default:
      // Logical or unknown types: let avsc decide (it is bounded for scalar types).
      return;
  }
}

/** True when `buf` is exactly one value of `type`, walked with every count and length checked. */
export function checkBounded(type: avro.Type, buf: Buffer): { ok: true } | { ok: false; reason: string } {
  const r = new Reader(buf);
  try {
    walk(type, r, 0);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  return r.left() === 0 ? { ok: true } : { ok: false, reason: `${r.left()} trailing bytes` };
}
