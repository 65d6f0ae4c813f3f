// The coordination node asks a country: an InformationRequest from HUB, read by the rules a national node applies
// to an agency's request, signed with the coordinator's key and written to the coordination node's own out topic
// (hub.node.HUB.out). The coordinator's intake takes it from there like any country's request: it verifies it,
// stores it, delivers it countersigned to the addressee and watches its due time; the answer stays in the store
// (coordinators read it in the query API). A replay reads that topic too, so the request is rebuilt with the rest.
import type { HubConfig } from '@hub/config';
import { informationRequestFromJson, type InformationRequestRecord } from '@hub/domain';
import { HubError } from '@hub/errors';
import { createKafka, topicNames } from '@hub/kafka';
import type { Logger } from '@hub/observability';
import { loadRegions, loadSchemaRegistry } from '@hub/schemas';
import { COLLECTIONS, connectStore, type StoredRequest } from '@hub/store';
import { askContext, signRequest } from './asks';
import { hubSignerFromFiles, sendOnHubTopic } from './hub-topic';

export interface AskOptions {
  config: HubConfig;
  logger: Logger;
  /** The request as a national node's `POST /v1/requests` takes it (to, purpose, question, urgency, ...). */
  body: unknown;
  /** How long to wait for the coordinator to have stored it (0: do not wait). */
  waitMs?: number;
  clock?: () => number;
}

export interface Asked {
  request: InformationRequestRecord;
  messageId: string;
  normalisations: string[];
  /**
   * Whether the coordinator had stored it within `waitMs` (always false when not waited for). A request the
   * coordinator refused within that time throws instead (REJECTED, with its reason).
   */
  stored: boolean;
}

export async function askAsCoordinator(options: AskOptions): Promise<Asked> {
  const { config } = options;
  const now = (options.clock ?? Date.now)();
  // Every field error at once (ValidationError), before anything is signed or sent.
  const { value, normalisations } = informationRequestFromJson(
    options.body,
    askContext(new Set(loadRegions().map((r) => r.id)), now),
  );

  const signer = hubSignerFromFiles(config.hubHome);
  const registry = loadSchemaRegistry();
  const names = topicNames(config.namespace);
  const kafka = createKafka({
    brokers: config.kafka.brokers,
    clientId: `${config.kafka.clientId}-ask`,
    logger: options.logger,
    security: config.kafka.security,
  });
  const admin = kafka.admin();
  await admin.connect();
  let messageId: string;
  try {
    const topics = new Set(await admin.listTopics());
    if (!topics.has(names.hubOut))
      throw new HubError(
        'NOT_READY',
        `the coordination node's topic ${names.hubOut} does not exist: start the coordinator of this version ` +
          'once, which creates it (on a secured broker: `hub security apply`)',
      );
    // The coordinator would refuse a request to a country without a node; say so now, not in a quarantine.
    if (!topics.has(names.nodeIn(value.to)))
      throw new HubError(
        'NOT_FOUND',
        `${value.to} has no national node on the hub to answer (no topic ${names.nodeIn(value.to)})`,
      );
    const signed = await signRequest(value, { registry, signer });
    messageId = signed.messageId;
    await sendOnHubTopic(kafka, names, [{ key: value.requestId, value: signed.bytes }]);
  } finally {
    await admin.disconnect();
  }
  options.logger.info(
    { requestId: value.requestId, to: value.to, messageId, urgency: value.urgency },
    'information request of the coordination node sent',
  );

  let stored = false;
  const waitMs = options.waitMs ?? 0;
  if (waitMs > 0) {
    const store = await connectStore({
      url: config.mongo.url,
      dbName: config.mongo.dbName,
      appName: 'hub-ask',
    });
    try {
      const requests = store.collection<StoredRequest>(COLLECTIONS.requests);
      const quarantine = store.collection<{
        _id: string;
        messageId: string | null;
        reasonCode: string;
        detail: string;
      }>(COLLECTIONS.quarantine);
      const deadline = Date.now() + waitMs;
      while (!stored && Date.now() < deadline) {
        stored = (await requests.countDocuments({ _id: value.requestId, messageId }, { limit: 1 })) === 1;
        if (stored) break;
        const refused = await quarantine.findOne({ messageId });
        if (refused)
          throw new HubError(
            'REJECTED',
            `the coordinator refused request ${value.requestId}: ${refused.reasonCode}: ${refused.detail}`,
          );
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await store.close();
    }
  }
  return { request: value, messageId, normalisations, stored };
}
