// `hub replay`: rebuild the consolidated store and its read models from the Kafka topics.
import { randomBytes } from 'node:crypto';
import { loadConfig } from '@hub/config';
import { HubError } from '@hub/errors';
import { createKafka, topicNames } from '@hub/kafka';
import { createLogger } from '@hub/observability';
import { connectStore } from '@hub/store';
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
  --replace   rebuild the live database itself (stop the coordinator first)
  --timeout   give up after this many seconds, a whole number from 1 (default 1800)

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
    let total = 0n;
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      ends.set(topic, new Map(offsets.map((o) => [o.partition, BigInt(o.high)])));
      for (const o of offsets) total += BigInt(o.high) - BigInt(o.low);
    }
    log(`${topics.length} national topics, ${total} messages to replay into database ${target}`);

    const targetStore = await connectStore({ url: config.mongo.url, dbName: target, appName: 'replay' });
    await targetStore.db.dropDatabase();
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
              const at = BigInt(p.offset) < 0n ? 0n : BigInt(p.offset);
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
