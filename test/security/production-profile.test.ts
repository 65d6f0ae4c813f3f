// infra/production carries the same broker security profile as the code: its broker properties and bootstrap
// script are what `hub security render` renders, the compose file wires them, and the bootstrap script, run with
// Kafka's own tools against a real secured broker started here, leaves exactly the access the topic table allows.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, repoRoot } from '@hub/config';
import { PRINCIPALS, createKafka, hubPrincipals, nodePrincipal, topicNames, type Kafka } from '@hub/kafka';
import { createLogger } from '@hub/observability';
import { loadRegions } from '@hub/schemas';
import { kafkaLayout } from '../../scripts/src/stack/kafka';
import { stopPid } from '../../scripts/src/stack/proc';
import { ensurePasswordFile } from '../../scripts/src/stack/secrets';
import { startSecureKafka, principalSecurity, type SecureBroker } from '../../scripts/src/stack/security';
import {
  bootstrapScript,
  productionBrokerProperties,
  productionPrincipals,
} from '../../scripts/src/stack/security-production';
import { stackVersions } from '../../scripts/src/stack/versions';
import { listenerPorts, refusedWith } from './support';

const production = join(repoRoot, 'infra', 'production');
const compose = readFileSync(join(production, 'docker-compose.yml'), 'utf8');
const committedScript = readFileSync(join(production, 'security', 'bootstrap-security.sh'), 'utf8');
const brokers = ['kafka-1', 'kafka-2', 'kafka-3'];
const countries = /Countries: ([A-Z,]+)/.exec(committedScript)?.[1]?.split(',') ?? [];
const plan = { brokers, countries, regions: loadRegions(), partitions: 3, replicationFactor: 3 };

