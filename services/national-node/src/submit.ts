// One submission path for every adapter: validate → encode (Avro) → sign → durable outbox → publisher.
import type { Signer } from '@hub/envelope';
import type { HubError } from '@hub/errors';
import type { SchemaRegistry } from '@hub/schemas';
import type { OutboxLog, RecordExtras } from './outbox/log';
import type { Publisher } from './outbox/publisher';

export interface Submitter {
  /**
   * Sign `value` as `messageType` and make it durable; resolves once it is in the outbox. `extras`: the digest of
   * the agency's body it was made from and what the node normalised in it, kept with it so that the same body re-sent
   * is known, and the receipt's notes given, after a crash.
   */
  submit(
    messageType: string,
    key: string,
    value: unknown,
    extras?: RecordExtras,
  ): Promise<{ messageId: string }>;
}

export function createSubmitter(deps: {
  registry: SchemaRegistry;
  signer: Signer;
  log: OutboxLog;
  publisher: Publisher;
  /** Why nothing may be signed now (the node's certificate expired or was revoked), or undefined. */
  mayNotSign?: () => HubError | undefined;
}): Submitter {
  return {
    async submit(messageType, key, value, extras) {
      const refusal = deps.mayNotSign?.();
      if (refusal) throw refusal;
      const { payload, fingerprint } = deps.registry.encode(messageType, value);
      // Signed on libuv's thread pool: the event loop goes on serving other requests (and the outbox's writes)
      // meanwhile. With batch signatures (HUB_SIGNATURE_BATCH), concurrent requests share one signature.
      const { envelope, bytes } = await deps.signer.signEncodedAsync({
        messageType,
        schemaFingerprint: fingerprint,
        payload,
      });
      const record = await deps.log.append(key, bytes, extras);
      deps.publisher.enqueue(record);
      return { messageId: envelope.messageId };
    },
  };
}
