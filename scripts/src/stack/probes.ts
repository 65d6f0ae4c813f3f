// Readiness and version probes for the two servers, used by stack up/status and by tests.
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { securityOptions, type KafkaClientSecurity } from '@hub/kafka';

/** Whether the brokers answer; `security`: over TLS and SASL/SCRAM as that principal (a secured broker). */
export async function probeKafka(
  brokers: string[],
  security?: KafkaClientSecurity,
): Promise<{ ok: boolean; brokers?: number; controller?: number | null }> {
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
    };
  } catch {
    return { ok: false };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function probeMongo(url: string): Promise<{ ok: boolean; version?: string; ferretdb?: string }> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 1500, connectTimeoutMS: 1500 });
  try {
    await client.connect();
    const info = await client.db('admin').command({ buildInfo: 1 });
    return {
      ok: true,
      version: String(info.version),
      ferretdb: info.ferretdbVersion ? String(info.ferretdbVersion) : undefined,
    };
  } catch {
    return { ok: false };
  } finally {
    await client.close().catch(() => undefined);
  }
}
