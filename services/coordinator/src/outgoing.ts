// The messages a batch sends, kept in the order they were added: each either signed already or a request to sign.
// The requests are signed together at the end (Signer.signEncodedAll, on libuv's thread pool), so that the event
// loop keeps serving the store and the broker meanwhile (the next batch's lock and writes among them) and the
// signatures run on both cores.
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

  /** `value` encoded as `messageType`, to be signed by the coordinator with the given message id. */
  sign(topic: string, key: string, messageType: string, value: unknown, messageId: string): void {
    const { payload, fingerprint } = this.registry.encode(messageType, value);
    this.entries.push({
      topic,
      key,
      request: { messageType, schemaFingerprint: fingerprint, payload, messageId },
    });
  }

  /** Messages signed already. */
  addSigned(byTopic: Map<string, Message[]>): void {
    for (const [topic, messages] of byTopic)
      for (const m of messages) this.entries.push({ topic, key: m.key, value: m.value });
  }

  /** Every message signed, by topic, each topic's in the order added. */
  async byTopic(signer: Signer): Promise<Map<string, Message[]>> {
    const toSign = this.entries.filter((e) => e.request);
    const signed = await signer.signEncodedAll(toSign.map((e) => e.request as SignRequest));
    toSign.forEach((e, i) => (e.value = signed[i]?.bytes));
    const out = new Map<string, Message[]>();
    for (const e of this.entries) {
      let list = out.get(e.topic);
      if (!list) out.set(e.topic, (list = []));
      list.push({ key: e.key, value: e.value ?? null });
    }
    return out;
  }
}
