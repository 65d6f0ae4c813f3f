// `hub replay`: rebuild the consolidated store and its read models from the Kafka topics.
import { randomBytes } from 'node:crypto';
import { loadConfig } from '@hub/config';
import { HubError } from '@hub/errors';
import { createKafka, topicNames } from '@hub/kafka';
import type { Admin } from 'kafkajs';
import { createLogger } from '@hub/observability';
import { COLLECTIONS, connectStore } from '@hub/store';
import type { Command } from '../command';
import { parse, say } from '../command';
import { wholeNumber } from '../../run/whole-number';

const USAGE = `hub replay [--into <database>] [--replace] [--timeout <seconds>]

Reads every national node's topic (hub.node.<CC>.out) and the coordination node's own (hub.node.HUB.out: the
requests it made, the escalations it recorded) from the beginning through the coordinator's own verification,
storage and read-model code, into a fresh database, without sending any receipt, alert, feed record or escalation
again. Two passes: every message but the responses to information requests and the escalations, then those, so
that each finds the request it concerns. Then prints a digest of the rebuilt store beside the live one's
(processing times left out): equal digests mean the topics and the store agree.

  --into      database to rebuild into (default: <live database>-replay; dropped first)
  --replace   rebuild the live database itself (stop the coordinator first: refused while one runs). What the
              topics do not hold is kept: the audit log, the erasure log, the review dates of retention and the
              coordinators' queued asks. Refused when the brokers have deleted any of the topics' records.
  --timeout   give up after this many seconds, a whole number from 1 (default 1800)

Each record is judged as of the time the brokers appended it, as the live coordinator judged it when it came: a
certificate that has expired or been revoked since does not undo it (records of topics made before 2026-12-07
carry their producer's time and are judged as of now).

Exit status: 0 rebuilt (and, without --replace, equal to the live store), 1 digests differ, 2 usage error.`;

/** The options of `hub replay`, checked before anything connects. */
export function replayOptions(args: string[]): { into?: string; replace: boolean; timeoutMs: number } {
  const { values } = parse(
    args,
    { into: { type: 'string' }, replace: { type: 'boolean' }, timeout: { type: 'string' } },
    USAGE,
  );
  return {
    into: values.into,
    replace: values.replace === true,
    timeoutMs:
      wholeNumber('--timeout', values.timeout, 1800, { min: 1, unit: 'seconds', usage: USAGE }) * 1000,
  };
}

/** Collections `--replace` keeps: what the topics do not hold. */
export const KEPT_ON_REPLACE: ReadonlySet<string> = new Set([
  COLLECTIONS.audit,
  COLLECTIONS.erasures,
  COLLECTIONS.retention,
  COLLECTIONS.asks,
]);

/** `--replace` rebuilds the live database: refused while a coordinator (a member of its group) writes to it. */
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
    const { into, replace, timeoutMs } = replayOptions(args);
    const log = say('replay');
    const config = loadConfig();
    const live = config.mongo.dbName;
    const target = replace ? live : (into ?? `${live}-replay`);
    if (!replace && target === live)
      throw new HubError('USAGE', `--into names the live database; use --replace to rebuild it in place`);
    const logger = createLogger('replay', { level: process.env.HUB_LOG_LEVEL ?? 'warn' });
    const names = topicNames(config.namespace);

    // What there is to read, as of now.
    const kafka = createKafka({
      brokers: config.kafka.brokers,
      clientId: `${config.kafka.clientId}-replay`,
      logger,
      security: config.kafka.security,
    });
    const admin = kafka.admin();
    await admin.connect();
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
    log(`${topics.length} national topics, ${total} messages to replay into database ${target}`);

    if (replace) await refuseWhileCoordinatorRuns(admin, names.group('coordinator'));
    const targetStore = await connectStore({ url: config.mongo.url, dbName: target, appName: 'replay' });
    if (replace) {
      // What no topic holds stays: the audit log (written by the query API), the erasure log (so that erased
      // records stay erased), the retention review dates, the asks not yet sent.
      for (const c of await targetStore.db.listCollections({}, { nameOnly: true }).toArray())
        if (!KEPT_ON_REPLACE.has(c.name)) await targetStore.db.dropCollection(c.name);
    } else {
      await targetStore.db.dropDatabase();
    }
    await targetStore.close();

    const { startCoordinator, storeDigest } = await import('@hub/coordinator');
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
    await admin.disconnect();
    log(`replayed ${total} messages in ${Math.round((Date.now() - started) / 1000)} s`);

    const rebuilt = await connectStore({ url: config.mongo.url, dbName: target, appName: 'replay' });
    const rebuiltDigest = await storeDigest(rebuilt);
    await rebuilt.close();
    process.stdout.write(`${JSON.stringify({ database: target, ...rebuiltDigest })}\n`);
    if (replace) return 0;
    const liveStore = await connectStore({ url: config.mongo.url, dbName: live, appName: 'replay' });
    const liveDigest = await storeDigest(liveStore);
    await liveStore.close();
    process.stdout.write(`${JSON.stringify({ database: live, ...liveDigest })}\n`);
    const same = liveDigest.digest === rebuiltDigest.digest;
    log(
      same
        ? `the rebuilt store equals the live one (digest ${liveDigest.digest.slice(0, 16)})`
        : `the rebuilt store differs from the live one: ${Object.keys(liveDigest.collections)
            .filter((c) => liveDigest.collections[c]?.sha256 !== rebuiltDigest.collections[c]?.sha256)
            .join(', ')}`,
    );
    return same ? 0 : 1;
  },
};
