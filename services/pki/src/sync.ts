// Keeping a trust store current from the compacted hub.pki topic: certificates and revocations apply at once.
import type { Kafka, Producer } from '@hub/kafka';
import type { Signer } from '@hub/envelope';
import { tailTopic, type Tail } from '@hub/kafka';
import type { Logger } from '@hub/observability';
import type { SchemaRegistry } from '@hub/schemas';
import { applyPkiRecord, certificateAnnouncement } from './notices';
import type { TrustStore } from './trust-store';

export async function followPki(options: {
  kafka: Kafka;
  topic: string;
  registry: SchemaRegistry;
  trust: TrustStore;
  logger: Logger;
  /** Start of the private consumer group's id; with broker ACLs, one the principal may join. */
  groupPrefix?: string;
}): Promise<Tail> {
  return tailTopic({
    kafka: options.kafka,
    topic: options.topic,
    groupPrefix: options.groupPrefix,
    fromBeginning: true,
    onMessage: (message) => {
      if (!message.value) return;
      const result = applyPkiRecord(options.registry, options.trust, message.value);
      if (result.ok)
        options.logger.info(
          { kind: result.notice.kind, fingerprint: result.notice.fingerprint, origin: result.notice.origin },
          'pki notice applied',
        );
      else options.logger.warn({ detail: result.detail }, 'pki record ignored');
    },
  });
}

/** Announce a certificate on hub.pki (idempotent: the topic is compacted by fingerprint). */
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

/** Announce this process's own certificate on hub.pki, then follow the topic. */
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
}): Promise<Tail> {
  await announceCertificate(options);
  return followPki(options);
}
