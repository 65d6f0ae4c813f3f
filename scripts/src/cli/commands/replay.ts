// `hub replay`: rebuild the consolidated store and its read models from the Kafka topics.
import { randomBytes } from 'node:crypto';
import { databaseNameProblem, loadConfig } from '@hub/config';
import { HubError } from '@hub/errors';
import { createKafka, topicNames } from '@hub/kafka';
import type { Admin } from 'kafkajs';
import { COLLECTIONS, connectStore, type Store } from '@hub/store';
import type { Command } from '../command';
import { parse, refuseExtra, say } from '../command';
import { connectAdmin, reachBrokers } from '../brokers';
import { cliLogger } from '../cli-logger';
import { wholeNumber } from '../../run/whole-number';
import { describeLoss, storeLosses } from '../../run/replay-records';
import {
  copyCollection,
  refuseWhileSwapUnfinished,
  swapByHand,
  swapIn,
  unfinishedSwap,
} from '../../run/replay-swap';

const USAGE = `hub replay [--into <database>] [--replace] [--timeout <seconds>]
hub replay --resume-swap

Reads every national node's topic (hub.node.<CC>.out) and the coordination node's own (hub.node.HUB.out: the
requests it made, the escalations it recorded) from the beginning through the coordinator's own verification,
storage and read-model code, into a fresh database, without sending any receipt, alert, feed record or escalation
again. Two passes: every message but the responses to information requests and the escalations, then those, so
that each finds the request it concerns. Then prints a digest of the rebuilt store beside the live one's
(processing times left out): equal digests mean the topics and the store agree.

  --into      database to rebuild into (default: <live database>-replay; dropped first)
  --replace   rebuild the live database itself (stop the coordinator first: refused while one runs; not with
              --into). It is rebuilt into <live database>-replay first and compared record by record: only when
              the rebuilt store lacks no record of the live one (reports, their versions, routes, annual returns,
              information requests; erased ones aside) and gives none another country are the live database's
              collections replaced by the rebuilt ones; otherwise the live database is left as it was, each record
              named, and the exit status is 1. What the topics do not hold is kept: the audit log, the erasure log,
              the review dates of retention and the coordinators' queued asks. Refused when the brokers have deleted
              any of the topics' records. Should the swap fail half-way, the live database is marked (meta
              replay-swap) and <live database>-replay holds the only whole copy: every replay into it, and every
              --replace, is refused until the swap is finished (--resume-swap).
  --resume-swap
              finish a --replace whose swap failed half-way: copy <live database>-replay into the live database
              again, then drop it (stop the coordinator first: refused while one runs). Nothing is replayed.
  --timeout   give up after this many seconds, a whole number from 1 (default 1800)

Each record is judged as of the time the brokers appended it, as the live coordinator judged it when it came: a
certificate that has expired or been revoked since does not undo it (records of topics made before 2026-12-07
carry their producer's time and are judged as of now).

Exit status: 0 rebuilt (and, without --replace, equal to the live store; with --replace, nothing of it lost and
swapped in), 1 digests differ (with --replace: records lost or given another country, the live database left as it
was), 2 usage error.`;

/** The options of `hub replay`, checked before anything connects. */
export function replayOptions(args: string[]): {
  into?: string;
  replace: boolean;
  resumeSwap: boolean;
  timeoutMs: number;
} {
  const { values, positionals } = parse(
    args,
    {
      into: { type: 'string' },
      replace: { type: 'boolean' },
      'resume-swap': { type: 'boolean' },
      timeout: { type: 'string' },
    },
    USAGE,
  );
  refuseExtra(
    positionals,
    'hub replay takes options only (the database to rebuild into is --into <database>)',
    USAGE,
  );
  if (values.replace === true && values.into !== undefined)
    throw new HubError(
      'USAGE',
      `--replace and --into ${JSON.stringify(values.into)} exclude each other: --replace rebuilds the live database ` +
        `(through <live database>-replay), --into rebuilds another one and leaves the live one alone; give one of ` +
        `them\nusage: ${USAGE}`,
    );
  const others = [
    values.into !== undefined && `--into ${JSON.stringify(values.into)}`,
    values.replace === true && '--replace',
    values.timeout !== undefined && `--timeout ${JSON.stringify(values.timeout)}`,
  ].filter((o): o is string => typeof o === 'string');
  if (values['resume-swap'] === true && others.length > 0)
    throw new HubError(
      'USAGE',
      `--resume-swap takes no other option, got ${others.join(', ')}: it replays nothing, only finishes the copy of ` +
        `<live database>-replay into the live database\nusage: ${USAGE}`,
    );
  const problem = values.into === undefined ? undefined : databaseNameProblem(values.into);
  if (problem)
    throw new HubError('USAGE', `--into ${problem}, got ${JSON.stringify(values.into)}\nusage: ${USAGE}`);
  return {
    into: values.into,
    replace: values.replace === true,
    resumeSwap: values['resume-swap'] === true,
    timeoutMs:
      wholeNumber('--timeout', values.timeout, 1800, { min: 1, unit: 'seconds', usage: USAGE }) * 1000,
  };
}

