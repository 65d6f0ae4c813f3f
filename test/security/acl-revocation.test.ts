// Taking access away on a real secured broker that this file starts (its own ports and data): when a country leaves
// a region, applying the configuration again (`hub security apply`, `hub security grant`, the secured local stack's
// provisioning) deletes its node's read of that region's feed, so the broker stops handing it records released to
// the region's remaining members only.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@hub/config';
import kafkajs, { type Kafka } from 'kafkajs';
import {
  PRINCIPALS,
  aclEntriesOf,
  aclEntryKey,
  aclFilterOfEvery,
  createKafka,
  hubPrincipals,
  nodePrincipal,
  topicNames,
  type Admin,
  type RegionMembers,
} from '@hub/kafka';
import { createLogger } from '@hub/observability';
import { PkiStore } from '@hub/pki';
import { loadRegions } from '@hub/schemas';
import { kafkaLayout } from '../../scripts/src/stack/kafka';
import { stopPid } from '../../scripts/src/stack/proc';
import {
  grantNode,
  provisionHub,
  startSecureKafka,
  type SecureBroker,
} from '../../scripts/src/stack/security';
import { stackVersions } from '../../scripts/src/stack/versions';
import { listenerPorts, refusedWith } from './support';

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

describe('broker ACLs follow the regions: a country removed from a region loses its feed', function () {
  this.timeout(120000);
  const namespace = `t-revoke-${randomBytes(3).toString('hex')}`;
  const names = topicNames(namespace);
  const principals = hubPrincipals(names);
  const topics = { partitions: 1, replicationFactor: 1 };
  const countries = ['KZ', 'TM'];
  // regions.json as it is (TM a member of central-asia), and as an operator edits it to remove TM.
  const withTm: RegionMembers[] = loadRegions().map((r) =>
    r.id === 'central-asia' ? { id: r.id, members: [...new Set([...r.members, 'TM'])] } : r,
  );
  const withoutTm: RegionMembers[] = withTm.map((r) =>
    r.id === 'central-asia' ? { id: r.id, members: r.members.filter((m) => m !== 'TM') } : r,
  );
  const feed = names.feed('central-asia');
  const tm = nodePrincipal(names, 'TM');
  const logger = createLogger('test:acl-revocation', { level: process.env.HUB_TEST_LOG_LEVEL ?? 'silent' });
  let home: string;
  let broker: SecureBroker | undefined;

  const as = (principal: string): Kafka =>
    createKafka({
      brokers: broker!.brokers,
      clientId: principal,
      logger,
      security: broker!.security(principal),
      connectionTimeoutMs: 5000,
    });

  /**
   * Writes `value` as `principal`. Grants just made reach every part of the broker a moment later (KRaft applies ACLs
   * from its metadata log): an authorisation refusal is tried again for up to 20 s.
   */
  async function produce(principal: string, topic: string, value: string): Promise<void> {
    for (let tries = 0; ; tries++) {
      const producer = as(principal).producer({ idempotent: true, maxInFlightRequests: 1 });
      try {
        await producer.connect();
        await producer.send({ topic, acks: -1, messages: [{ key: value, value }] });
        return;
      } catch (err) {
        if (
          !/AUTHORIZATION_FAILED|authori[sz]ation failed/i.test(String((err as Error).message)) ||
          tries >= 20
        )
          throw err;
        await new Promise((r) => setTimeout(r, 1000));
      } finally {
        await producer.disconnect();
      }
    }
  }

  /** Every value `topic` holds, read from the beginning by `principal` in a fresh group of its own prefix. */
  async function readAll(principal: string, topic: string, count: number): Promise<string[]> {
    const consumer = as(principal).consumer({
      // Groups carry the namespace once, before the principal's own name (`<ns>.node-TM-...`).
      groupId: names.group(
        `${principal.replace(`${namespace}.`, '')}-revocation-${randomBytes(3).toString('hex')}`,
      ),
      sessionTimeout: 10000,
    });
    const got: string[] = [];
    try {
      await consumer.connect();
      return await new Promise<string[]>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${principal} got ${got.length} of ${count} messages of ${topic} in 60 s`)),
          60000,
        );
        consumer.on(consumer.events.CRASH, (e) => {
          // A new broker's group coordinator may still be loading: kafkajs restarts the consumer for that.
          if (e.payload.restart) return;
          clearTimeout(timer);
          reject(e.payload.error);
        });
        consumer
          .subscribe({ topics: [topic], fromBeginning: true })
          .then(() =>
            consumer.run({
              eachMessage: async ({ message }) => {
                got.push(message.value?.toString() ?? '');
                if (got.length >= count) {
                  clearTimeout(timer);
                  resolve(got);
                }
              },
            }),
          )
          .catch((err) => {
            clearTimeout(timer);
            reject(err);
          });
      });
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
  }

  /** `use` with a hub-admin client, connected, then disconnected. */
  async function asAdmin<T>(use: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = as(PRINCIPALS.admin).admin();
    await admin.connect();
    try {
      return await use(admin);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** How many records `topic` holds (hub-admin's view). */
  const held = (topic: string): Promise<number> =>
    asAdmin(async (admin) =>
      (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0),
    );

  /** What the broker answers node TM reading the central-asia feed, once the removal has reached the authorizer. */
  async function tmFeedRefusal(): Promise<string> {
    let last = '';
    for (let attempt = 0; attempt < 5; attempt++) {
      last = await refusedWith(() => readAll(nodePrincipal(names, 'TM'), feed, 1)).catch(
        (e: Error) => e.message,
      );
      if (last === 'TOPIC_AUTHORIZATION_FAILED') return last;
      await new Promise((r) => setTimeout(r, 1000));
    }
    return last;
  }

  /** The grant as regions.json had it: TM a member of central-asia, and reading its feed. */
  async function tmMemberOfCentralAsia(): Promise<void> {
    await asAdmin((admin) => provisionHub(admin, { names, countries, regions: withTm, topics }, logger));
    await produce(principals.coordinator, feed, `released-to-central-asia-${randomBytes(3).toString('hex')}`);
    const records = await held(feed);
    expect(
      await readAll(nodePrincipal(names, 'TM'), feed, records),
      'TM reads the feed while a member',
    ).to.have.length(records);
  }

  /** Node TM still works with its own topics: writes its out topic, reads its in topic (hub.pki too). */
  async function tmKeepsItsOwnTopics(): Promise<void> {
    await produce(nodePrincipal(names, 'TM'), names.nodeOut('TM'), 'tm-report');
    const receipt = `receipt-for-tm-${randomBytes(3).toString('hex')}`;
    await produce(principals.coordinator, names.nodeIn('TM'), receipt);
    const got = await readAll(nodePrincipal(names, 'TM'), names.nodeIn('TM'), await held(names.nodeIn('TM')));
    expect(got).to.include(receipt);
  }

  before(async function () {
    this.timeout(240000);
    home = mkdtempSync(join(tmpdir(), 'hub-acl-revocation-'));
    new PkiStore(join(home, 'pki')).initCa({ bits: 2048 });
    const base = kafkaLayout(loadConfig().cacheDir, home, stackVersions().kafka);
    broker = await startSecureKafka({
      layout: { ...base, logFile: join(home, 'kafka.log') },
      hubHome: home,
      listeners: await listenerPorts(),
      principals: [
        principals.coordinator,
        principals.queryApi,
        ...countries.map((cc) => nodePrincipal(names, cc)),
      ],
      heapMb: 384,
      marker: 'kafka-acl-revocation-test',
    });
  });

  after(async function () {
    this.timeout(60000);
    if (broker) await stopPid(broker.pid, 30000);
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('`hub security apply` after TM left central-asia: node TM can no longer read hub.feed.central-asia, still its own topics', async () => {
    await tmMemberOfCentralAsia();

    // TM removed from central-asia in regions.json, then applied again as hub-admin (what `hub security apply` runs).
    const lines: Record<string, unknown>[] = [];
    const recording = createLogger('hub-security', {
      destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    const r = await asAdmin((admin) =>
      provisionHub(admin, { names, countries, regions: withoutTm, topics }, recording),
    );
    expect(
      r.removed.map((e) => `${e.principal} ${e.resourceName}`),
      'removed: TM read and describe on the feed',
    ).to.deep.equal([`User:${tm} ${feed}`, `User:${tm} ${feed}`]);
    const logged = lines
      .filter((l) => l.event === 'acl.removed')
      .map((l) => `${String(l.principal)} ${String(l.operation)} ${String(l.resource)}`);
    expect(logged).to.include(`User:${tm} READ ${feed}`);
    expect(logged).to.include(`User:${tm} DESCRIBE ${feed}`);

    // KZ publishes AMBER releasable to KZ, KG, TJ, UZ: every current member may read it, so it goes to the feed.
    await produce(principals.coordinator, feed, 'amber-releasable-to-KZ-KG-TJ-UZ');
    expect(await tmFeedRefusal()).to.equal('TOPIC_AUTHORIZATION_FAILED');
    // The remaining members still read it.
    expect(await readAll(nodePrincipal(names, 'KZ'), feed, await held(feed))).to.include(
      'amber-releasable-to-KZ-KG-TJ-UZ',
    );
    await tmKeepsItsOwnTopics();
  });

  it('`hub security grant TM` after TM left central-asia takes its feed away too, and leaves KZ its grants', async () => {
    await tmMemberOfCentralAsia();

    const r = await asAdmin((admin) => grantNode(admin, { names, regions: withoutTm, topics }, 'TM', logger));
    expect(r.removed.map((e) => `${e.principal} ${e.resourceName}`)).to.deep.equal([
      `User:${tm} ${feed}`,
      `User:${tm} ${feed}`,
    ]);
    expect(await tmFeedRefusal()).to.equal('TOPIC_AUTHORIZATION_FAILED');
    const kzRecords = await held(feed);
    expect(await readAll(nodePrincipal(names, 'KZ'), feed, kzRecords)).to.have.length(kzRecords);
    await tmKeepsItsOwnTopics();
  });
  it("`hub security apply` takes away a node's wildcard topic grant, never its wildcard on a transactional id", async () => {
    const wildcard = (resourceType: number, operation: number) => ({
      principal: `User:${nodePrincipal(names, 'TM')}`,
      host: '*',
      operation,
      permissionType: AclPermissionTypes.ALLOW,
      resourceType,
      resourceName: '*',
      resourcePatternType: ResourcePatternTypes.LITERAL,
    });
    // Every country's topics through Kafka's wildcard: the hub's to take away. A transactional id: another matter.
    const topicWildcard = wildcard(AclResourceTypes.TOPIC, AclOperationTypes.READ);
    const transactional = wildcard(AclResourceTypes.TRANSACTIONAL_ID, AclOperationTypes.WRITE);
    await asAdmin((admin) => admin.createAcls({ acl: [topicWildcard, transactional] }));
    try {
      const r = await asAdmin((admin) =>
        provisionHub(admin, { names, countries, regions: withoutTm, topics }, logger),
      );
      const removed = r.removed.map(aclEntryKey);
      expect(removed).to.include(aclEntryKey(topicWildcard));
      expect(removed).not.to.include(aclEntryKey(transactional));
      const held = await asAdmin(async (admin) =>
        aclEntriesOf(await admin.describeAcls(aclFilterOfEvery(`User:${nodePrincipal(names, 'TM')}`))).map(
          aclEntryKey,
        ),
      );
      expect(held).to.include(aclEntryKey(transactional));
      expect(held).not.to.include(aclEntryKey(topicWildcard));
    } finally {
      await asAdmin((admin) => admin.deleteAcls({ filters: [topicWildcard, transactional] })).catch(
        () => undefined,
      );
    }
  });
});
