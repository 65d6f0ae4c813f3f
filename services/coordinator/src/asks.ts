// Information requests the coordinators ask in the query API (POST /v1/requests), which holds no signing key: the
// query API queues them in the store (`asks`); here the coordinator reads them again by the rules a national node
// applies, signs each with its key and writes it to its own out topic (hub.node.HUB.out), as `hub ask` does. The
// intake takes it from there like any request: it verifies and stores it, delivers it countersigned to the addressee
// and watches its due time. Coordinators' re-drives of quarantine entries (POST /v1/quarantine/redrive) go the same
// way, signed here as `hub quarantine redrive` signs them (redrive.ts).
//
// Exactly once: the asks are taken under the store lock `asks` (one coordinator instance at a time: FerretDB applies a
// conditional update as read-then-write, so two instances could both win one), each signed and its envelope recorded
// (`queued` → `signed`), then sent, then marked `sent`. After a crash between the two (found signed for 30 s), the
// very same bytes are sent again, which the intake takes as a redelivery of one message.
//
// Sent is not the end: the intake may still refuse the request (a due time past by the time the brokers took it, an
// id a country's request took meanwhile). Each minute the sent asks are settled by the intake's verdict: stored
// (in `requests`) or quarantined (marked `refused`, with the intake's reason, and kept as refusals are).
import { CLIENT_NAME } from '@hub/config';
import { informationRequestFromJson, type InformationRequestRecord } from '@hub/domain';
import { HUB_ORIGIN, type Signer } from '@hub/envelope';
import { ValidationError } from '@hub/errors';
import { BROKER_MESSAGE_MAX_BYTES, type Producer, type TopicNames } from '@hub/kafka';
import type { Logger } from '@hub/observability';
import type { SchemaRegistry } from '@hub/schemas';
import {
  COLLECTIONS,
  findSorted,
  neverRedrivable,
  refusedOnIntake,
  withLock,
  type Store,
  type StoredAsk,
  type StoredQuarantine,
  type StoredRequest,
} from '@hub/store';
import { periodic } from './periodic';
import { redriveKey, signRedrive } from './redrive';

