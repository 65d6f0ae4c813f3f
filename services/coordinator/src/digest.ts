// A digest of the consolidated store's state, for comparing a replayed store with the live one. Times of
// processing (when a message happened to be received, an alert created) are left out; everything derived from the
// messages themselves is in.
import { createHash } from 'node:crypto';
import { COLLECTIONS, findBuckets, type Store } from '@hub/store';

const VOLATILE = new Set([
  'rev',
  'journal',
  'receivedAt',
  'supersededAt',
  'createdAt',
  'published',
  'acceptedAt',
  'offset',
  'partition',
  // What the intake answered (answers dropped from a request read out of order), not what the messages say: a replay,
  // reading in order, makes no such entry (requests.ts, RequestWithDrops).
  'droppedAnswers',
]);

function canonical(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('hex');
  const bin = value as { _bsontype?: string; buffer?: Uint8Array };
  if (bin._bsontype === 'Binary' && bin.buffer) return Buffer.from(bin.buffer).toString('hex');
  if (Array.isArray(value)) return value.map(canonical);
  return Object.fromEntries(
    Object.keys(value)
      .filter((k) => !VOLATILE.has(k))
      .sort()
      .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
  );
}

export const DIGESTED = [
  COLLECTIONS.envelopes,
  COLLECTIONS.reports,
  COLLECTIONS.reportVersions,
  COLLECTIONS.annualReturns,
  COLLECTIONS.statsMonthly,
  COLLECTIONS.routeLegs,
  COLLECTIONS.routes,
  // Statuses and escalations included: the coordinator records each escalation on its own topic
  // (hub.node.HUB.out) and the intake applies it from there, so they derive from the messages like the rest.
  COLLECTIONS.requests,
] as const;
// Alerts and match keys are left out: an alert names the matching reports known when it was raised, and a key seen
// only by a version that a later one replaced within the same batch is never written, so both depend on how
// arrivals were batched (a replay reads topic by topic). What they are derived from is in the digest.

const BUCKETS = new Set<string>([COLLECTIONS.statsMonthly, COLLECTIONS.routeLegs]);

/** sha256 per collection and overall, with document counts. */
export async function storeDigest(
  store: Store,
): Promise<{ digest: string; collections: Record<string, { count: number; sha256: string }> }> {
  const all = createHash('sha256');
  const collections: Record<string, { count: number; sha256: string }> = {};
  for (const name of DIGESTED) {
    const h = createHash('sha256');
    let count = 0;
    const target = store.collection<Record<string, unknown> & { _id: string }>(name);
    const docs: AsyncIterable<Record<string, unknown>> | Record<string, unknown>[] = BUCKETS.has(name)
      ? // Buckets as they stand (their latest versions, by key): how many versions a batching left is not state.
        (await findBuckets(target)).sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0))
      : target.find({}).sort({ _id: 1 });
    for await (const doc of docs) {
      h.update(JSON.stringify(canonical(doc)));
      h.update('\n');
      count++;
    }
    const sha256 = h.digest('hex');
    collections[name] = { count, sha256 };
    all.update(`${name}:${sha256}\n`);
  }
  return { digest: all.digest('hex'), collections };
}
