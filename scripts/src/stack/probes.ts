// Readiness and version probes for the two servers, used by stack up/status and by tests.
import { spawnSync } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { securityOptions, type KafkaClientSecurity } from '@hub/kafka';

/** Why a probe failed: the client's own message (no URL is in it, so no password either). */
const failure = (err: unknown) => ((err as Error)?.message || String(err)).split('\n')[0];

/**
 * Whether the brokers answer; `security`: over TLS and SASL/SCRAM as that principal (a secured broker). `error`: why
 * not, for the message of a wait that gives up.
 */
export async function probeKafka(
  brokers: string[],
  security?: KafkaClientSecurity,
): Promise<{ ok: boolean; brokers?: number; controller?: number | null; error?: string }> {
  const kafka = new Kafka({
    clientId: 'hub-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: security ? 5000 : 1500,
    retry: { retries: 0 },
    ...(security ? securityOptions(security) : {}),
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return {
      ok: cluster.brokers.length > 0,
      brokers: cluster.brokers.length,
      controller: cluster.controller,
      ...(cluster.brokers.length ? {} : { error: 'the cluster has no broker' }),
    };
  } catch (err) {
    return { ok: false, error: failure(err) };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Whether the store answers, with its version. `error`: why not; among others the driver's refusal of a server too
 * old for it, which a wait for the server to become ready would otherwise hide.
 */
export async function probeMongo(
  url: string,
): Promise<{ ok: boolean; version?: string; ferretdb?: string; error?: string }> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 1500, connectTimeoutMS: 1500 });
  try {
    await client.connect();
    const info = await client.db('admin').command({ buildInfo: 1 });
    return {
      ok: true,
      version: String(info.version),
      ferretdb: info.ferretdbVersion ? String(info.ferretdbVersion) : undefined,
    };
  } catch (err) {
    return { ok: false, error: failure(err) };
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * The oldest MongoDB server the mongodb driver talks to (its MIN_SUPPORTED_SERVER_VERSION, not exported): it refuses
 * an older one at every connection.
 */
export const MONGOD_MIN_VERSION = [4, 4] as const;

/** What `mongod --version` prints, undefined when there is no mongod on PATH (or it fails). */
export function mongodVersionOutput(): string | undefined {
  const r = spawnSync('mongod', ['--version'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? undefined : `${r.stdout}${r.stderr}`;
}

/** Which store `stack up` starts: a mongod on PATH the driver can use, else FerretDB; `why`: a mongod passed over. */
export type StoreChoice = { kind: 'mongod'; version: string } | { kind: 'ferretdb'; why?: string };

/** The choice for `mongod --version`'s output (`db version vX.Y.Z`); undefined: no mongod on PATH. */
export function chooseStore(mongodVersion: string | undefined): StoreChoice {
  if (mongodVersion === undefined) return { kind: 'ferretdb' };
  const found = /db version v?(\d+)\.(\d+)(\.\d+)?/.exec(mongodVersion);
  const min = MONGOD_MIN_VERSION.join('.');
  if (!found)
    return {
      kind: 'ferretdb',
      why: `the mongod on PATH does not say its version as 'db version vX.Y.Z' ('mongod --version' said: ${JSON.stringify(mongodVersion.trim().split('\n')[0] ?? '')}); the MongoDB driver needs ${min} or later`,
    };
  const [major, minor] = [Number(found[1]), Number(found[2])];
  const version = `${found[1]}.${found[2]}${found[3] ?? ''}`;
  const [minMajor, minMinor] = MONGOD_MIN_VERSION;
  if (major > minMajor || (major === minMajor && minor >= minMinor)) return { kind: 'mongod', version };
  return {
    kind: 'ferretdb',
    why: `the mongod on PATH is ${version}, and the MongoDB driver needs ${min} or later`,
  };
}
