// Removing what earlier test runs left on a shared local stack: their topics (namespaces `t-…`) and databases. A broker holding thousands of forgotten partitions slows every metadata request.
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';

const LEFTOVER_TOPIC = /^t-[a-z0-9-]+\.hub\./;
const LEFTOVER_DB = /^seizurehub-t-/;

export async function sweepTestLeftovers(
  brokers: string[],
  mongoUrl: string,
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
    const { databases: list } = await client.db('admin').admin().listDatabases({ nameOnly: true });
    for (const d of list)
      if (LEFTOVER_DB.test(d.name)) {
        await client.db(d.name).dropDatabase();
        databases++;
      }
  } finally {
    await client.close();
  }
  return { topics, databases };
}