/**
 * What `--replace` keeps, as no topic holds it. The erasure log and the review dates are read by the rebuild (erased
 * records stay erased, renewed dates stay renewed): copied into it first, and back with the rest. The audit log and
 * the queued asks, which the query API may write meanwhile, are left in the live database as they are.
 */
const SEEDED_FROM_LIVE: readonly string[] = [COLLECTIONS.erasures, COLLECTIONS.retention];
const LEFT_IN_LIVE: ReadonlySet<string> = new Set([COLLECTIONS.audit, COLLECTIONS.asks]);
/** Collections `--replace` keeps: what the topics do not hold. */
export const KEPT_ON_REPLACE: ReadonlySet<string> = new Set([...SEEDED_FROM_LIVE, ...LEFT_IN_LIVE]);

/** Most records a refused `--replace` names one by one (the count says how many more). */
const LOSSES_SHOWN = 50;

/**
 * `--replace` rebuilds the live database: refused while a coordinator (a member of its group) writes to it. Checked
 * at the start, and again before the comparison and before the swap: one started meanwhile would write records the
 * swap then drops.
 */
async function refuseWhileCoordinatorRuns(admin: Admin, groupId: string): Promise<void> {
  const { groups } = await admin.describeGroups([groupId]);
  const members = groups.find((g) => g.groupId === groupId)?.members.length ?? 0;
  if (members > 0)
    throw new HubError(
      'USAGE',
      `a coordinator is running (${members} member${members === 1 ? '' : 's'} in consumer group ${groupId}): stop ` +
        `every coordinator before --replace, which rebuilds the database they write to`,
    );
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 'rebuild the store from the Kafka topics and compare it with the live one',
  usage: USAGE,
  async run(args) {
    const { into, replace, resumeSwap, timeoutMs } = replayOptions(args);
    const log = say('replay');
    const config = loadConfig();
    const live = config.mongo.dbName;
    if (resumeSwap) return resumeUnfinishedSwap(config, log);
    // --replace rebuilds beside the live database too, and replaces it only once nothing of it is found lost.
    const target = into ?? `${live}-replay`;
    if (target === live)
      throw new HubError('USAGE', `--into names the live database; use --replace to rebuild it in place`);
    const targetProblem = into === undefined ? databaseNameProblem(target) : undefined;
    if (targetProblem)
      throw new HubError(
        'USAGE',
        `the database to rebuild into, ${target} (the live database's name and -replay), ${targetProblem}: give --into <database>\nusage: ${USAGE}`,
      );
    const logger = cliLogger('replay', config);
    const names = topicNames(config.namespace);
    await reachBrokers(config, 'replay');

    // What there is to read, as of now.
    const kafka = createKafka({
      brokers: config.kafka.brokers,
      clientId: `${config.kafka.clientId}-replay`,
      logger,
      security: config.kafka.security,
    });
    const admin = kafka.admin();
    await connectAdmin(admin, config, 'replay');
    const topics = (await admin.listTopics()).filter((t) => names.nodeOutPattern.test(t)).sort();
    const ends = new Map<string, Map<number, bigint>>();
    const starts = new Map<string, Map<number, bigint>>();
    let total = 0n;
    const gone: string[] = [];
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      ends.set(topic, new Map(offsets.map((o) => [o.partition, BigInt(o.high)])));
      starts.set(topic, new Map(offsets.map((o) => [o.partition, BigInt(o.low)])));
      for (const o of offsets) {
        total += BigInt(o.high) - BigInt(o.low);
        if (BigInt(o.low) > 0n) gone.push(`${topic} partition ${o.partition}: its first ${o.low} messages`);
      }
    }
    if (gone.length) {
      const detail = `the brokers have deleted records the live store was built from (${gone.join('; ')})`;
      if (replace)
        throw new HubError(
          'REPLAY_INCOMPLETE',
          `${detail}: --replace would lose what they held from the live store; rebuild into another database ` +
            `(--into) to compare, and keep the topics' records for ever (retention.ms=-1) from now on`,
        );
      log(`warning: ${detail}; the rebuilt store lacks them`);
    }
    log(
      `${topics.length} national topics, ${total} messages to replay into database ${target}` +
        (replace ? `, to replace ${live} with if nothing of it is lost` : ''),
    );

    const { startCoordinator, storeDigest } = await import('@hub/coordinator');
    if (replace) await refuseWhileCoordinatorRuns(admin, names.group('coordinator'));
    // A swap that failed half-way left the only whole copy of the rebuilt store in the database it copied from.
    const liveMarked = await connectStore({ url: config.mongo.url, dbName: live, appName: 'replay' });
    try {
      await refuseWhileSwapUnfinished(liveMarked, target, replace);
    } finally {
      await liveMarked.close();
    }
    const targetStore = await connectStore({ url: config.mongo.url, dbName: target, appName: 'replay' });
    await targetStore.db.dropDatabase();
    // --replace compares with the live store as it stands before the rebuild (nothing writes its records meanwhile:
    // no coordinator runs), and hands the rebuild what no topic holds but the rebuild reads.
    let liveBefore: Awaited<ReturnType<typeof storeDigest>> | undefined;
    if (replace) {
      const liveStore = await connectStore({ url: config.mongo.url, dbName: live, appName: 'replay' });
      try {
        liveBefore = await storeDigest(liveStore);
        for (const name of SEEDED_FROM_LIVE) await copyCollection(liveStore, targetStore, name);
      } finally {
        await liveStore.close();
      }
    }
    await targetStore.close();
    const started = Date.now();
    // Two passes over the topics: every message but the responses to information requests and the records of
    // their escalations, then those alone. The topics are read side by side, so a response could otherwise come
    // before the request it answers (the asking country's topic read later than the answering one's), be refused as
    // answering no known request, and be lost from the rebuilt store; and an escalation's record likewise.
    const second = new Set(['InformationResponse', 'RequestNotice']);
    const passes = [
      {
        name: 'everything but responses and escalations',
        stores: (t: string | undefined) => t === undefined || !second.has(t),
      },
      {
        name: 'responses to information requests, and escalations',
        stores: (t: string | undefined) => t !== undefined && second.has(t),
      },
    ];
    for (const [i, pass] of passes.entries()) {
      log(`pass ${i + 1} of ${passes.length}: ${pass.name}`);
      const groupId = names.group(`replay-${Date.now()}-${randomBytes(3).toString('hex')}`);
      const coordinator = await startCoordinator({
        config: { ...config, mongo: { ...config.mongo, dbName: target } },
        logger,
        groupId,
        sideEffects: false,
        judgeAtArrival: true,
        retentionKept: replace,
        unknownSignerGraceMs: 30000,
        storesType: pass.stores,
      });
      try {
        for (;;) {
          let behind = 0n;
          for (const topic of topics) {
            const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
            for (const p of committed[0]?.partitions ?? []) {
              const end = ends.get(topic)?.get(p.partition) ?? 0n;
              // A partition with nothing left to read (its records deleted by retention) never commits an offset.
              const start = starts.get(topic)?.get(p.partition) ?? 0n;
              const at = BigInt(p.offset) < start ? start : BigInt(p.offset);
              if (at < end) behind += end - at;
            }
          }
          if (behind === 0n) break;
          if (Date.now() - started > timeoutMs)
            throw new HubError(
              'REPLAY_TIMEOUT',
              `replay still ${behind} messages behind after ${timeoutMs / 1000} s`,
            );
          log(`${total - behind}/${total} read`);
          await new Promise((r) => setTimeout(r, 2000));
        }
      } finally {
        await coordinator.close();
        await admin.deleteGroups([groupId]).catch(() => undefined);
      }
    }
    log(`replayed ${total} messages in ${Math.round((Date.now() - started) / 1000)} s`);

    const rebuilt = await connectStore({ url: config.mongo.url, dbName: target, appName: 'replay' });
    const liveStore = await connectStore({ url: config.mongo.url, dbName: live, appName: 'replay' });
    try {
      const rebuiltDigest = await storeDigest(rebuilt);
      process.stdout.write(`${JSON.stringify({ database: target, ...rebuiltDigest })}\n`);
      const liveDigest = liveBefore ?? (await storeDigest(liveStore));
      process.stdout.write(`${JSON.stringify({ database: live, ...liveDigest })}\n`);
      const same = liveDigest.digest === rebuiltDigest.digest;
      log(
        same
          ? `the rebuilt store equals the live one (digest ${liveDigest.digest.slice(0, 16)})`
          : `the rebuilt store differs from the live one: ${Object.keys(liveDigest.collections)
              .filter((c) => liveDigest.collections[c]?.sha256 !== rebuiltDigest.collections[c]?.sha256)
              .join(', ')}`,
      );
      if (!replace) return same ? 0 : 1;
      return await replaceLive(rebuilt, liveStore, log, () =>
        refuseWhileCoordinatorRuns(admin, names.group('coordinator')),
      );
    } finally {
      await rebuilt.close();
      await liveStore.close();
      await admin.disconnect();
    }
  },
};

