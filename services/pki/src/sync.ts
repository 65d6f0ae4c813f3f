// Keeping a trust store current from the hub.pki topic: certificates and revocations apply at once.
import type { Kafka, Producer } from '@hub/kafka';
import type { Signer } from '@hub/envelope';
import { tailTopic, type Tail } from '@hub/kafka';
import type { Logger } from '@hub/observability';
import type { SchemaRegistry } from '@hub/schemas';
import { X509Certificate } from 'node:crypto';
import { applyPkiRecord, certificateAnnouncement, type NoticeResult } from './notices';
import { fingerprintOf, type TrustStore } from './trust-store';

export async function followPki(options: {
  kafka: Kafka;
  topic: string;
  registry: SchemaRegistry;
  trust: TrustStore;
  logger: Logger;
  /** Start of the private consumer group's id; with broker ACLs, one the principal may join. */
  groupPrefix?: string;
  /** Told of each record read (its offset) and what came of it. */
  onRecord?: (offset: bigint, result: NoticeResult | undefined) => void;
}): Promise<Tail> {
  return tailTopic({
    kafka: options.kafka,
    topic: options.topic,
    groupPrefix: options.groupPrefix,
    fromBeginning: true,
    onMessage: (message) => {
      if (!message.value) return options.onRecord?.(BigInt(message.offset), undefined);
      const result = applyPkiRecord(options.registry, options.trust, message.value);
      options.onRecord?.(BigInt(message.offset), result);
      if (result.ok)
        options.logger.info(
          { kind: result.notice.kind, fingerprint: result.notice.fingerprint, origin: result.notice.origin },
          'pki notice applied',
        );
      else options.logger.warn({ detail: result.detail }, 'pki record ignored');
    },
  });
}

/** Announce a certificate on hub.pki. */
export async function announceCertificate(options: {
  producer: Producer;
  topic: string;
  registry: SchemaRegistry;
  signer: Signer;
  certificatePem: string;
}): Promise<void> {
  const announcement = certificateAnnouncement(options.registry, options.signer, options.certificatePem);
  await options.producer.send({
    topic: options.topic,
    acks: -1,
    messages: [{ key: announcement.key, value: announcement.bytes }],
  });
}

/**
 * Follow hub.pki and announce this process's own certificate there unless it is there already. The topic keeps every
 * record (it is not compacted: docs/protocol.md), so announcing at every start would add one for each start of every
 * service, which every reader reads and checks at its own start. What was on the topic at start is read first (for
 * at most `catchUpMs`; then it is announced anyway).
 */
export async function joinPki(options: {
  kafka: Kafka;
  producer: Producer;
  topic: string;
  registry: SchemaRegistry;
  trust: TrustStore;
  logger: Logger;
  signer: Signer;
  certificatePem: string;
  groupPrefix?: string;
  catchUpMs?: number;
  /** Told of each record read (its offset) and what came of it, as followPki's. */
  onRecord?: (offset: bigint, result: NoticeResult | undefined) => void;
}): Promise<Tail> {
  const own = fingerprintOf(new X509Certificate(options.certificatePem));
  const end = await endOffset(options.kafka, options.topic);
  let announced = false;
  let read = 0n;
  let caughtUp: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (caughtUp = resolve));
  const tail = await followPki({
    ...options,
    onRecord: (offset, result) => {
      if (result?.ok && result.notice.kind === 'certificate' && result.notice.fingerprint === own)
        announced = true;
      read = offset + 1n > read ? offset + 1n : read;
      if (end !== undefined && read >= end) caughtUp();
      options.onRecord?.(offset, result);
    },
  });
  // Not known (the topic just made, its leader not settled): announced at once, as before it was looked for.
  if (end === undefined || end === 0n) caughtUp();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, options.catchUpMs ?? 30000)))]);
  clearTimeout(timer);
  if (!announced) await announceCertificate(options);
  return tail;
}

/** The offset after hub.pki's last record now, or undefined when the brokers cannot say within a few seconds. */
async function endOffset(kafka: Kafka, topic: string): Promise<bigint | undefined> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    for (let attempt = 0; ; attempt++)
      try {
        const offsets = await admin.fetchTopicOffsets(topic);
        return offsets.reduce((max, o) => (BigInt(o.high) > max ? BigInt(o.high) : max), 0n);
      } catch {
        // A topic made a moment ago: its leader not yet known to every broker ("not the leader").
        if (attempt >= 20) return undefined;
        await new Promise((r) => setTimeout(r, 250));
      }
  } catch {
    return undefined;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
