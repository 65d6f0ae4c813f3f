// One submission path for every adapter: validate → encode (Avro) → sign → durable outbox → publisher.
import type { Signer } from '@hub/envelope';
import type { SchemaRegistry } from '@hub/schemas';
import type { OutboxLog } from './outbox/log';
import type { Publisher } from './outbox/publisher';

export interface Submitter {
  /**
   * Sign `value` as `messageType` and make it durable; resolves once it is in the outbox. `bodyDigest`: of the
   * agency's body it was made from, kept with it so that the same body re-sent is known after a crash.
   */
  submit(
    messageType: string,
    key: string,
    value: unknown,
    bodyDigest?: string,
  ): Promise<{ messageId: string }>;
}

export function createSubmitter(deps: {
  registry: SchemaRegistry;
  signer: Signer;
  log: OutboxLog;
  publisher: Publisher;
}): Submitter {
  return {
    async submit(messageType, key, value, bodyDigest) {
      const { payload, fingerprint } = deps.registry.encode(messageType, value);
      // Signed on libuv's thread pool: the event loop goes on serving other requests (and the outbox's writes)
      // meanwhile. With batch signatures (HUB_SIGNATURE_BATCH), concurrent requests share one signature.
      const { envelope, bytes } = await deps.signer.signEncodedAsync({
        messageType,
        schemaFingerprint: fingerprint,
        payload,
      });
      const record = await deps.log.append(key, bytes, bodyDigest);
      deps.publisher.enqueue(record);
      return { messageId: envelope.messageId };
    },
  };
}