/**
 * `--replace`'s last step: the live database's collections replaced by the rebuilt ones, unless the rebuilt store
 * lacks a record of the live one or gives it another country (then 1, the live database untouched). Compared before
 * anything of the live database is dropped, so that a record a replay refuses (one judged as of now, see the README)
 * or reassigns (one claimed by two countries) is named, never lost in silence. `refuseWhileCoordinatorRuns` is asked
 * before the comparison and again before the swap: a coordinator started during the rebuild would write to the live
 * database records the swap drops.
 */
export async function replaceLive(
  rebuilt: Store,
  live: Store,
  log: (line: string) => void,
  refuseWhileCoordinatorRuns: () => Promise<void>,
): Promise<number> {
  await refuseWhileCoordinatorRuns();
  const losses = await storeLosses(live, rebuilt);
  if (losses.length) {
    for (const l of losses.slice(0, LOSSES_SHOWN)) log(describeLoss(l));
    if (losses.length > LOSSES_SHOWN) log(`... and ${losses.length - LOSSES_SHOWN} more`);
    log(
      `not replaced: the rebuilt store lacks ${losses.filter((l) => l.missing).length} and reassigns ` +
        `${losses.filter((l) => !l.missing).length} of the live database's records (above), which is left as it ` +
        `was. The rebuilt store stays in database ${rebuilt.db.databaseName} to compare with; keep the live one, or ` +
        `find why the topics do not give these records back (README, "Limits that remain": records judged as of ` +
        `now, a record claimed by two countries) and replay again.`,
    );
    return 1;
  }
  await refuseWhileCoordinatorRuns();
  await carryDroppedAnswers(live, rebuilt);
  return swapRebuilt(rebuilt, live, log);
}