export const DEFAULT_ASK_CHECK_MS = 1000;
const BATCH = 50;
/** Sent requests the intake stored: what the asker's screen reads meanwhile (the request is in `requests` by then). */
const KEEP_SENT_MS = 3600_000;
/** Sent re-drives, refused asks, and sent requests the intake never decided on. */
const KEEP_LONG_MS = 30 * 86_400_000;
const CLEAN_EVERY_MS = 600_000;
const SETTLE_EVERY_MS = 60_000;
/** How far the intake's clock (quarantinedAt) may be behind the signer's (signedAt), another instance's. */
const CLOCK_SKEW_MS = 3600_000;
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
    await asks.updateOne(
      { _id: ask._id, state: { $in: ['queued', 'signed'] } },
      { $set: { state: 'refused', error, refusedAt: new Date(clock()) } },
    );
    const { fields, what } = described(ask);
    logger.warn({ ...fields, error }, `${what} refused`);
  };

  /** Records the envelope of a queued ask, signed: from then on, those very bytes are what is sent. */
  const signed = async (ask: StoredAsk, messageId: string, bytes: Buffer, now: number) => {
    const claimed = await asks.updateOne(
      { _id: ask._id, state: 'queued' },
      { $set: { state: 'signed', messageId, envelope: bytes, signedAt: new Date(now) } },
    );
    return claimed.modifiedCount === 1
      ? { ...ask, state: 'signed' as const, messageId, envelope: bytes }
      : undefined;
  };

  /** A coordinator's re-drive of a quarantine entry (POST /v1/quarantine/redrive), signed; undefined when refused. */
  const claimRedrive = async (ask: StoredAsk): Promise<StoredAsk | undefined> => {
    const now = clock();
    const quarantineId = String(ask.body.quarantineId);
    const entry = await store
      .collection<StoredQuarantine>(COLLECTIONS.quarantine)
      .findOne({ _id: quarantineId });
    if (!entry) {
      await refuse(ask, { code: 'NOT_FOUND', message: `no quarantine entry ${quarantineId}` });
      return undefined;
    }
    const never = neverRedrivable(entry);
    if (never) {
      await refuse(ask, { code: 'VALIDATION_FAILED', message: `${quarantineId} ${never}` });
      return undefined;
    }
    const { bytes } = await signRedrive(entry, {
      registry: options.registry,
      signer: options.signer,
      requestedBy: ask.askedBy.sub,
      now,
      redriveId: ask._id,
    });
    return signed(ask, ask._id, bytes, now);
  };

  /** Signs a queued ask and records its envelope; undefined when refused. */
  const claim = async (ask: StoredAsk): Promise<StoredAsk | undefined> => {
    if (ask.kind === 'redrive') return claimRedrive(ask);
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
    return signed(ask, messageId, bytes, now);
  };

  const send = async (ask: StoredAsk): Promise<void> => {
    const { fields, what, key } = described(ask);
    await options.producer.send({
      topic: names.hubOut,
      acks: -1,
      messages: [{ key, value: ask.envelope! }],
    });
    await asks.updateOne({ _id: ask._id }, { $set: { state: 'sent', sentAt: new Date(clock()) } });
    logger.info(fields, `${what} sent`);
  };

  /**
   * The intake's verdict on each sent request: quarantined ones are marked refused, with why; those stored an hour
   * ago are deleted (GET /v1/requests/asked/:id reads them in `requests`). One the intake has not decided on stays
   * sent, for its asker to see, until 30 days after it was sent.
   */
  const settleSent = async (now: number) => {
    const sent = await asks
      .find(
        { state: 'sent', kind: { $ne: 'redrive' } },
        // What settling reads, and what the log names (described): kind and askedBy too.
        { projection: { _id: 1, kind: 1, askedBy: 1, messageId: 1, signedAt: 1, sentAt: 1 } },
      )
      .toArray();
    if (sent.length === 0) return;
    const stored = new Set(
      (
        await store
          .collection<StoredRequest>(COLLECTIONS.requests)
          .find({ _id: { $in: sent.map((a) => a._id) }, requester: HUB_ORIGIN }, { projection: { _id: 1 } })
          .toArray()
      ).map((r) => r._id),
    );
    const undecided = sent.filter((a) => !stored.has(a._id));
    const refusals = await intakeRefusals(store, undecided);
    const refused = new Set<string>();
    for (const ask of undecided) {
      const entry = ask.messageId === undefined ? undefined : refusals.get(ask.messageId);
      if (!entry) continue;
      await asks.updateOne(
        { _id: ask._id, state: 'sent' },
        { $set: { state: 'refused', error: refusedOnIntake(entry), refusedAt: new Date(now) } },
      );
      refused.add(ask._id);
      logger.warn(
        { ...described(ask).fields, quarantineId: entry._id },
        'information request refused by the intake',
      );
    }
    const sentBefore = (ms: number) => (a: StoredAsk) =>
      a.sentAt !== undefined && a.sentAt.getTime() < now - ms;
    const done = sent.filter((a) => stored.has(a._id)).filter(sentBefore(KEEP_SENT_MS));
    const lost = undecided.filter((a) => !refused.has(a._id)).filter(sentBefore(KEEP_LONG_MS));
    for (const ask of lost)
      logger.warn(
        described(ask).fields,
        'information request sent 30 days ago and never decided on by the intake',
      );
    const gone = [...done, ...lost].map((a) => a._id);
    if (gone.length) await asks.deleteMany({ _id: { $in: gone }, state: 'sent' });
  };

  // Sent re-drives and refused asks are kept 30 days (a re-drive shows as waiting until taken; why, for whoever
  // asked), then deleted, so that each pass reads few documents; sent requests as settleSent decides.
  let cleanedAt = 0;
  let settledAt = 0;
  const check = async (): Promise<number> => {
    if (options.send === false) return 0;
    const now = clock();
    // A failed settling is tried again a minute later, and keeps nothing else waiting: the queued asks and re-drives
    // below are sent all the same.
    if (now - settledAt > SETTLE_EVERY_MS) {
      settledAt = now;
      await settleSent(now).catch((err: unknown) =>
        logger.warn(
          { err: (err as Error).message },
          'sent information requests not settled by the intake this time; tried again in a minute',
        ),
      );
    }
    if (now - cleanedAt > CLEAN_EVERY_MS) {
      await asks.deleteMany({
        state: 'sent',
        kind: 'redrive',
        sentAt: { $lt: new Date(now - KEEP_LONG_MS) },
      });
      // Refused when it was asked, or (by the intake, or its brokers) once sent: 30 days from the refusal.
      await asks.deleteMany({
        state: 'refused',
        $or: [
          { refusedAt: { $lt: new Date(now - KEEP_LONG_MS) } },
          { refusedAt: { $exists: false }, askedAt: { $lt: new Date(now - KEEP_LONG_MS) } },
        ],
      });
      cleanedAt = now;
    }
    // Looked at without the lock first: most passes find nothing, and take no lock.
    if ((await waitingAsks(now)).length === 0) return 0;
    return withLock(store, 'asks', () => sendWaiting());
  };

  /** What waits: queued, or signed a while ago and not marked sent (its signer died, or the store failed). */
  const waitingAsks = (now: number) =>
    findSorted(
      store.engine,
      asks,
      {
        $or: [
          { state: 'queued' },
          { state: 'signed', signedAt: { $lt: new Date(now - RESEND_SIGNED_AFTER_MS) } },
        ],
      },
      { sort: { askedAt: 1 }, limit: BATCH },
    );

  const sendWaiting = async (): Promise<number> => {
    let sent = 0;
    // Read again under the lock: another instance may have sent them meanwhile.
    for (const ask of await waitingAsks(clock())) {
      let signed: StoredAsk | undefined;
      try {
        signed = ask.state === 'signed' ? ask : await claim(ask);
        if (!signed) continue;
        await send(signed);
        sent++;
      } catch (err) {
        // The brokers will never take it (a cluster whose message.max.bytes is below the hub's): said, not retried.
        if (signed && brokerErrorType(err) === 'MESSAGE_TOO_LARGE') {
          await refuse(signed, {
            code: 'TOO_LARGE',
            message: `the brokers refuse a record of ${signed.envelope?.length ?? 0} bytes: set their message.max.bytes to ${BROKER_MESSAGE_MAX_BYTES} (infra/production/README.md)`,
          });
          continue;
        }
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

/**
 * The quarantine entries of the coordination node's messages `asks` were sent as, by messageId: read by the
 * origin_quarantinedAt index (HUB's entries since the first of them was signed), then by messageId.
 */
async function intakeRefusals(
  store: Store,
  asks: Pick<StoredAsk, 'messageId' | 'signedAt'>[],
): Promise<Map<string, StoredQuarantine>> {
  const ids = asks.flatMap((a) => a.messageId ?? []);
  if (ids.length === 0) return new Map();
  const signed = asks.flatMap((a) => (a.signedAt ? [a.signedAt.getTime()] : []));
  const entries = await store
    .collection<StoredQuarantine>(COLLECTIONS.quarantine)
    .find(
      {
        origin: HUB_ORIGIN,
        ...(signed.length ? { quarantinedAt: { $gte: Math.min(...signed) - CLOCK_SKEW_MS } } : {}),
        messageId: { $in: ids },
      },
      { projection: { originalBytes: 0 } },
    )
    .toArray();
  return new Map(entries.map((e) => [e.messageId!, e]));
}

/** The broker's error code kafkajs names (a KafkaJSProtocolError's type, also when wrapped as the cause). */
function brokerErrorType(err: unknown): string | undefined {
  for (let e = err as { type?: string; cause?: unknown } | undefined, i = 0; e && i < 4; i++) {
    if (typeof e.type === 'string') return e.type;
    e = e.cause as typeof e;
  }
  return undefined;
}

/** What an ask is, for the log, and its Kafka key: a re-drive keyed by its entry (they stay in order), a request by its id. */
function described(ask: StoredAsk): { fields: Record<string, unknown>; what: string; key: string } {
  return ask.kind === 'redrive'
    ? {
        fields: { redriveId: ask._id, quarantineId: ask.body.quarantineId, askedBy: ask.askedBy.sub },
        what: 're-drive of a quarantine entry',
        key: redriveKey(String(ask.body.quarantineId)),
      }
    : {
        fields: { requestId: ask._id, messageId: ask.messageId, askedBy: ask.askedBy.sub },
        what: 'information request of the coordination node',
        key: ask._id,
      };
}