describe('production layout: broker security profile (infra/production)', () => {
  it('has the broker properties and bootstrap script that `hub security render` renders', () => {
    expect(countries).to.include('KZ');
    expect(committedScript, 'run: npx hub security render --countries ' + countries.join(',')).to.equal(
      bootstrapScript(plan),
    );
    brokers.forEach((_, i) => {
      const committed = readFileSync(join(production, 'kafka', `server-${i + 1}.properties`), 'utf8');
      expect(committed, `server-${i + 1}.properties`).to.equal(productionBrokerProperties(plan, i + 1));
    });
  });

  it('mounts each broker its properties and TLS files, and runs the bootstrap before the services', () => {
    brokers.forEach((b, i) => {
      expect(compose).to.contain(
        `./kafka/server-${i + 1}.properties:/mnt/shared/config/server.properties:ro`,
      );
      expect(compose).to.contain(`./secrets/brokers/${b}:/etc/kafka/secrets:ro`);
    });
    expect(compose).to.contain('./security/bootstrap-security.sh:/bootstrap/bootstrap-security.sh:ro');
    expect(compose).to.match(/kafka-bootstrap: \{ condition: service_completed_successfully \}/);
    // The security checks of the image's env-driven configuration would demand JKS files: none of it is in env.
    expect(compose).not.to.match(/KAFKA_(ADVERTISED_LISTENERS|LISTENERS|PROCESS_ROLES|SSL_)/);
  });

  it('gives every service its own principal over SASL_SSL, with the password as a Docker secret', () => {
    expect(compose).to.contain('HUB_KAFKA_SECURITY: sasl_ssl');
    // The committed layout is one hub without a namespace: its principals keep their plain names.
    const principals = hubPrincipals(topicNames(''));
    for (const principal of [principals.coordinator, principals.queryApi, principals.node('KZ')]) {
      expect(compose).to.contain(`HUB_KAFKA_USERNAME: ${principal}`);
      expect(compose).to.contain(`HUB_KAFKA_PASSWORD_FILE: /run/secrets/kafka-${principal}`);
      expect(compose).to.contain(`file: ./secrets/kafka/${principal}.password`);
    }
    expect(compose).to.match(/HUB_KAFKA_BROKERS: kafka-1:9092,kafka-2:9092,kafka-3:9092/);
  });

  describe('the bootstrap script on a real secured broker', function () {
    this.timeout(300000);
    let home: string;
    let broker: SecureBroker | undefined;
    let passwords: string;
    const names = topicNames('');
    const local = { ...plan, countries: ['KZ', 'UZ'], replicationFactor: 1 };
    const clients: { disconnect(): Promise<void> }[] = [];
    const as = (principal: string): Kafka =>
      createKafka({
        brokers: broker!.brokers,
        clientId: principal,
        logger: createLogger('test:production-profile', { level: 'silent' }),
        security: {
          ...principalSecurity(home, principal, broker!.caPem),
          password: readFileSync(join(passwords, `${principal}.password`), 'utf8').trim(),
        },
      });

    before(async function () {
      this.timeout(300000);
      home = mkdtempSync(join(tmpdir(), 'hub-production-profile-'));
      const base = kafkaLayout(loadConfig().cacheDir, home, stackVersions().kafka);
      // The broker starts with hub-admin's credential only (the cluster's, from this HUB_HOME): the script keeps it
      // and creates the hub's principals' from the production password files.
      broker = await startSecureKafka({
        layout: { ...base, logFile: join(home, 'kafka.log') },
        hubHome: home,
        listeners: await listenerPorts(),
        heapMb: 384,
        marker: 'kafka-security-test',
      });
      passwords = join(home, 'production-passwords');
      for (const p of productionPrincipals(local.countries)) ensurePasswordFile(passwords, p);
      // kafka-*.sh as the apache/kafka image has them, from the cached jars.
      const bin = join(home, 'bin');
      mkdirSync(bin);
      const tools = {
        'kafka-configs.sh': 'kafka.admin.ConfigCommand',
        'kafka-topics.sh': 'org.apache.kafka.tools.TopicCommand',
        'kafka-broker-api-versions.sh': 'org.apache.kafka.tools.BrokerApiVersionsCommand',
        'kafka-acls.sh': 'org.apache.kafka.tools.AclCommand',
      };
      for (const [name, main] of Object.entries(tools)) {
        writeFileSync(
          join(bin, name),
          `#!/bin/sh\nexec java -Xmx128m -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile=${join(base.configDir, 'log4j2.xml')} -cp '${base.libs}/*' ${main} "$@"\n`,
        );
        chmodSync(join(bin, name), 0o755);
      }
      const script = join(home, 'bootstrap-security.sh');
      writeFileSync(script, bootstrapScript(local));
      const result = await new Promise<{ code: number; output: string }>((resolve) => {
        const child = spawn('sh', [script], {
          env: {
            ...process.env,
            KAFKA_INTERNAL_BOOTSTRAP: broker!.internal.join(','),
            KAFKA_TLS_DIR: join(broker!.tls.keystore, '..'),
            KAFKA_PASSWORD_DIR: passwords,
            KAFKA_BIN: bin,
            KAFKA_TOPIC_REPLICAS: '1',
          },
        });
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr.on('data', (d: Buffer) => (output += d.toString()));
        child.on('close', (code) => resolve({ code: code ?? 1, output }));
      });
      expect(result.code, result.output.slice(-3000)).to.equal(0);
      expect(result.output).to.match(
        /broker security profile applied: 5 principals, \d+ topics, \d+ ACL grants/,
      );
      // Kafka's ConfigCommand reports the credential hub-admin has: the script sets it no more.
      expect(result.output).to.contain('hub-admin has a SCRAM-SHA-512 credential on the cluster: kept');
      for (const p of productionPrincipals(local.countries))
        expect(result.output, 'no password in the output').not.to.contain(
          readFileSync(join(passwords, `${p}.password`), 'utf8').trim(),
        );
    });

    after(async function () {
      this.timeout(60000);
      for (const c of clients) await c.disconnect().catch(() => undefined);
      if (broker) await stopPid(broker.pid, 30000);
      if (home) rmSync(home, { recursive: true, force: true });
    });

    async function send(kafka: Kafka, topic: string): Promise<void> {
      // acks=1: one broker cannot meet the production min.insync.replicas=2.
      const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 1 } });
      clients.push(producer);
      await producer.connect();
      try {
        await producer.send({ topic, acks: 1, messages: [{ key: 'k', value: 'v' }] });
      } finally {
        await producer.disconnect();
      }
    }

    it("keeps the cluster's hub-admin: it gets in with the password it had, and sees every topic", async () => {
      const admin = createKafka({
        brokers: broker!.brokers,
        clientId: 'hub-admin',
        logger: createLogger('test:production-profile', { level: 'silent' }),
        security: broker!.security(PRINCIPALS.admin),
      }).admin();
      clients.push(admin);
      await admin.connect();
      const topics = await admin.listTopics();
      expect(topics).to.include.members([
        names.nodeOut('KZ'),
        names.nodeIn('UZ'),
        names.feed('balkan-route'),
        names.pki,
      ]);
      await admin.disconnect();
    });

    it("lets node KZ write its out topic and refuses it UZ's", async () => {
      await send(as(nodePrincipal(names, 'KZ')), names.nodeOut('KZ'));
      expect(await refusedWith(() => send(as(nodePrincipal(names, 'KZ')), names.nodeOut('UZ')))).to.equal(
        'TOPIC_AUTHORIZATION_FAILED',
      );
    });
  });
});
