// Retention renewals checked against the store before a batch is stored, as information requests are (requests.ts):
// a renewal of no record the hub keeps (an id mistyped, a record never stored, one erased or being erased), of another
// country's record, or naming another kind of record than the one kept is refused, and its sender told why in the
// receipt.
import type { FieldError } from '@hub/errors';
import { COLLECTIONS, findEach, type Store } from '@hub/store';
import type { Accepted, Outcome, Rejected } from './outcome';
import { CATEGORY, type ErasedSet, type RetentionDoc } from './retention';

/** What a renewal is checked against: the retention entry of the record it names. */
export type RenewedEntry = Pick<RetentionDoc, '_id' | 'subjectType' | 'originCountry'> & {
  /** Its erasure begun (RetentionDoc.erasing), or announced on hub.erasures: it is not renewed. */
  erasing?: unknown;
};

/** The refusal of `renewal` by the entry of the record it names (undefined: none kept), or undefined if none. */
export function renewalRefusal(renewal: Accepted, entry: RenewedEntry | undefined): Rejected | undefined {
  const subjectId = String(renewal.value.subjectId);
  const subjectType = String(renewal.value.subjectType);
  const refuse = (reason: Rejected['reason'], field: FieldError): Rejected => ({
    kind: 'rejected',
    record: renewal.record,
    envelope: renewal.envelope,
    reason,
    detail: `${field.field}: ${field.message}`,
    fields: [field],
  });
  if (!entry)
    return refuse('invalid-content', {
      field: 'subjectId',
      message: `the hub keeps no record ${subjectId} to renew (none was stored under this id, or it was erased)`,
      value: subjectId,
    });
  // A record is its originator's: only its country decides to keep it longer.
  if (entry.originCountry !== renewal.envelope.origin)
    return refuse('country-mismatch', {
      field: 'subjectId',
      message: `${subjectId} is a record of ${entry.originCountry}: only ${entry.originCountry} may renew it`,
      value: subjectId,
    });
  // Its erasure was decided at its review and may have been announced everywhere (the notices go out before its
  // content is deleted): renewed now, it would be kept a whole period after every subscriber erased it.
  if (entry.erasing)
    return refuse('invalid-content', {
      field: 'subjectId',
      message: `the hub keeps no record ${subjectId} to renew (it was erased: its erasure notice went out)`,
      value: subjectId,
    });
  if (entry.subjectType !== subjectType)
    return refuse('invalid-content', {
      field: 'subjectType',
      message: `must be ${entry.subjectType}, the kind of record ${subjectId} is`,
      value: subjectType,
    });
  return undefined;
}

/**
 * `outcomes` with each renewal the store refuses turned into a refusal (renewalRefusal). A record first stored by
 * this very batch (a replay reads a record and its renewal together) counts as kept, by its first message here,
 * as registerRetention will keep it; an entry stored already comes first, as there.
 */
export async function checkRenewals(
  store: Store,
  outcomes: Outcome[],
  /** The erasures this instance knows (hub.erasures, the erasure log): a renewal of one of them is refused as erased. */
  erased?: ErasedSet,
): Promise<Outcome[]> {
  const renewals = outcomes.filter(
    (o): o is Accepted => o.kind === 'accepted' && o.envelope.messageType === 'RetentionRenewal',
  );
  if (renewals.length === 0) return outcomes;
  const entries = new Map<string, RenewedEntry>();
  for (const o of outcomes)
    if (o.kind === 'accepted' && CATEGORY[o.envelope.messageType] && !entries.has(o.subjectId))
      entries.set(o.subjectId, {
        _id: o.subjectId,
        subjectType: o.envelope.messageType,
        originCountry: o.envelope.origin,
      });
  const stored = await findEach(
    store.collection<RetentionDoc>(COLLECTIONS.retention),
    '_id',
    renewals.map((r) => String(r.value.subjectId)),
    { subjectType: 1, originCountry: 1, erasing: 1 },
  );
  for (const d of stored) entries.set(d._id, d);
  // One announced erased whose entry is still there (an erasure cut short that an older version had begun, before
  // entries were marked) is refused as the marked ones are.
  for (const [id, e] of entries)
    if (!e.erasing && erased?.has(id, null)) entries.set(id, { ...e, erasing: true });
  return outcomes.map((o) =>
    o.kind === 'accepted' && o.envelope.messageType === 'RetentionRenewal'
      ? (renewalRefusal(o, entries.get(String(o.value.subjectId))) ?? o)
      : o,
  );
}
