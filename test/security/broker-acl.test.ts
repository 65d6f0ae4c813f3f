// The broker security profile on a real secured broker that this file starts (its own ports and data): TLS with
// the hub CA, SASL/SCRAM-SHA-512 per principal, and ACLs that enforce DESIGN.md's topic table.
import { expect } from 'chai';
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type KafkaSecurity } from '@hub/config';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import {
  PRINCIPALS,
  createKafka,
  ensureTopics,
  expiringTopics,
  hubPrincipals,
  nodePrincipal,
  securityOptions,
  topicNames,
  type KafkaMessage,
} from '@hub/kafka';
import { createLogger } from '@hub/observability';
import { PkiStore, certificatesOf } from '@hub/pki';
import { loadRegions } from '@hub/schemas';
import { kafkaLayout } from '../../scripts/src/stack/kafka';
import { isAlive, stopPid } from '../../scripts/src/stack/proc';
import { passwordFile } from '../../scripts/src/stack/secrets';
import {
  addScramUsers,
  rotateScramPasswords,
  applyAcls,
  grantNode,
  provisionHub,
  type SecureBroker,
  startSecureKafka,
} from '../../scripts/src/stack/security';
import { stackVersions } from '../../scripts/src/stack/versions';
import { hubSync } from '../support/cli';
import { listenerPorts, refusal, refusedWith } from './support';

