// Removing what earlier test runs left on a shared local stack: their topics (namespaces `t-…`) and databases. A broker holding thousands of forgotten partitions slows every metadata request.
import { existsSync, readdirSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';

const LEFTOVER_TOPIC = /^t-[a-z0-9-]+\.hub\./;
const LEFTOVER_DB = /^seizurehub-t-/;

export async function sweepTestLeftovers(
  brokers: string[],
  mongoUrl: string,
  /** The local FerretDB's data folder: its file names list the databases at once (listDatabases sizes each one). */
  ferretDataDir?: string,
): Promise<{ topics: number; databases: number }> {
  const kafka = new Kafka({ clientId: 'hub-sweep', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  let topics = 0;
  try {
    await admin.connect();
    const leftovers = (await admin.listTopics()).filter((t) => LEFTOVER_TOPIC.test(t));
    for (let i = 0; i < leftovers.length; i += 200) {
      await admin.deleteTopics({ topics: leftovers.slice(i, i + 200), timeout: 60000 });
      topics += Math.min(200, leftovers.length - i);
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  const client = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 5000 });
  let databases = 0;
  try {
    await client.connect();
    const names =
      ferretDataDir && existsSync(ferretDataDir)
        ? readdirSync(ferretDataDir)
            .filter((f) => f.endsWith('.sqlite'))
            .map((f) => f.slice(0, -'.sqlite'.length))
        : (await client.db('admin').admin().listDatabases({ nameOnly: true })).databases.map((d) => d.name);
    for (const name of names)
      if (LEFTOVER_DB.test(name)) {
        await client.db(name).dropDatabase();
        databases++;
      }
  } finally {
    await client.close();
  }
  return { topics, databases };
}
