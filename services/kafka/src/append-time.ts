// The time the brokers appended a record, where its topic records it (STAMPED in admin.ts).

/** kafkajs' TimestampTypes.LOG_APPEND_TIME, as its record decoder leaves it on each message's batch context. */
const LOG_APPEND_TIME = 1;

/**
 * A consumed message's append time (ms), when its batch carries the brokers' time; undefined when it carries its
 * producer's (a topic made before 2026-12-07, or a message not from kafkajs' decoder), which a sender may choose.
 */
export function appendTimeOf(message: { timestamp: string }): number | undefined {
  const context = (message as { batchContext?: { timestampType?: number } }).batchContext;
  if (context?.timestampType !== LOG_APPEND_TIME) return undefined;
  const ms = Number(message.timestamp);
  return Number.isSafeInteger(ms) && ms > 0 ? ms : undefined;
}
