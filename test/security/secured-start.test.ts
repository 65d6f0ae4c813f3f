// `hub start --secure` (npm start -- --secure) as a user runs it: a local stack whose broker runs the security
// profile, provisioned by `stack up` itself (TLS from the hub CA, a SCRAM principal per service, the topic table's
// ACLs), and every service of the hub on it as its own principal. Its own HUB_HOME and broker ports; the store is
// the shared one (a database of its own).
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaSecretsDir, loadConfig } from '@hub/config';
import { nodePrincipal, topicNames } from '@hub/kafka';
import { PkiStore } from '@hub/pki';
import { probeKafka } from '../../scripts/src/stack/probes';
import { principalSecurity, secureKafka } from '../../scripts/src/stack/security';
import { stackUp } from '../../scripts/src/stack/stack';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { getJson } from '../support/hub';
import { postAccepted } from '../support/receipts';
import { hubAsync, hubSync } from '../support/cli';
import { listenerPorts } from './support';
import { cleanUpStart, startEnv, startHub, type Endpoints, type StartedHub } from '../support/start';
import { refusedWith } from './support';

describe('hub start --secure: the whole hub on a local broker with the security profile', function () {
  this.timeout(240000);
  let env: TestEnv;
  let cli: NodeJS.ProcessEnv;
  let hub: StartedHub | undefined;
  let endpoints: Endpoints;

  before(async function () {
    this.timeout(300000);
    env = createTestEnv('secured-start');
    // The local stack's broker, on ports of its own (not HUB_KAFKA_BROKERS, which would be a broker of others).
    const ports = await listenerPorts();
    cli = await startEnv(env, {
      HUB_KAFKA_BROKERS: undefined,
      HUB_STACK_KAFKA_PORT: String(ports.client),
      HUB_STACK_KAFKA_CONTROLLER_PORT: String(ports.controller),
      HUB_STACK_KAFKA_INTERNAL_PORT: String(ports.internal),
    });
    hub = await startHub(env, cli, ['--secure', '--reports', '12']);
    endpoints = hub.endpoints;
  });

  after(async function () {
    this.timeout(90000);
    await cleanUpStart(env, cli, hub, { stackDown: true });
  });

  it('carries the demo reports through the secured broker to the query API', async () => {
    expect(endpoints.kafkaSecurity).to.equal('sasl_ssl');
    const items = await waitUntil(
      'the demo reports at the query API',
      async () => {
        const r = await getJson(`${endpoints.api}/v1/seizures?limit=50`, endpoints.token);
        const list = (r.body.items ?? []) as unknown[];
        return list.length >= 5 ? list : undefined;
      },
      90000,
      500,
    );
    expect(items.length).to.be.at.least(5);
    const status = hubSync(['stack', 'status'], cli);
    expect(status.status, status.stderr).to.equal(0);
    expect(status.stdout).to.match(/kafka\s+running\s+Apache Kafka \S+\s+\S+\s+SASL_SSL/);
  });

  it('refuses plaintext clients, and a node writing to another country’s topic', async () => {
    const brokers = endpoints.kafka.split(',');
    expect((await probeKafka(brokers)).ok).to.equal(false);
    const caPem = new PkiStore(join(env.home, 'pki')).caCertPem();
    const kg = secureKafka(
      brokers,
      principalSecurity(env.home, nodePrincipal(topicNames(env.config.namespace), 'KG'), caPem),
    ).producer();
    await kg.connect();
    try {
      const names = topicNames(env.config.namespace);
      // Its own topic is open to it; KZ's is not.
      await kg.send({ topic: names.nodeOut('KG'), messages: [{ value: 'x' }] }).catch((err: Error) => {
        throw new Error(`node-KG could not write its own topic: ${err.message}`);
      });
      expect(
        await refusedWith(() => kg.send({ topic: names.nodeOut('KZ'), messages: [{ value: 'forged' }] })),
      ).to.equal('TOPIC_AUTHORIZATION_FAILED');
    } finally {
      await kg.disconnect();
    }
  });

  it('lets the coordination node ask a country over the secured broker, as the coordinator (hub ask)', async () => {
    const r = hubSync(
      ['ask', 'KZ', '--purpose', 'regional analysis', '--question', 'Any escorts seen?', '--tlp', 'GREEN'],
      cli,
      90000,
    );
    expect(r.status, r.stderr).to.equal(0);
    const asked = JSON.parse(r.stdout) as { requestId: string; stored: boolean };
    expect(asked.stored).to.equal(true);
    await waitUntil("the request at KZ's node", async () => {
      const list = (await getJson(`${endpoints.nodes.KZ}/v1/requests`)).body.requests as {
        requestId: string;
        requester: string;
      }[];
      return list.find((q) => q.requestId === asked.requestId && q.requester === 'HUB');
    });
  });

  it('rotates every password with `hub security rotate all` while the hub runs, which goes on', async () => {
    const secrets = kafkaSecretsDir(env.home);
    const passwords = () =>
      Object.fromEntries(
        readdirSync(secrets)
          .filter((f) => f.endsWith('.password'))
          .map((f) => [f.slice(0, -'.password'.length), readFileSync(join(secrets, f), 'utf8').trim()]),
      );
    const before = passwords();
    const r = await hubAsync(['security', 'rotate', 'all'], cli, 180000);
    expect(r.status, r.stderr).to.equal(0);
    // The hub's own principals carry its namespace (hubs sharing a broker share none); hub-admin is the broker's.
    const ns = env.config.namespace;
    const rotated = /new passwords for (.+?) on the broker/.exec(r.stderr)?.[1]?.split(', ') ?? [];
    expect(rotated, r.stderr).to.include.members(['hub-admin', `${ns}.coordinator`, `${ns}.query-api`]);
    expect(
      rotated.filter((p) => p.startsWith(`${ns}.node-`)),
      r.stderr,
    ).to.have.length.above(0);
    const after = passwords();
    expect(Object.keys(after).sort()).to.deep.equal(Object.keys(before).sort());
    for (const principal of Object.keys(before))
      expect(after[principal], principal).to.not.equal(before[principal]);

    // New connections: the CLI as hub-admin reads the new file; the old password is refused.
    const status = hubSync(['stack', 'status'], cli);
    expect(status.status, status.stderr).to.equal(0);
    const brokers = endpoints.kafka.split(',');
    const caPem = new PkiStore(join(env.home, 'pki')).caCertPem();
    const old = {
      ...principalSecurity(env.home, nodePrincipal(topicNames(env.config.namespace), 'KG'), caPem),
      passwordFile: undefined,
    };
    const stale = secureKafka(brokers, {
      ...old,
      password: before[nodePrincipal(topicNames(env.config.namespace), 'KG')]!,
    }).producer();
    expect(await refusedWith(() => stale.connect())).to.match(/SASL|[Aa]uthentication/);
    // The running hub goes on: a report through KZ's node is answered.
    await postAccepted(endpoints.nodes.KZ!);
  });

  it('rolls the hub CA over while the hub runs: commands started later still reach the broker, on its old certificate', async () => {
    const rolled = await hubAsync(['pki', 'rollover', '--bits', '2048'], cli, 120000);
    expect(rolled.status, rolled.stderr).to.equal(0);
    // A command configured as the services are (the coordinator's principal, the hub's CAs by default), while the
    // broker still serves its certificate from the CA that was replaced.
    const r = hubSync(
      ['ask', 'KZ', '--purpose', 'regional analysis', '--question', 'After the rollover?', '--tlp', 'GREEN'],
      cli,
      90000,
    );
    expect(r.status, r.stderr).to.equal(0);
    expect((JSON.parse(r.stdout) as { stored: boolean }).stored).to.equal(true);
    await postAccepted(endpoints.nodes.KZ!);
  });

  it('refuses --secure with brokers of others named in HUB_KAFKA_BROKERS, saying what to set', () => {
    const r = hubSync(['stack', 'up', '--secure'], { ...cli, HUB_KAFKA_BROKERS: endpoints.kafka });
    expect(r.status, 'a usage error').to.equal(2);
    expect(r.stderr).to.contain('HUB_KAFKA_BROKERS').and.contain('HUB_KAFKA_SECURITY=sasl_ssl');
  });

  it('tells a command that needs the plaintext broker to stop the secured one first', async () => {
    let error: Error | undefined;
    await stackUp(loadConfig(cli), () => undefined, { security: 'plaintext' }).catch(
      (e: Error) => (error = e),
    );
    expect(error?.message).to.contain('security profile').and.contain("'hub stack down'");
  });

  it('stops every service on SIGTERM, leaving the stack running', async () => {
    expect(await hub!.stop()).to.equal(0);
    expect(readFileSync(hub!.child.logFile, 'utf8')).to.contain('stopped (the local stack keeps running');
    const admin = principalSecurity(env.home, 'hub-admin', new PkiStore(join(env.home, 'pki')).caCertPem());
    expect((await probeKafka(endpoints.kafka.split(','), admin)).ok).to.equal(true);
  });
});
