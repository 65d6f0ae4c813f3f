// The messages a batch sends, kept in the order they were added: each either signed already or a request to sign.
// The requests are signed together at the end (Signer.signEncodedAll, on libuv's thread pool: one RSA-PSS signature
// for all of them with batch signatures, ADR 006), so that the event loop keeps serving the store and the broker
// meanwhile (the next batch's lock and writes among them).
import type { Signer, SignRequest } from '@hub/envelope';
import type { Message } from '@hub/kafka';
import type { SchemaRegistry } from '@hub/schemas';

interface Entry {
  topic: string;
  key: Message['key'];
  value?: Message['value'];
  request?: SignRequest;
}

export class Outgoing {
  private readonly entries: Entry[] = [];

  constructor(private readonly registry: SchemaRegistry) {}

  /**
   * `value` encoded as `messageType`, to be signed by the coordinator with the given message id: signed once, and
   * the same signed bytes sent to each of `topics`.
   */
  sign(topics: string | string[], key: string, messageType: string, value: unknown, messageId: string): void {
    const { payload, fingerprint } = this.registry.encode(messageType, value);
    const request = { messageType, schemaFingerprint: fingerprint, payload, messageId };
    for (const topic of typeof topics === 'string' ? [topics] : topics)
      this.entries.push({ topic, key, request });
  }

  /** Messages signed already. */
  addSigned(byTopic: Map<string, Message[]>): void {
    for (const [topic, messages] of byTopic)
      for (const m of messages) this.entries.push({ topic, key: m.key, value: m.value });
  }

  /** Every message signed, by topic, each topic's in the order added. */
  async byTopic(signer: Signer): Promise<Map<string, Message[]>> {
    const requests = [...new Set(this.entries.flatMap((e) => (e.request ? [e.request] : [])))];
    const signed = await signer.signEncodedAll(requests);
    const bytesOf = new Map(requests.map((r, i) => [r, signed[i]?.bytes]));
    for (const e of this.entries) if (e.request) e.value = bytesOf.get(e.request);
    const out = new Map<string, Message[]>();
    for (const e of this.entries) {
      let list = out.get(e.topic);
      if (!list) out.set(e.topic, (list = []));
      list.push({ key: e.key, value: e.value ?? null });
    }
    return out;
  }
}
