// Read-model buckets (statistics by country, drug and month; route legs) are written as new versions, never updated
// in place: a batch inserts each changed bucket as `<bucket>#<rev>` beside the version before, which goes later, with
// others, in one delete (see the coordinator's bucket cache). On FerretDB 1.24 a delete reads and decodes the whole
// collection whatever it deletes (and an update too): a batch that deleted the buckets it rewrote paid that twice,
// and it grew with the buckets (39,000 stats buckets at 1,000,000 reports). Readers therefore take each bucket's
// latest version, and a bucket whose latest version counts nothing is gone. Buckets stored before versions have their
// key as _id and no `bucket` field.
import type { Collection, Document, Filter } from 'mongodb';

export interface Versioned {
  _id: string;
  bucket?: string;
  rev?: number;
  count?: number;
}

/** The bucket a stored version belongs to. */
export const bucketKey = (doc: Versioned): string => doc.bucket ?? doc._id;

/** The _id of a bucket's version. */
export const versionId = (bucket: string, rev: number): string => `${bucket}#${rev}`;

/** A version that counts nothing: the bucket is gone (kept until the versions before it are deleted). */
export const isTombstone = (doc: Versioned): boolean => typeof doc.count === 'number' && doc.count <= 0;

/** Each bucket's latest version among `docs`, and the ids of the versions it supersedes. */
export function latestVersions<T extends Versioned>(
  docs: T[],
): { latest: Map<string, T>; superseded: string[] } {
  const latest = new Map<string, T>();
  const superseded: string[] = [];
  for (const doc of docs) {
    const key = bucketKey(doc);
    const held = latest.get(key);
    if (!held) latest.set(key, doc);
    else if ((doc.rev ?? 0) > (held.rev ?? 0)) {
      superseded.push(held._id);
      latest.set(key, doc);
    } else superseded.push(doc._id);
  }
  return { latest, superseded };
}

/**
 * The buckets as they stand: the latest version of each, without the ones gone, with the bucket's key as _id and
 * the bookkeeping fields (version, journal) left out.
 */
export function currentBuckets<T extends Versioned>(docs: T[]): T[] {
  return [...latestVersions(docs).latest.values()]
    .filter((d) => !isTombstone(d))
    .map((d) => {
      const { bucket, rev: _rev, journal: _journal, ...rest } = d as T & { journal?: unknown };
      return { ...rest, _id: bucket ?? d._id } as unknown as T;
    });
}

/** Find buckets (any filter on their fields) and return them as they stand (currentBuckets). */
export async function findBuckets<T extends Versioned & Document>(
  collection: Collection<T>,
  filter: Filter<T> = {},
): Promise<T[]> {
  return currentBuckets((await collection.find(filter).toArray()) as T[]);
}

/**
 * Every stored version of these buckets (those stored before versions under the key itself), in one read per 1,000
 * keys (on FerretDB a decode of the whole collection each): each one's latest, and the ids of those it supersedes.
 */
export async function readVersions<T extends Versioned & Document>(
  collection: Collection<T>,
  keys: string[],
): Promise<{ latest: Map<string, T>; superseded: string[] }> {
  const docs: T[] = [];
  for (let i = 0; i < keys.length; i += 1000) {
    const some = keys.slice(i, i + 1000);
    const filter = { $or: [{ bucket: { $in: some } }, { _id: { $in: some } }] } as Filter<T>;
    docs.push(...((await collection.find(filter).toArray()) as T[]));
  }
  return latestVersions(docs);
}
