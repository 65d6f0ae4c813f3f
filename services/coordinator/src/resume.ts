// What a chunk's locked stage decided (storing, read models, correlation), recorded at its end under the lock, so
// that a chunk redelivered after a crash between that stage and its answers is only answered again: its outcomes,
// alerts and the handling of its subjects come from here instead of from the store, which on FerretDB would decode
// whole collections (10-30 s a chunk at 40,000 stored, growing with the store).
//
// One document per consumer group and intake partition (_id as in intake_progress), replaced by each chunk, its body
// one binary field: FerretDB reads and replaces by scanning the collection, and a binary is cheap to decode.
import { COLLECTIONS, type Handled, type Store } from '@hub/store';
import type { AlertRecord } from './correlate';
import type { Outcome, Rejected } from './outcome';

/** The handling of a subject as stored, with its origin: what the feeds need. */
export type SubjectHandling = Handled & { originCountry: string };

/**
 * The format of the record, in its body: 1 since the chunk's feed decisions are recorded in it (`feed:` keys of
 * handlingOf). A record without it (written by a coordinator before 2026-12-07) decided nothing about the feeds: its
 * chunk is not answered from it (resumedOutcomes), but processed in full, as a redelivery, so that the versions it
 * claimed go on the feeds.
 */
const FORMAT = 1;

export interface LockedStage {
  /** The record's format (FORMAT); absent in a record written before it had one. */
  feeds?: number;
  /** offset → digest of the message's bytes (as in intake_progress): the messages this record speaks for. */
  done: Record<string, string>;
  /** offset → the rejection decided for it; offsets of `done` not here and not in `skipped` were accepted. */
  rejected: Record<string, Pick<Rejected, 'reason' | 'detail' | 'fields'>>;
  /** Offsets of messages not stored and not answered (messages of erased records). */
  skipped: string[];
  alerts: AlertRecord[];
  /**
   * Distinct handlings, and which of them each subject has (by subject id); also, under `feed:<subject id>:<message
   * id>`, the handling under which a version goes on the feeds (coordinator.ts, feedDecisions).
   */
  handlings: SubjectHandling[];
  handlingOf: Record<string, number>;
}

export interface LockedStageDoc {
  _id: string;
  body: Buffer;
  at: Date;
}

export function encodeLockedStage(
  done: Record<string, string>,
  answered: Outcome[],
  alerts: AlertRecord[],
  handlings: Map<string, SubjectHandling>,
): Buffer {
  const rejected: LockedStage['rejected'] = {};
  for (const o of answered)
    if (o.kind === 'rejected')
      rejected[o.record.offset] = {
        reason: o.reason,
        detail: o.detail,
        ...(o.fields ? { fields: o.fields } : {}),
      };
  const answeredOffsets = new Set(answered.map((o) => o.record.offset));
  const distinct = new Map<string, number>();
  const list: SubjectHandling[] = [];
  const handlingOf: Record<string, number> = {};
  for (const [id, h] of handlings) {
    const key = JSON.stringify(h);
    let i = distinct.get(key);
    if (i === undefined) {
      distinct.set(key, (i = list.length));
      list.push(h);
    }
    handlingOf[id] = i;
  }
  const stage: LockedStage = {
    feeds: FORMAT,
    done,
    rejected,
    skipped: Object.keys(done).filter((offset) => !answeredOffsets.has(offset)),
    alerts,
    handlings: list,
    handlingOf,
  };
  return Buffer.from(JSON.stringify(stage), 'utf8');
}

/** The record's body as read back: a Buffer (the store promotes binaries to Buffers) or a BSON Binary. */
export function decodeLockedStage(body: Buffer | { buffer: Uint8Array }): LockedStage {
  return JSON.parse(bodyBytes(body).toString('utf8')) as LockedStage;
}

const bodyBytes = (body: Buffer | { buffer: Uint8Array }): Buffer =>
  Buffer.isBuffer(body) ? body : Buffer.from(body.buffer);

