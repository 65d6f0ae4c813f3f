// Avro's CRC-64-AVRO (Rabin) fingerprint of a schema's Parsing Canonical Form.
// avsc 5.7.9's Type#fingerprint hashes with MD5/SHA only, so we compute it ourselves.

const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;

const TABLE: bigint[] = (() => {
  const table: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n) & MASK);
    table.push(fp);
  }
  return table;
})();

/** The 64-bit fingerprint as a bigint (unsigned). */
export function rabin64(bytes: Uint8Array): bigint {
  let fp = EMPTY;
  for (const b of bytes) fp = (fp >> 8n) ^ (TABLE[Number((fp ^ BigInt(b)) & 0xffn)] as bigint);
  return fp;
}

/** The fingerprint as 8 bytes, little-endian, as Avro's single-object encoding writes it. */
export function rabinFingerprint(canonicalForm: string): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(rabin64(Buffer.from(canonicalForm, 'utf8')));
  return out;
}