/**
 * The answers the live intake took and then dropped from their requests (`droppedAnswers`, coordinator requests.ts):
 * what the intake answered in the order it read the messages, not what the messages say, so a replay does not make
 * the same list (none, or the answers it dropped itself, reading the topics side by side). Carried into the rebuilt
 * store before the swap, so that a copy of such an answer keeps the verdict of its first copy, and merged with the
 * replay's own: the live ones first, then the replay's not among them, each once by its response and message ids.
 */
export async function carryDroppedAnswers(live: Store, rebuilt: Store): Promise<void> {
  type Dropped = { responseId?: unknown; messageId?: unknown };
  type WithDrops = { _id: string; droppedAnswers?: Dropped[] };
  const withDrops = async (store: Store) => {
    const out = new Map<string, Dropped[]>();
    for await (const d of store
      .collection<WithDrops>(COLLECTIONS.requests)
      .find({ droppedAnswers: { $exists: true } }, { projection: { droppedAnswers: 1 } }))
      out.set(d._id, d.droppedAnswers ?? []);
    return out;
  };
  const fromLive = await withDrops(live);
  if (fromLive.size === 0) return;
  const fromReplay = await withDrops(rebuilt);
  const key = (a: Dropped) => `${String(a.messageId)} ${String(a.responseId)}`;
  const ops = [...fromLive].map(([id, dropped]) => {
    const merged = new Map<string, Dropped>();
    for (const a of [...dropped, ...(fromReplay.get(id) ?? [])])
      if (!merged.has(key(a))) merged.set(key(a), a);
    return {
      updateOne: { filter: { _id: id }, update: { $set: { droppedAnswers: [...merged.values()] } } },
    };
  });
  await rebuilt.collection<WithDrops>(COLLECTIONS.requests).bulkWrite(ops, { ordered: false });
}

