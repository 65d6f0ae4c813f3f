// A message as the intake accepts it, for unit tests of what the coordinator does with accepted messages.
import { randomUUID } from 'node:crypto';
import type { Envelope } from '@hub/envelope';
import type { Accepted } from '../src/outcome';

let offset = 0;

/** A message as the intake accepts it, from `country`'s node, signed at `signedAt` (each at the next offset). */
export function acceptedMessage(
  country: string,
  messageType: string,
  value: Record<string, unknown>,
  subjectId: string,
  signedAt: number,
): Accepted {
  const messageId = randomUUID();
  return {
    kind: 'accepted',
    record: {
      topic: `hub.node.${country}.out`,
      partition: 0,
      offset: String(offset++),
      key: subjectId,
      bytes: Buffer.from(messageId),
    },
    envelope: { messageId, messageType, origin: country, signedAt } as Envelope,
    signer: { fingerprint: `fp-${country}`, country, agency: `${country} customs`, certificatePem: '' },
    sha256: messageId,
    value,
    subjectId,
    subjectVersion: value.version as number,
    flags: [],
  };
}