describe('broker security profile (TLS, SASL/SCRAM-SHA-512, ACLs)', function () {
  this.timeout(120000);
  const namespace = `t-sec-${randomBytes(3).toString('hex')}`;
  const names = topicNames(namespace);
  const principals = hubPrincipals(names);
  const regions = loadRegions();
  const plan = { names, regions, topics: { partitions: 2, replicationFactor: 1 } };
  const logger = createLogger('test:security', { level: process.env.HUB_TEST_LOG_LEVEL ?? 'silent' });
  let home: string;
  let broker: SecureBroker | undefined;
  const clients: { disconnect(): Promise<void> }[] = [];

  // Refusals are not retriable, so they come at once; retries only ride out the new broker's start-up.
  const client = (security: KafkaSecurity | undefined, clientId: string, retries?: number): Kafka =>
    createKafka({ brokers: broker!.brokers, clientId, logger, security, connectionTimeoutMs: 5000, retries });
  const as = (principal: string): Kafka => client(broker!.security(principal), principal);

  async function produce(kafka: Kafka, topic: string, value: string): Promise<void> {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    clients.push(producer);
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: [{ key: value, value }] });
    } finally {
      await producer.disconnect();
    }
  }

  /** `use` with a hub-admin client, connected, then disconnected. */
  async function asAdmin<T>(use: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = as(PRINCIPALS.admin).admin();
    try {
      await admin.connect();
      return await use(admin);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** How many messages these topics hold, as hub-admin sees them: a consumer from the beginning reads them all. */
  const held = (topics: string[] | RegExp): Promise<number> =>
    asAdmin(async (admin) => {
      const named = Array.isArray(topics) ? topics : (await admin.listTopics()).filter((t) => topics.test(t));
      let n = 0;
      for (const topic of named)
        for (const e of await admin.fetchTopicOffsets(topic)) n += Number(e.high) - Number(e.low);
      return n;
    });

  /** For a consumer that did not get what it should: each assigned topic's offsets and the group's, as hub-admin sees them. */
  async function positions(groupId: string, joins: string[]): Promise<string> {
    const topics = [...new Set(joins.flatMap((j) => Object.keys(JSON.parse(j) as Record<string, number[]>)))];
    return asAdmin(async (admin) => {
      const seen: string[] = [];
      for (const topic of topics) {
        const ends = await admin.fetchTopicOffsets(topic);
        const [group] = await admin.fetchOffsets({ groupId, topics: [topic] });
        seen.push(
          `${topic}: ` +
            ends.map((e) => `p${e.partition} ${e.low}-${e.high}`).join(', ') +
            ` committed ${JSON.stringify(group?.partitions.map((p) => `p${p.partition} ${p.offset}`))}`,
        );
      }
      return `offsets: ${seen.join('; ')}`;
    }).catch((err: Error) => `offsets not read: ${err.message}`);
  }

  /** Read from the beginning until `count` messages arrived; rejects with the consumer's error (ACL refusals). */
  async function consume(
    kafka: Kafka,
    topics: string[] | RegExp,
    groupId: string,
    count = 1,
  ): Promise<{ topic: string; message: KafkaMessage }[]> {
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10000 });
    clients.push(consumer);
    const got: { topic: string; message: KafkaMessage }[] = [];
    // What the group gave this consumer, for the error if the messages do not all come (it has happened under load).
    const joins: string[] = [];
    consumer.on(consumer.events.GROUP_JOIN, (e) => joins.push(JSON.stringify(e.payload.memberAssignment)));
    try {
      await consumer.connect();
      return await new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            void positions(groupId, joins).then((where) =>
              reject(
                new Error(
                  `got ${got.length} of ${count} messages in 60 s (from ${JSON.stringify(got.map((g) => g.topic))}; ` +
                    `assignments: ${joins.join(' then ') || 'none'}; ${where})`,
                ),
              ),
            ),
          60000,
        );
        consumer.on(consumer.events.CRASH, (e) => {
          // A new broker's group coordinator may still be loading: kafkajs restarts the consumer for that.
          if (e.payload.restart) return;
          clearTimeout(timer);
          reject(e.payload.error);
        });
        const subscribe = Array.isArray(topics) ? { topics } : { topics: [topics] };
        consumer
          .subscribe({ ...subscribe, fromBeginning: true })
          .then(() =>
            consumer.run({
              eachMessage: async ({ topic, message }) => {
                got.push({ topic, message });
                if (got.length >= count) {
                  clearTimeout(timer);
                  resolve(got);
                }
              },
            }),
          )
          .catch((e) => {
            clearTimeout(timer);
            reject(e);
          });
      });
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
  }

  before(async function () {
    this.timeout(240000);
    home = mkdtempSync(join(tmpdir(), 'hub-security-'));
    new PkiStore(join(home, 'pki')).initCa({ bits: 2048 });
    // Rolled over once, as `hub pki rollover` does: the broker trusts both CAs (a truststore of two certificates)
    // and serves a certificate from the new one.
    await new PkiStore(join(home, 'pki')).rolloverCa({ bits: 2048 });
    const base = kafkaLayout(loadConfig().cacheDir, home, stackVersions().kafka);
    broker = await startSecureKafka({
      layout: { ...base, logFile: join(home, 'kafka.log') },
      hubHome: home,
      listeners: await listenerPorts(),
      principals: [principals.coordinator, principals.queryApi, nodePrincipal(names, 'KZ')],
      heapMb: 384,
      marker: 'kafka-security-test',
    });
    const admin = as(PRINCIPALS.admin).admin();
    clients.push(admin);
    await admin.connect();
    await provisionHub(admin, { ...plan, countries: ['KZ'] });
    // UZ is onboarded later, on the running broker: SCRAM through Kafka's ConfigCommand, then topics and ACLs.
    await addScramUsers({
      libs: base.libs,
      internal: broker.internal,
      hubHome: home,
      tls: broker.tls,
      principals: [nodePrincipal(names, 'UZ')],
    });
    await grantNode(admin, plan, 'UZ');
    // A topic outside the namespace, named like KZ's: the ACLs must not cover it.
    await admin.createTopics({
      topics: [{ topic: 'hub.node.KZ.out', numPartitions: 1 }],
      waitForLeaders: true,
    });
    await admin.disconnect();
  });

  after(async function () {
    this.timeout(60000);
    for (const c of clients) await c.disconnect().catch(() => undefined);
    if (broker) await stopPid(broker.pid, 30000);
    if (broker) expect(isAlive(broker.pid)).to.equal(false);
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('keeps the generated passwords and the broker key readable by their owner only', () => {
    for (const file of [passwordFile(home, nodePrincipal(names, 'KZ')), broker!.tls.keystore])
      expect(statSync(file).mode & 0o077, file).to.equal(0);
    // The keystore holds a private key generated at setup (parsed, not matched as text).
    expect(createPrivateKey(readFileSync(broker!.tls.keystore, 'utf8')).type).to.equal('private');
    // After the rollover: both CAs trusted, the broker's certificate from the new one.
    const pki = new PkiStore(join(home, 'pki'));
    expect(certificatesOf(readFileSync(broker!.tls.truststore, 'utf8'))).to.have.length(2);
    const served = certificatesOf(readFileSync(broker!.tls.keystore, 'utf8'))[0]!;
    expect(served.checkIssued(new X509Certificate(pki.currentCaPem()))).to.equal(true);
  });

  it('lets node KZ produce to its own out topic and consume its own in topic', async () => {
    const kz = as(nodePrincipal(names, 'KZ'));
    await produce(kz, names.nodeOut('KZ'), 'kz-report-1');
    await produce(as(principals.coordinator), names.nodeIn('KZ'), 'receipt-for-kz');
    const got = await consume(kz, [names.nodeIn('KZ')], names.group('node-KZ-inbound'));
    expect(got[0]?.message.value?.toString()).to.equal('receipt-for-kz');
  });

  it('lets node KZ announce on hub.pki and follow it', async () => {
    const kz = as(nodePrincipal(names, 'KZ'));
    await produce(kz, names.pki, 'kz-certificate');
    const got = await consume(kz, [names.pki], names.group(`node-KZ-pki-${randomBytes(3).toString('hex')}`));
    expect(got[0]?.message.value?.toString()).to.equal('kz-certificate');
  });

  it("refuses node KZ writing to UZ's out topic", async () => {
    expect(
      await refusedWith(() => produce(as(nodePrincipal(names, 'KZ')), names.nodeOut('UZ'), 'forged')),
    ).to.equal('TOPIC_AUTHORIZATION_FAILED');
  });

  it("refuses node KZ writing to the coordination node's own topic (the requests it makes)", async () => {
    expect(await refusedWith(() => produce(as(nodePrincipal(names, 'KZ')), names.hubOut, 'as-hub'))).to.equal(
      'TOPIC_AUTHORIZATION_FAILED',
    );
  });

  it("refuses node KZ reading UZ's in topic", async () => {
    const kz = as(nodePrincipal(names, 'KZ'));
    expect(await refusedWith(() => consume(kz, [names.nodeIn('UZ')], names.group('node-KZ-spy')))).to.equal(
      'TOPIC_AUTHORIZATION_FAILED',
    );
  });

  it("refuses node KZ a consumer group outside its own prefix (UZ's)", async () => {
    // kafkajs reports a refused FindCoordinator only as "group coordinator not found"; the broker's reason is in
    // its debug log, which this client keeps.
    const reasons: string[] = [];
    const kz = new Kafka({
      clientId: 'kz-debug',
      brokers: broker!.brokers,
      ...securityOptions(broker!.security(nodePrincipal(names, 'KZ'))),
      retry: { retries: 0 },
      logLevel: logLevel.DEBUG,
      logCreator: () => (entry) => {
        const error = (entry.log as { error?: unknown }).error;
        if (error) reasons.push(refusal(error));
      },
    });
    expect(
      await refusedWith(() => consume(kz, [names.nodeIn('KZ')], names.group('node-UZ-inbound'))),
    ).to.match(/GROUP_AUTHORIZATION_FAILED|KafkaJSGroupCoordinatorNotFound/);
    expect(reasons).to.include('GROUP_AUTHORIZATION_FAILED');
  });

  it('lets node KZ read the feed of central-asia but not of balkan-route, a region it is not in', async () => {
    const coordinator = as(principals.coordinator);
    await produce(coordinator, names.feed('central-asia'), 'ca-record');
    await produce(coordinator, names.feed('balkan-route'), 'balkan-record');
    const kz = as(nodePrincipal(names, 'KZ'));
    const got = await consume(kz, [names.feed('central-asia')], names.group('node-KZ-feed-central-asia'));
    expect(got[0]?.message.value?.toString()).to.equal('ca-record');
    expect(
      await refusedWith(() => consume(kz, [names.feed('balkan-route')], names.group('node-KZ-feed-balkan'))),
    ).to.equal('TOPIC_AUTHORIZATION_FAILED');
  });

  it("includes the namespace in every grant: KZ may not write another hub's hub.node.KZ.out", async () => {
    expect(
      await refusedWith(() => produce(as(nodePrincipal(names, 'KZ')), 'hub.node.KZ.out', 'elsewhere')),
    ).to.equal('TOPIC_AUTHORIZATION_FAILED');
  });

  it("gives another hub on the broker principals of its own: its KZ reaches none of this hub's topics", async () => {
    // Hub b shares the broker (its own HUB_NAMESPACE): its topics, grants and credentials are its principals'.
    const otherNames = topicNames(`${namespace}-b`);
    const other = hubPrincipals(otherNames);
    const kzPassword = readFileSync(passwordFile(home, principals.node('KZ')), 'utf8');
    await asAdmin((admin) => provisionHub(admin, { ...plan, names: otherNames, countries: ['KZ'] }, logger));
    await addScramUsers({
      libs: kafkaLayout(loadConfig().cacheDir, home, stackVersions().kafka).libs,
      internal: broker!.internal,
      hubHome: home,
      tls: broker!.tls,
      principals: [other.node('KZ')],
    });
    const otherKz = as(other.node('KZ'));
    await produce(otherKz, otherNames.nodeOut('KZ'), 'hub-b-report');
    expect(await refusedWith(() => produce(otherKz, names.nodeOut('KZ'), 'into-hub-a'))).to.equal(
      'TOPIC_AUTHORIZATION_FAILED',
    );
    await produce(as(principals.coordinator), names.nodeIn('KZ'), 'for-hub-a-kz-only');
    expect(
      await refusedWith(() => consume(otherKz, [names.nodeIn('KZ')], otherNames.group('node-KZ-probe'))),
    ).to.equal('TOPIC_AUTHORIZATION_FAILED');
    // This hub's KZ kept its credential: hub b's was made beside it, not over it.
    expect(readFileSync(passwordFile(home, principals.node('KZ')), 'utf8')).to.equal(kzPassword);
    await produce(as(principals.node('KZ')), names.nodeOut('KZ'), 'hub-a-kz-still-in');
  });

  it("lets the coordinator read the retention of the hub's topics (its start-up check), and not node KZ", async () => {
    const read = async (principal: string, topics: string[]) => {
      const admin = as(principal).admin({ retry: { retries: 0 } });
      clients.push(admin);
      await admin.connect();
      try {
        return await expiringTopics(admin, topics);
      } finally {
        await admin.disconnect();
      }
    };
    // Made by `hub security apply` as the coordinator makes them: kept for ever, so none expires.
    const kept = [
      names.nodeOut('KZ'),
      names.nodeIn('KZ'),
      names.hubOut,
      names.feed('central-asia'),
      names.quarantine,
    ];
    expect(await read(principals.coordinator, kept)).to.deep.equal([]);
    const refused = await read(nodePrincipal(names, 'KZ'), [names.nodeOut('KZ')]).then(
      () => 'read',
      (e: Error) => e.message,
    );
    expect(refused).to.match(/authoriz/i);
  });

  it('refuses node KZ creating topics (only hub-admin does)', async () => {
    const admin = as(nodePrincipal(names, 'KZ')).admin({ retry: { retries: 0 } });
    clients.push(admin);
    await admin.connect();
    try {
      const err = await refusedWith(() =>
        admin.createTopics({ topics: [{ topic: names.nodeOut('KG'), numPartitions: 1 }] }),
      );
      expect(err).to.match(/TOPIC_AUTHORIZATION_FAILED|CLUSTER_AUTHORIZATION_FAILED/);
    } finally {
      await admin.disconnect();
    }
  });

  it('names the topic and the refusal when a principal may not create a missing topic (ensureTopics)', async () => {
    const admin = as(nodePrincipal(names, 'KZ')).admin();
    clients.push(admin);
    await admin.connect();
    try {
      const started = Date.now();
      const err = await ensureTopics(admin, [{ topic: names.nodeOut('TJ'), numPartitions: 1 }], 1500).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).to.match(
        new RegExp(
          `creating topics failed: ${names.nodeOut('TJ').replace(/\./g, '\\.')}: TOPIC_AUTHORIZATION_FAILED`,
        ),
      );
      expect(err?.message).to.contain('hub security grant');
      expect(Date.now() - started, 'looked again before giving up').to.be.at.least(1500);
    } finally {
      await admin.disconnect();
    }
  });

  it('waits for ACLs granted just after provisioning instead of failing on a topic it cannot see yet', async () => {
    const topic = names.nodeOut('TM');
    const superUser = as(PRINCIPALS.admin).admin();
    const kz = as(nodePrincipal(names, 'KZ')).admin();
    clients.push(superUser, kz);
    await Promise.all([superUser.connect(), kz.connect()]);
    try {
      await superUser.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      const ensured = ensureTopics(kz, [{ topic, numPartitions: 1 }], 30000);
      await new Promise((r) => setTimeout(r, 1500));
      await applyAcls(superUser, [
        {
          principal: nodePrincipal(names, 'KZ'),
          resourceType: 'topic',
          pattern: 'literal',
          name: topic,
          operations: ['describe'],
        },
      ]);
      expect(await ensured, 'created by nobody but hub-admin').to.deep.equal([]);
      expect(await kz.listTopics()).to.include(topic);
    } finally {
      await Promise.all([superUser.disconnect(), kz.disconnect()]);
    }
  });

  it('refuses a wrong password', async () => {
    const security = {
      ...broker!.security(nodePrincipal(names, 'KZ')),
      passwordFile: undefined,
      password: 'not-the-password',
    };
    const admin = client(security, 'wrong-password', 0).admin({ retry: { retries: 0 } });
    clients.push(admin);
    expect(await refusedWith(() => admin.connect())).to.match(
      /KafkaJSSASLAuthenticationError|SASL_AUTHENTICATION_FAILED/,
    );
  });

  it('refuses a plaintext connection', async () => {
    const kafka = createKafka({
      brokers: broker!.brokers,
      clientId: 'plaintext',
      logger,
      connectionTimeoutMs: 3000,
      retries: 0,
    });
    const admin = kafka.admin({ retry: { retries: 0 } });
    clients.push(admin);
    expect(await refusedWith(() => admin.connect())).to.match(/Connection|closed|timeout|ECONNRESET/i);
  });

  it('refuses TLS that does not chain to the hub CA: the client does not trust a stranger broker', async () => {
    const stranger = new PkiStore(join(home, 'stranger-pki'));
    stranger.initCa({ bits: 2048 });
    const security = { ...broker!.security(nodePrincipal(names, 'KZ')), caPem: stranger.caCertPem() };
    const admin = client(security, 'wrong-ca', 0).admin({ retry: { retries: 0 } });
    clients.push(admin);
    expect(await refusedWith(() => admin.connect())).to.match(/certificate|self.signed|unable to verify/i);
  });

  it("admits only brokers' certificates as super users on the internal listener, not a node's from the same CA", async () => {
    const pki = new PkiStore(join(home, 'pki'));
    const issued = pki.issue({ country: 'KZ', agency: 'KZ customs' });
    const withCert = new Kafka({
      clientId: 'kz-certificate',
      brokers: broker!.internal,
      ssl: { ca: [broker!.caPem], cert: issued.certificatePem, key: issued.privateKeyPem },
      retry: { retries: 1 },
      logLevel: logLevel.NOTHING,
    });
    // TLS succeeds (the CA issued it), but the principal is the node's distinguished name, which no ACL names.
    expect(await refusedWith(() => produce(withCert, names.nodeOut('KZ'), 'via-internal'))).to.match(
      /^(CLUSTER|TOPIC)_AUTHORIZATION_FAILED$/,
    );
    const noCert = new Kafka({
      clientId: 'no-certificate',
      brokers: broker!.internal,
      ssl: { ca: [broker!.caPem] },
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
    const admin = noCert.admin({ retry: { retries: 0 } });
    clients.push(admin);
    expect(await refusedWith(() => admin.connect())).to.match(
      /Connection|closed|certificate|handshake|ECONNRESET/i,
    );
  });

  it("lets the coordinator read every node's out topic, and nothing it may write as a node", async () => {
    // Its own messages, whatever earlier tests left in these topics: it reads all they hold.
    await produce(as(nodePrincipal(names, 'KZ')), names.nodeOut('KZ'), 'kz-report-for-coordinator');
    await produce(as(nodePrincipal(names, 'UZ')), names.nodeOut('UZ'), 'uz-report-1');
    const coordinator = as(principals.coordinator);
    // The coordination node writes its own requests, and reads them back with the nodes' messages.
    await produce(coordinator, names.hubOut, 'hub-request-1');
    const count = await held(names.nodeOutPattern);
    const got = await consume(coordinator, names.nodeOutPattern, names.group('coordinator'), count);
    expect(got.map((g) => `${g.topic} ${g.message.value?.toString()}`)).to.include.members([
      `${names.nodeOut('KZ')} kz-report-for-coordinator`,
      `${names.nodeOut('UZ')} uz-report-1`,
      `${names.hubOut} hub-request-1`,
    ]);
    expect(await refusedWith(() => produce(coordinator, names.nodeOut('KZ'), 'as-kz'))).to.equal(
      'TOPIC_AUTHORIZATION_FAILED',
    );
  });

  it('onboards a country with `hub security grant` as hub-admin: KG may then write its own out topic', async () => {
    const r = hubSync(['security', 'grant', 'KG'], {
      ...process.env,
      HUB_HOME: home,
      HUB_NAMESPACE: namespace,
      HUB_KAFKA_BROKERS: broker!.brokers.join(','),
      HUB_KAFKA_REPLICATION_FACTOR: '1',
      HUB_KAFKA_SECURITY: 'sasl_ssl',
      HUB_KAFKA_USERNAME: PRINCIPALS.admin,
      HUB_KAFKA_PASSWORD_FILE: passwordFile(home, PRINCIPALS.admin),
    });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/KG: created 2 topics/);
    expect(r.stdout + r.stderr).not.to.contain(
      readFileSync(passwordFile(home, PRINCIPALS.admin), 'utf8').trim(),
    );
    await addScramUsers({
      libs: kafkaLayout(loadConfig().cacheDir, home, stackVersions().kafka).libs,
      internal: broker!.internal,
      hubHome: home,
      tls: broker!.tls,
      principals: [nodePrincipal(names, 'KG')],
    });
    await produce(as(nodePrincipal(names, 'KG')), names.nodeOut('KG'), 'kg-report-1');
    expect(
      await refusedWith(() => produce(as(nodePrincipal(names, 'KG')), names.nodeOut('KZ'), 'as-kz')),
    ).to.equal('TOPIC_AUTHORIZATION_FAILED');
  });

  it('lets the query API read the feeds but write nothing', async () => {
    await produce(as(principals.coordinator), names.feed('balkan-route'), 'balkan-record-for-api');
    const api = as(principals.queryApi);
    const count = await held([names.feed('balkan-route')]);
    const got = await consume(api, [names.feed('balkan-route')], names.group('query-api-feed-test'), count);
    expect(got.map((g) => g.message.value?.toString())).to.include('balkan-record-for-api');
    expect(await refusedWith(() => produce(api, names.feed('balkan-route'), 'injected'))).to.match(
      /TOPIC_AUTHORIZATION_FAILED|CLUSTER_AUTHORIZATION_FAILED/,
    );
  });
  it('rotates a password on the running broker: a client following its file reconnects with it, the old one is refused', async () => {
    const kz = nodePrincipal(names, 'KZ');
    const file = passwordFile(home, kz);
    const old = readFileSync(file, 'utf8').trim();
    // One client as the services make theirs (the password file followed), one holding the old password as text.
    const following = as(kz);
    const frozen = client({ ...broker!.security(kz), passwordFile: undefined, password: old }, 'kz-frozen');
    await produce(following, names.nodeOut('KZ'), 'before-rotation');
    await produce(frozen, names.nodeOut('KZ'), 'before-rotation-frozen');
    const before = await held([names.nodeOut('KZ')]);

    await rotateScramPasswords({
      libs: kafkaLayout(loadConfig().cacheDir, home, stackVersions().kafka).libs,
      internal: broker!.internal,
      hubHome: home,
      tls: broker!.tls,
      principals: [kz],
    });
    const fresh = readFileSync(file, 'utf8').trim();
    expect(fresh)
      .to.match(/^[A-Za-z0-9_-]{32}$/)
      .and.not.equal(old);
    expect(statSync(file).mode & 0o077, 'the new file is the owner’s only').to.equal(0);

    // New connections of the same client authenticate with the new password (each produce connects afresh).
    await produce(following, names.nodeOut('KZ'), 'after-rotation');
    expect(await refusedWith(() => produce(frozen, names.nodeOut('KZ'), 'with-the-old-password'))).to.match(
      /SASL|[Aa]uthentication/,
    );
    expect(
      await held([names.nodeOut('KZ')]),
      'the one sent with the new password, not the refused one',
    ).to.equal(before + 1);
  });
});
