// The coordinator's order to erase a record (an ErasureNotice, retention review) as the node applies it: which record,
// up to which version, and why. It carries no content of the record, so that the node may keep it after the record.

/** An ErasureNotice's fields (schemas/avro/ErasureNotice.v1.avsc). */
export interface ErasureOrder {
  erasureId: string;
  subjectType: string;
  subjectId: string;
  /** The last version erased: the hub passes over any message of a version up to it (never stored or answered). */
  versionsUpTo: number;
  /** The country whose record it was: the node lists the orders for its own country's records only. */
  originCountry: string;
  reasonCode: string;
  /** When the coordinator ordered it (ms). */
  orderedAt: number;
}

/** The order an ErasureNotice's decoded value gives; undefined when it names no record (nothing to apply). */
export function erasureOrderOf(value: Record<string, unknown>): ErasureOrder | undefined {
  if (typeof value.subjectId !== 'string' || value.subjectId === '') return undefined;
  return {
    erasureId: String(value.erasureId),
    subjectType: String(value.subjectType),
    subjectId: value.subjectId,
    versionsUpTo: typeof value.versionsUpTo === 'number' ? value.versionsUpTo : 0,
    originCountry: String(value.originCountry),
    reasonCode: String(value.reasonCode),
    orderedAt: Number(value.orderedAt),
  };
}

/** The order as the node's API shows it (orderedAt as an ISO date-time, as the node's other times are). */
export function erasureView(order: ErasureOrder) {
  return {
    erasureId: order.erasureId,
    subjectType: order.subjectType,
    reasonCode: order.reasonCode,
    versionsUpTo: order.versionsUpTo,
    orderedAt: Number.isFinite(order.orderedAt) ? new Date(order.orderedAt).toISOString() : null,
  };
}
