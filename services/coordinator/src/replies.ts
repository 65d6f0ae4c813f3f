// Receipts to the sending node and quarantine records, signed by the coordinator. Message ids are derived from
// the message they answer, so a batch processed twice sends byte-for-byte the same ids (nodes dedupe on them).
import { createHash } from 'node:crypto';
import { MAX_ENVELOPE_BYTES } from '@hub/envelope';
import type { TopicNames } from '@hub/kafka';
import { firstRead, type Outcome } from './outcome';
import type { Outgoing } from './outgoing';

/** A UUID (version 4 layout) derived from `seed`. */
export function derivedUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x40;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/**
 * Of a record larger than any envelope the hub takes (refused for that alone), the quarantine keeps the first this
 * many bytes, its length and its SHA-256: the brokers take records up to twice that limit, and a quarantine record
 * carrying one whole could be larger than they take, so that nothing after it on its partition would ever be read.
 * The whole record stays where it was read, kept for ever like every record of a node's topic.
 */
export const QUARANTINE_KEPT_BYTES = 64 * 1024;

/** A record's Kafka key as the subject it names: a node keys its records by their subject's id (a UUID). */
function subjectKey(key: string | null | undefined): string | null {
  return key && key.length <= 100 && /^[A-Za-z0-9._:-]+$/.test(key) ? key : null;
}

export interface ReplyMessages {
  receipts: Record<string, unknown>[];
  quarantined: Record<string, unknown>[];
}

/** The receipts and quarantine records of `outcomes`, added to `out` to be signed and sent; those to store. */
export function buildReplies(
  outcomes: Outcome[],
  out: Outgoing,
  deps: { names: TopicNames; clock: () => number },
): ReplyMessages {
  const receipts: Record<string, unknown>[] = [];
  const quarantined: Record<string, unknown>[] = [];
  const now = deps.clock();
  for (const o of outcomes) {
    const env = o.envelope;
    // Where the bytes were first read: for a re-driven record, not where its re-drive was.
    const first = firstRead(o.record);
    if (o.kind === 'rejected') {
      const { bytes } = o.record;
      const whole = bytes.length <= MAX_ENVELOPE_BYTES;
      // Bytes that are no envelope (every record over the limit among them) are named by their digest.
      const digest = env && whole ? undefined : createHash('sha256').update(bytes).digest('hex');
      const seed = env?.messageId ?? (digest as string);
      const q = {
        originalBytes: whole ? bytes : bytes.subarray(0, QUARANTINE_KEPT_BYTES),
        topic: first.topic,
        partition: first.partition,
        offset: first.offset,
        reasonCode: o.reason,
        detail: (whole
          ? o.detail
          : `${o.detail}; only its first ${QUARANTINE_KEPT_BYTES} bytes are kept here (all ${bytes.length}: SHA-256 ` +
            `${digest}, where it was read)`
        ).slice(0, 2000),
        quarantinedAt: now,
      };
      // Named by where it was read (a re-drive refused again: an entry of its own, naming the one re-driven).
      quarantined.push({
        _id: `${o.record.topic}:${o.record.partition}:${o.record.offset}`,
        ...q,
        messageId: env?.messageId ?? null,
        origin: env?.origin ?? null,
        // The record's key: the subject the node filed it under, by which an erasure of that subject finds it.
        key: o.record.key,
        ...(o.record.redrive && { redriveOf: o.record.redrive.quarantineId }),
        ...(!whole && { originalLength: bytes.length, originalSha256: digest }),
      });
      out.sign(
        deps.names.quarantine,
        seed,
        'QuarantineRecord',
        q,
        derivedUuid(`quarantine:${seed}:${o.record.topic}:${o.record.offset}`),
      );
    }
    // A receipt goes back to the node whose topic the message was read from: only that country's node may write
    // there (the broker's ACLs), so it is the sender even when the envelope's own claims do not verify (a signer
    // the hub does not know yet, another CA, a bad signature, another country's origin), and the receipt tells its
    // operator why. The coordination node's own topic has no node to answer; bytes that are no envelope get none.
    const to = deps.names.countryOf(first.topic);
    if (
      !env ||
      to === undefined ||
      !/^[A-Z]{2}$/.test(to) ||
      (o.kind === 'rejected' && o.reason === 'malformed')
    )
      continue;
    const status = o.kind === 'accepted' ? 'accepted' : 'rejected';
    // A re-drive refused again is a new answer (perhaps another reason): named by its re-drive too, or the node, which
    // has the first refusal's, would drop it as that one. Accepted, it is the one acceptance (taken again: the same).
    const redriven = o.kind === 'rejected' && o.record.redrive ? `:${o.record.redrive.redriveId}` : '';
    const receipt = {
      receiptId: derivedUuid(`receipt:${env.messageId}:${status}${redriven}`),
      inReplyTo: env.messageId,
      subjectType: env.messageType,
      // Refused, the subject is named by the record's Kafka key, which a node sets to it (a re-drive's: read from its
      // payload, redrive.ts): any other key (one of 1.5 MB would make this receipt, keyed by it, larger than the
      // brokers take) names nothing.
      subjectId: o.kind === 'accepted' ? o.subjectId : subjectKey(o.record.key),
      subjectVersion: o.kind === 'accepted' ? o.subjectVersion : null,
      status,
      reasons:
        o.kind === 'accepted'
          ? (o.flags ?? []).map((f) => ({ code: f.code, field: f.field, message: f.message }))
          : o.fields?.length
            ? o.fields.map((f) => ({ code: o.reason, field: f.field, message: f.message }))
            : [{ code: o.reason, field: null, message: o.detail }],
      normalisations: [],
      issuedAt: now,
    };
    receipts.push({ _id: receipt.receiptId, ...receipt, origin: to });
    out.sign(
      deps.names.nodeIn(to),
      receipt.subjectId ?? env.messageId,
      'Receipt',
      receipt,
      receipt.receiptId,
    );
  }
  return { receipts, quarantined };
}
