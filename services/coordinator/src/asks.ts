// Information requests the coordinators ask in the query API (POST /v1/requests), which holds no signing key: the
// query API queues them in the store (`asks`); here the coordinator reads them again by the rules a national node
// applies, signs each with its key and writes it to its own out topic (hub.node.HUB.out), as `hub ask` does. The
// intake takes it from there like any request: it verifies and stores it, delivers it countersigned to the addressee
// and watches its due time.
//
// Exactly once: the asks are taken under the store lock `asks` (one coordinator instance at a time: FerretDB applies a
// conditional update as read-then-write, so two instances could both win one), each signed and its envelope recorded
// (`queued` → `signed`), then sent, then marked `sent`. After a crash between the two (found signed for 30 s), the
// very same bytes are sent again, which the intake takes as a redelivery of one message.
import { CLIENT_NAME } from '@hub/config';
import { informationRequestFromJson, type InformationRequestRecord } from '@hub/domain';
import { join } from 'node:path';
import { createSigner, HUB_ORIGIN, type Signer } from '@hub/envelope';
import { HubError, ValidationError } from '@hub/errors';
import { PkiStore } from '@hub/pki';
import type { Kafka, Producer, TopicNames } from '@hub/kafka';
import type { Logger } from '@hub/observability';
import type { SchemaRegistry } from '@hub/schemas';
import { COLLECTIONS, withLock, type Store, type StoredAsk } from '@hub/store';
import { periodic } from './periodic';

export const DEFAULT_ASK_CHECK_MS = 1000;
const BATCH = 50;
const KEEP_SENT_MS = 3600_000;
const KEEP_REFUSED_MS = 30 * 86_400_000;
const CLEAN_EVERY_MS = 600_000;
const RESEND_SIGNED_AFTER_MS = 30_000;

/** The context a coordinator's request is read in: from HUB, now, the regions; the asker when a name fits. */
export function askContext(regions: ReadonlySet<string>, now: number, sub?: string) {
  return {
    nodeCountry: HUB_ORIGIN,
    now,
    regions,
    ...(sub !== undefined && CLIENT_NAME.test(sub) ? { client: sub } : {}),
  };
}

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
    for (let i = 0; i < messages.length; i += 500)
      await producer.send({ topic: names.hubOut, acks: -1, messages: messages.slice(i, i + 500) });
  } finally {
    await producer.disconnect();
  }
}

/** The request as an envelope of the coordination node, signed on libuv's thread pool. */
export async function signRequest(
  value: InformationRequestRecord,
  deps: { registry: SchemaRegistry; signer: Signer },
): Promise<{ messageId: string; bytes: Buffer }> {
  const { payload, fingerprint } = deps.registry.encode('InformationRequest', value);
  const signed = await deps.signer.signEncodedAsync({
    messageType: 'InformationRequest',
    schemaFingerprint: fingerprint,
    payload,
  });
  return { messageId: signed.envelope.messageId, bytes: signed.bytes };
}

export interface AsksOptions {
  store: Store;
  producer: Pick<Producer, 'send'>;
  signer: Signer;
  registry: SchemaRegistry;
  names: TopicNames;
  regions: ReadonlySet<string>;
  /** Whether a country has a national node (its inbound topic exists). */
  hasNode: (cc: string) => Promise<boolean>;
  clock: () => number;
  logger: Logger;
  intervalMs?: number;
  /** false (hub replay): send nothing (a replay rebuilds the requests from the topic). */
  send?: boolean;
}

export interface Asks {
  /** One pass now; resolves to the number of requests sent. */
  check(): Promise<number>;
  stop(): Promise<void>;
}

