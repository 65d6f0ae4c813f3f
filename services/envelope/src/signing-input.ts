// The canonical byte string a signature covers (docs/protocol.md, "Signing input"): every header field
// and the payload, each length-prefixed in a fixed order, so no field can be swapped without detection.
import type { EnvelopeHeader } from './types';

const MAGIC = Buffer.from('SXH-SIG\x01', 'latin1');

function int64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(n));
  return b;
}

export function signingInput(header: EnvelopeHeader, payload: Buffer): Buffer {
  const parts: Buffer[] = [
    int64(header.envelopeVersion),
    Buffer.from(header.messageId, 'utf8'),
    Buffer.from(header.messageType, 'utf8'),
    header.schemaFingerprint,
    Buffer.from(header.origin, 'utf8'),
    header.signerCertFingerprint,
    Buffer.from(header.signatureAlgorithm, 'utf8'),
    int64(header.signedAt),
    payload,
  ];
  const out: Buffer[] = [MAGIC];
  for (const p of parts) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(p.length);
    out.push(len, p);
  }
  return Buffer.concat(out);
}
