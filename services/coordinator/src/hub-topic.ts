// What the coordination node's tools (`hub ask`, `hub quarantine redrive`) need to write to its own topic, run
// where the coordinator's files are: its signer, and a producer for hub.node.HUB.out.
import { join } from 'node:path';
import { createSigner, HUB_ORIGIN, type Signer } from '@hub/envelope';
import { HubError } from '@hub/errors';
import { PartitionCounts, sendAll, type Kafka, type TopicNames } from '@hub/kafka';
import { PkiStore } from '@hub/pki';

/**
 * The coordination node's signer from its key and certificate in HUB_HOME (`hub ask`, `hub quarantine redrive`: run
 * where the coordinator's files are).
 */
export function hubSignerFromFiles(hubHome: string): Signer {
  const pkiDir = join(hubHome, 'pki');
  const pki = new PkiStore(pkiDir);
  if (!pki.hasIdentity(HUB_ORIGIN))
    throw new HubError(
      'NOT_READY',
      `the coordination node has no key and certificate in ${pkiDir} yet: start the coordinator once ` +
        '(`hub coordinator`, or `npm start`), which issues them, on this machine or with this HUB_HOME',
    );
  const identity = pki.identity(HUB_ORIGIN);
  return createSigner({
    privateKey: identity.privateKey,
    certificate: identity.certificatePem,
    origin: HUB_ORIGIN,
  });
}

/** Messages written to the coordination node's topic by a producer of their own, waiting for every replica. */
export async function sendOnHubTopic(
  kafka: Kafka,
  names: TopicNames,
  messages: { key: string; value: Buffer }[],
): Promise<void> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    // By partition (a send spanning partitions can lose some on a leader's failover: send.ts), each part in
    // batches the brokers take (re-drives carry whole records: a few hundred would make one they refuse).
    await sendAll(producer, PartitionCounts.fromCluster(kafka), [{ topic: names.hubOut, messages }]);
  } finally {
    await producer.disconnect();
  }
}