/**
 * The outcomes the locked stage decided for `classified` (the same messages classified again), or undefined when the
 * classification no longer agrees with it (a message accepted then is refused now, say because its signer's key was
 * revoked as of a time before it signed it; one revoked or expired since it was signed keeps its verdict,
 * classifyBatch), or the record is of an older format (FORMAT): the chunk is then processed in full, as without this
 * record.
 */
export function resumedOutcomes(stage: LockedStage, classified: Outcome[]): Outcome[] | undefined {
  if (stage.feeds !== FORMAT) return undefined;
  const skipped = new Set(stage.skipped);
  const out: Outcome[] = [];
  for (const o of classified) {
    const offset = o.record.offset;
    if (!(offset in stage.done)) return undefined;
    if (skipped.has(offset)) continue;
    const rejection = stage.rejected[offset];
    if (rejection) out.push({ kind: 'rejected', record: o.record, envelope: o.envelope, ...rejection });
    else if (o.kind === 'accepted') out.push(o);
    else return undefined;
  }
  return out;
}

/** The handling of each subject the locked stage recorded. */
export function recordedHandlings(stage: LockedStage): Map<string, SubjectHandling> {
  return new Map(
    Object.entries(stage.handlingOf).flatMap(([id, i]) => {
      const h = stage.handlings[i];
      return h ? [[id, h] as const] : [];
    }),
  );
}

/** The _ids of the locked-stage records that name `subjectId` (a handful of documents: one per group and partition). */
export async function lockedStagesNaming(store: Store, subjectId: string): Promise<string[]> {
  return (await lockedStagesNamingEach(store, [subjectId])).get(subjectId)!;
}

/** For each of `subjectIds`, the _ids of the locked-stage records that name it, in one read of them. */
export async function lockedStagesNamingEach(
  store: Store,
  subjectIds: readonly string[],
): Promise<Map<string, string[]>> {
  const docs = await store.collection<LockedStageDoc>(COLLECTIONS.intakeLockedStages).find({}).toArray();
  const bodies = docs.map((d) => ({ _id: d._id, body: bodyBytes(d.body) }));
  return new Map(subjectIds.map((id) => [id, bodies.filter((d) => d.body.includes(id)).map((d) => d._id)]));
}

/**
 * Per partition of the intake, which chunks may be the redelivery of a chunk stored before and never answered (here,
 * or by a member that died or lost the partition): what such a chunk claimed is the redelivered chunk's own, and its
 * feed records were never sent. Not only the first chunk after a start, a join or a failure: a chunk stored and never
 * answered that no locked-stage record can answer (one with renewal notices writes none; a crash may come between
 * storing and the record) may come back split, the first fetch after the restart being shorter. A partition's chunks
 * go one after another, each at most `chunkSize` messages from the offset committed, so such a chunk lies within the
 * first `chunkSize` messages read after the start.
 */
export class RedeliveryWindow {
  /**
   * Per partition, how many messages after those already passed may still belong to such a chunk; absent until a
   * chunk after a start, a join or a failure. Messages, not offsets: offsets may leave gaps (a transaction marker, a
   * compacted record), which would let the tail of a dead chunk fall outside a window of offsets.
   */
  private readonly left = new Map<string, number>();

  constructor(private readonly chunkSize: number) {}

  /**
   * Whether the chunk of `partition` of `count` messages, the next after those passed, may be a redelivery; `answered`
   * once its messages are sent. Until then the window is closed: should the chunk fail, the next one (the same
   * messages, read again) opens it anew.
   */
  begin(partition: string, count: number): { redelivered: boolean; answered: () => void } {
    const left = this.left.get(partition) ?? this.chunkSize;
    this.left.delete(partition);
    return {
      redelivered: left > 0,
      answered: () => void this.left.set(partition, Math.max(0, left - count)),
    };
  }

  /** After a join: every partition may have been another member's meanwhile. */
  clear(): void {
    this.left.clear();
  }
}