export function startAsks(options: AsksOptions): Asks {
  const { store, names, clock, logger } = options;
  const asks = store.collection<StoredAsk>(COLLECTIONS.asks);

  const refuse = async (ask: StoredAsk, error: NonNullable<StoredAsk['error']>) => {
    await asks.updateOne({ _id: ask._id, state: 'queued' }, { $set: { state: 'refused', error } });
    logger.warn({ requestId: ask._id, askedBy: ask.askedBy.sub, error }, 'information request refused');
  };

  /** Signs a queued ask and records its envelope; undefined when refused. */
  const claim = async (ask: StoredAsk): Promise<StoredAsk | undefined> => {
    const now = clock();
    let value: InformationRequestRecord;
    try {
      value = informationRequestFromJson(ask.body, askContext(options.regions, now, ask.askedBy.sub)).value;
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await refuse(ask, { code: err.code, message: err.message, errors: err.errors });
      return undefined;
    }
    if (!(await options.hasNode(value.to))) {
      await refuse(ask, {
        code: 'NOT_FOUND',
        message: `${value.to} has no national node on the hub to answer (no topic ${names.nodeIn(value.to)})`,
      });
      return undefined;
    }
    const { messageId, bytes } = await signRequest(value, options);
    const claimed = await asks.updateOne(
      { _id: ask._id, state: 'queued' },
      { $set: { state: 'signed', messageId, envelope: bytes, signedAt: new Date(now) } },
    );
    return claimed.modifiedCount === 1 ? { ...ask, state: 'signed', messageId, envelope: bytes } : undefined;
  };

  const send = async (ask: StoredAsk): Promise<void> => {
    await options.producer.send({
      topic: names.hubOut,
      acks: -1,
      messages: [{ key: ask._id, value: ask.envelope! }],
    });
    await asks.updateOne({ _id: ask._id }, { $set: { state: 'sent', sentAt: new Date(clock()) } });
    logger.info(
      { requestId: ask._id, messageId: ask.messageId, askedBy: ask.askedBy.sub },
      'information request of the coordination node sent',
    );
  };

  // Sent asks are kept an hour (what the asker's screen reads meanwhile: the request is in `requests` by then),
  // refused ones 30 days (why, for whoever asked), then deleted, so that each pass reads few documents.
  let cleanedAt = 0;
  const check = async (): Promise<number> => {
    if (options.send === false) return 0;
    const now = clock();
    if (now - cleanedAt > CLEAN_EVERY_MS) {
      await asks.deleteMany({ state: 'sent', sentAt: { $lt: new Date(now - KEEP_SENT_MS) } });
      await asks.deleteMany({ state: 'refused', askedAt: { $lt: new Date(now - KEEP_REFUSED_MS) } });
      cleanedAt = now;
    }
    // Looked at without the lock first: most passes find nothing, and take no lock.
    if ((await waitingAsks(now)).length === 0) return 0;
    return withLock(store, 'asks', () => sendWaiting());
  };

  /** What waits: queued, or signed a while ago and not marked sent (its signer died, or the store failed). */
  const waitingAsks = (now: number) =>
    asks
      .find(
        {
          $or: [
            { state: 'queued' },
            { state: 'signed', signedAt: { $lt: new Date(now - RESEND_SIGNED_AFTER_MS) } },
          ],
        },
        { sort: { askedAt: 1 }, limit: BATCH },
      )
      .toArray();

  const sendWaiting = async (): Promise<number> => {
    let sent = 0;
    // Read again under the lock: another instance may have sent them meanwhile.
    for (const ask of await waitingAsks(clock())) {
      try {
        const signed = ask.state === 'signed' ? ask : await claim(ask);
        if (!signed) continue;
        await send(signed);
        sent++;
      } catch (err) {
        // Left as it was: the next pass tries again (a signed one with the same bytes).
        logger.error(
          { requestId: ask._id, err: (err as Error).message },
          'information request not sent yet; will retry',
        );
      }
    }
    return sent;
  };

  const stop = periodic(check, options.intervalMs ?? DEFAULT_ASK_CHECK_MS, (err) =>
    logger.warn({ err: err.message }, 'asked requests check failed'),
  );

  return { check, stop };
}
