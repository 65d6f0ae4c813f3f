// Moving a store's collections into another database, for `hub replay --replace`: the live database is rebuilt
// beside itself and, only once the comparison finds nothing lost, its collections are replaced by the rebuilt ones.
// Copied document by document, in bounded batches: plain reads and inserts, which MongoDB and FerretDB alike take,
// rather than a rename across databases, which not every store we run on may do.
import { BSON } from 'mongodb';
import { HubError } from '@hub/errors';
import { COLLECTIONS, type Store } from '@hub/store';

/** Documents sent to the target in one insert at most, and bytes (envelopes may be 1 MiB each). */
const BATCH_DOCS = 500;
const BATCH_BYTES = 8 * 1024 * 1024;

/**
 * The live database's mark of a swap begun and not finished (`meta`, this _id): written before its first collection
 * is dropped, deleted once every one is copied. While it is there the live database is half old, half rebuilt, and the
 * database it names (`from`) holds the only whole copy of the rebuilt store.
 */
export const SWAP_MARK = 'replay-swap';

export interface SwapMark {
  _id: typeof SWAP_MARK;
  /** The database being copied in: the rebuilt store. */
  from: string;
  startedAt: Date;
}

/** The names of a store's collections (FerretDB and MongoDB alike), system ones left out. */
export async function collectionNames(store: Store): Promise<string[]> {
  return (await store.db.listCollections({}, { nameOnly: true }).toArray())
    .map((c) => c.name)
    .filter((n) => !n.startsWith('system.'))
    .sort();
}

/**
 * Replaces `name` in `to` by a copy of `from`'s (emptied in `to` when `from` has none). Returns how many copied.
 * Documents whose _id is in `keep` stay in `to` as they are, and are not copied from `from`: the collection is then
 * emptied of the rest rather than dropped.
 */
export async function copyCollection(
  from: Store,
  to: Store,
  name: string,
  keep: readonly string[] = [],
): Promise<number> {
  if (keep.length) await to.db.collection<{ _id: string }>(name).deleteMany({ _id: { $nin: [...keep] } });
  else
    await to.db.dropCollection(name).catch((err: { codeName?: string }) => {
      if (err.codeName !== 'NamespaceNotFound') throw err;
    });
  const target = to.db.collection<{ _id: string }>(name);
  let batch: { _id: string }[] = [];
  let bytes = 0;
  let copied = 0;
  const flush = async () => {
    if (batch.length) await target.insertMany(batch, { ordered: true });
    copied += batch.length;
    batch = [];
    bytes = 0;
  };
  const source = keep.length ? { _id: { $nin: [...keep] } } : {};
  for await (const doc of from.db.collection<{ _id: string }>(name).find(source)) {
    batch.push(doc);
    bytes += BSON.calculateObjectSize(doc);
    if (batch.length >= BATCH_DOCS || bytes >= BATCH_BYTES) await flush();
  }
  await flush();
  return copied;
}

/** The mark of a swap into `live` begun and not finished, or null. */
export async function unfinishedSwap(live: Store): Promise<SwapMark | null> {
  return live.collection<SwapMark>(COLLECTIONS.meta).findOne({ _id: SWAP_MARK });
}

/** What finishes a swap by hand, without a replay: the rebuilt store copied whole, then the mark deleted. */
export function swapByHand(live: string, from: string): string {
  return (
    `mongodump --db ${from} --excludeCollection audit --excludeCollection asks, then mongorestore --drop ` +
    `--nsFrom '${from}.*' --nsTo '${live}.*', then delete the mark if it is still there (mongosh: ` +
    `db.getSiblingDB('${live}').meta.deleteOne({ _id: '${SWAP_MARK}' }))`
  );
}

/**
 * Refuses a replay that would destroy the only whole copy of a half-done swap: one rebuilding into the database the
 * swap copies from (a replay drops its target first), or any `--replace` (which would start from the erasure log and
 * review dates of the half-copied live database, and compare with it).
 */
export async function refuseWhileSwapUnfinished(
  live: Store,
  target: string,
  replace: boolean,
): Promise<void> {
  const mark = await unfinishedSwap(live);
  if (mark === null || (!replace && target !== mark.from)) return;
  const name = live.db.databaseName;
  throw new HubError(
    'REPLAY_INCOMPLETE',
    `database ${name} is half replaced: a hub replay --replace began copying database ${mark.from} into it at ` +
      `${new Date(mark.startedAt).toISOString()} and did not finish (meta ${SWAP_MARK} says so), and ${mark.from} ` +
      `holds the only whole copy of the rebuilt store. ${replace ? '--replace' : `Rebuilding into ${target}`} would ` +
      `${replace ? 'start from the half-copied database' : 'drop that copy'}: finish the swap first, with hub replay ` +
      `--resume-swap (it copies ${mark.from} again, then drops it), or by hand: ${swapByHand(name, mark.from)}`,
  );
}

/**
 * Replaces the collections of `live` (all but `leftInLive`) by those of `rebuilt`, marked (SWAP_MARK) from before the
 * first is dropped until the last is copied, so that a swap that fails half-way is finished before anything replays
 * again. Resumes one so marked: the mark's first time is kept. Returns how many documents were copied.
 */
export async function swapIn(
  rebuilt: Store,
  live: Store,
  leftInLive: ReadonlySet<string>,
  now: Date,
): Promise<number> {
  const meta = live.collection<{ _id: string } & Partial<Omit<SwapMark, '_id'>>>(COLLECTIONS.meta);
  const from = rebuilt.db.databaseName;
  const mark = await unfinishedSwap(live);
  if (mark !== null && mark.from !== from)
    throw new HubError(
      'REPLAY_INCOMPLETE',
      `database ${live.db.databaseName} is half replaced from database ${mark.from}, not ${from}: finish that swap ` +
        `first (${swapByHand(live.db.databaseName, mark.from)})`,
    );
  if (mark === null) await meta.insertOne({ _id: SWAP_MARK, from, startedAt: now });
  const names = await collectionNames(rebuilt);
  for (const name of await collectionNames(live))
    if (!leftInLive.has(name) && !names.includes(name))
      if (name === COLLECTIONS.meta) await meta.deleteMany({ _id: { $ne: SWAP_MARK } });
      else await live.db.dropCollection(name);
  let copied = 0;
  for (const name of names)
    if (!leftInLive.has(name))
      copied += await copyCollection(rebuilt, live, name, name === COLLECTIONS.meta ? [SWAP_MARK] : []);
  await live.ensureIndexes();
  await meta.deleteOne({ _id: SWAP_MARK });
  return copied;
}
