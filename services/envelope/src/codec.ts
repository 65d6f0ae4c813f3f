// Envelope bytes <-> Envelope. Decoding never throws: any input yields an envelope or a 'malformed' reason.
import avro from 'avsc';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AVRO_DIR, UUID } from '@hub/schemas';
import { ENVELOPE_VERSION, type Envelope } from './types';

/** The latest time a JavaScript Date holds, in milliseconds since the epoch. */
export const MAX_DATE_MS = 8.64e15;

export const ENVELOPE_TYPE = avro.Type.forSchema(
  JSON.parse(readFileSync(join(AVRO_DIR, 'Envelope.v1.avsc'), 'utf8')),
  {
    registry: {},
  },
) as avro.Type;

/** Envelopes larger than this are refused before decoding. */
export const MAX_ENVELOPE_BYTES = 1024 * 1024;
/**
 * An envelope of the coordination node that carries a record whole (the feed record of an accepted envelope, the
 * quarantine record or re-drive of a refused one, any of which may be as large as MAX_ENVELOPE_BYTES) may be larger
 * by this much, for its own fields and signature.
 */
export const CARRIER_ALLOWANCE_BYTES = 64 * 1024;
/** The most an envelope that carries another whole (a feed record, a quarantine record, a re-drive) may be. */
export const CARRIER_MAX_BYTES = MAX_ENVELOPE_BYTES + CARRIER_ALLOWANCE_BYTES;

export function encodeEnvelope(envelope: Envelope): Buffer {
  return ENVELOPE_TYPE.toBuffer(envelope);
}

export type DecodeResult =
  { ok: true; envelope: Envelope } | { ok: false; reason: 'malformed'; detail: string };

export function decodeEnvelope(bytes: Buffer, maxBytes = MAX_ENVELOPE_BYTES): DecodeResult {
  if (!Buffer.isBuffer(bytes) || bytes.length === 0)
    return { ok: false, reason: 'malformed', detail: 'empty message' };
  if (bytes.length > maxBytes)
    return {
      ok: false,
      reason: 'malformed',
      detail: `envelope of ${bytes.length} bytes exceeds ${maxBytes}`,
    };
  let envelope: Envelope;
  try {
    const { value, offset } = ENVELOPE_TYPE.decode(bytes, 0);
    if (offset !== bytes.length) {
      return {
        ok: false,
        reason: 'malformed',
        detail: offset < 0 ? 'truncated envelope' : 'trailing bytes after the envelope',
      };
    }
    envelope = { ...(value as Envelope) };
  } catch (err) {
    return { ok: false, reason: 'malformed', detail: `not an envelope: ${(err as Error).message}` };
  }
  if (envelope.envelopeVersion !== ENVELOPE_VERSION) {
    return {
      ok: false,
      reason: 'malformed',
      detail: `unsupported envelopeVersion ${envelope.envelopeVersion}`,
    };
  }
  if (!UUID.test(envelope.messageId))
    return { ok: false, reason: 'malformed', detail: 'messageId is not a UUID' };
  if (!/^[A-Z][A-Za-z0-9]{0,63}$/.test(envelope.messageType))
    return { ok: false, reason: 'malformed', detail: 'messageType is not a schema name' };
  if (!/^([A-Z]{2}|HUB)$/.test(envelope.origin))
    return { ok: false, reason: 'malformed', detail: 'origin is not an ISO alpha-2 code or HUB' };
  // A time a Date can hold (8.64e15 ms, year 275760): beyond it every use of it as a date throws.
  if (!Number.isSafeInteger(envelope.signedAt) || envelope.signedAt <= 0 || envelope.signedAt > MAX_DATE_MS)
    return { ok: false, reason: 'malformed', detail: 'signedAt is not a timestamp' };
  return { ok: true, envelope };
}