/** The swap itself (swapIn), then the rebuilt database dropped; a failure half-way says how to finish it. */
async function swapRebuilt(rebuilt: Store, live: Store, log: (line: string) => void): Promise<number> {
  try {
    const copied = await swapIn(rebuilt, live, LEFT_IN_LIVE, new Date());
    log(`replaced database ${live.db.databaseName} with the rebuilt store (${copied} documents)`);
  } catch (err) {
    throw new HubError(
      'REPLAY_INCOMPLETE',
      `replacing database ${live.db.databaseName} failed half-way (${(err as Error).message}): the rebuilt store is ` +
        `whole in database ${rebuilt.db.databaseName}, the only whole copy, and the live database is marked (meta ` +
        `replay-swap) so that no replay drops it. Finish the swap before anything else: hub replay --resume-swap ` +
        `(copies it again), or by hand: ${swapByHand(live.db.databaseName, rebuilt.db.databaseName)}`,
      { cause: err },
    );
  }
  await rebuilt.db.dropDatabase();
  return 0;
}

/**
 * `hub replay --resume-swap`: finishes a swap that failed half-way, copying again the database its mark names into
 * the live one. The comparison is not made again: it passed before the swap began, and the live database is half
 * copied now.
 */
async function resumeUnfinishedSwap(
  config: ReturnType<typeof loadConfig>,
  log: (line: string) => void,
): Promise<number> {
  const live = await connectStore({ url: config.mongo.url, dbName: config.mongo.dbName, appName: 'replay' });
  try {
    const mark = await unfinishedSwap(live);
    if (mark === null)
      throw new HubError(
        'USAGE',
        `--resume-swap: database ${config.mongo.dbName} holds no unfinished swap (no meta replay-swap): nothing to ` +
          `resume`,
      );
    await reachBrokers(config, 'replay');
    const kafka = createKafka({
      brokers: config.kafka.brokers,
      clientId: `${config.kafka.clientId}-replay`,
      logger: cliLogger('replay', config),
      security: config.kafka.security,
    });
    const admin = kafka.admin();
    await connectAdmin(admin, config, 'replay');
    try {
      await refuseWhileCoordinatorRuns(admin, topicNames(config.namespace).group('coordinator'));
    } finally {
      await admin.disconnect();
    }
    const rebuilt = await connectStore({ url: config.mongo.url, dbName: mark.from, appName: 'replay' });
    try {
      return await resumeSwap(rebuilt, live, mark.from, log);
    } finally {
      await rebuilt.close();
    }
  } finally {
    await live.close();
  }
}

/** Resumes the swap from `rebuilt`, refused when that database holds nothing (dropped by hand meanwhile). */
export async function resumeSwap(
  rebuilt: Store,
  live: Store,
  from: string,
  log: (line: string) => void,
): Promise<number> {
  if ((await rebuilt.db.listCollections({}, { nameOnly: true }).toArray()).length === 0)
    throw new HubError(
      'REPLAY_INCOMPLETE',
      `--resume-swap: database ${from}, which the unfinished swap copies from, holds no collection: the rebuilt ` +
        `store is gone. Restore the live database ${live.db.databaseName} from a backup, delete its meta ` +
        `replay-swap, and replay again`,
    );
  log(`resuming the swap of database ${from} into ${live.db.databaseName}`);
  return swapRebuilt(rebuilt, live, log);
}
