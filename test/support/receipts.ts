// Receipts as the national nodes get them: who signed each (read from a node's in topic), and a report posted to a
// node followed until its receipt has been verified and recorded there.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { decodeEnvelope } from '@hub/envelope';
import { createKafka, tailTopic, topicNames, type Tail } from '@hub/kafka';
import { loadSchemaRegistry } from '@hub/schemas';
import { waitUntil, type TestEnv } from './env';
import { getJson, minimalReport, postJson } from './hub';

/** Follows the in topic of `country`'s node: `signers` maps each receipt's report to its signer's fingerprint. */
export async function receiptSigners(
  env: TestEnv,
  country: string,
): Promise<{ signers: Map<string, string>; tail: Tail }> {
  const registry = loadSchemaRegistry();
  const signers = new Map<string, string>();
  const tail = await tailTopic({
    kafka: createKafka({
      brokers: env.config.kafka.brokers,
      clientId: `receipts-${country}`,
      logger: env.logger,
    }),
    topic: topicNames(env.config.namespace).nodeIn(country),
    onMessage: (message) => {
      const decoded = message.value && decodeEnvelope(message.value);
      if (!decoded?.ok || decoded.envelope.messageType !== 'Receipt') return;
      const receipt = registry.decode(decoded.envelope.schemaFingerprint, decoded.envelope.payload);
      signers.set(String(receipt.subjectId), decoded.envelope.signerCertFingerprint.toString('hex'));
    },
  });
  return { signers, tail };
}

/**
 * Posts a fresh report of `country` (the minimal one) to the node at `nodeUrl`, waits until the node has verified and
 * recorded its receipt, expects it accepted, and gives the report's id.
 */
export async function postAccepted(nodeUrl: string, country = 'KZ'): Promise<string> {
  const report = { ...minimalReport(), country, reportId: randomUUID() };
  const posted = await postJson(`${nodeUrl}/v1/seizures`, report);
  expect(posted.status, JSON.stringify(posted.body)).to.equal(202);
  const receipt = await waitUntil(`the receipt of ${report.reportId}`, async () => {
    const r = await getJson(`${nodeUrl}/v1/receipts/${report.reportId}`);
    return r.body.status === 'pending' ? undefined : r.body;
  });
  expect(receipt.status, JSON.stringify(receipt)).to.equal('accepted');
  return report.reportId;
}
