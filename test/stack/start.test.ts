// `hub start` (npm start) as a user runs it: the coordinator, a national node per demo country, the query API and
// dashboard as processes of their own, with demo data, on the shared broker and store (a namespace of its own).
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { hubAsync, hubSync } from '../support/cli';
import { getJson, postJson, minimalReport } from '../support/hub';
import { cleanUpStart, startEnv, startHub, type StartedHub } from '../support/start';

const minimal = minimalReport();

describe('hub start: the whole hub with demo national nodes and demo data', function () {
  this.timeout(180000);
  let env: TestEnv;
  let hub: StartedHub;
  let cli: NodeJS.ProcessEnv;

  before(async function () {
    this.timeout(240000);
    env = createTestEnv('hub-start');
    cli = await startEnv(env, { HUB_KAFKA_BROKERS: env.config.kafka.brokers.join(',') });
    hub = await startHub(env, cli, ['--reports', '12']);
  });

  after(async function () {
    this.timeout(60000);
    await cleanUpStart(env, cli, hub);
  });

  it('runs every service healthy and prints where they are and an analyst token', async () => {
    const { endpoints } = hub;
    // CONTRACT.md's shape of $HUB_HOME/run/endpoints.json, for scripts.
    expect(endpoints).to.include.keys('api', 'kafka', 'mongo', 'nodes', 'token');
    expect(endpoints.kafka).to.equal(cli.HUB_KAFKA_BROKERS);
    expect(endpoints.mongo).to.equal(env.config.mongo.url);
    expect(endpoints.kafkaSecurity).to.equal('plaintext');
    expect(Object.keys(endpoints.nodes)).to.deep.equal(['KZ', 'KG']);
    for (const url of [...Object.values(endpoints.nodes), endpoints.api])
      expect((await fetch(`${url}/healthz`)).status, url).to.equal(200);
    const coordinatorOps = `http://127.0.0.1:${Number(cli.HUB_API_PORT) + 1}`;
    expect(await (await fetch(`${coordinatorOps}/metrics`)).text()).to.contain('hub_coordinator_');
    const dashboard = await fetch(`${endpoints.api}/`);
    expect(dashboard.headers.get('content-type')).to.match(/text\/html/);
    const printed = await waitUntil(
      'the banner',
      () => {
        const log = readFileSync(hub.child.logFile, 'utf8');
        return log.includes('Press Ctrl-C to stop.') && log;
      },
      60000,
      250,
    );
    expect(printed).to.contain('The seizure-exchange hub is running.').and.contain(endpoints.token);
    for (const step of ['1/6', '2/6', '3/6', '4/6', '5/6', '6/6'])
      expect(printed).to.contain(`[start] ${step}`);
  });

  it('brings the demo reports and a posted one to the query API, and the receipt back to the node', async () => {
    const { endpoints } = hub;
    const demo = await waitUntil(
      'the demo reports at the query API',
      async () => {
        const r = await getJson(`${endpoints.api}/v1/seizures?limit=50`, endpoints.token);
        const items = (r.body.items ?? []) as unknown[];
        return items.length >= 5 && items;
      },
      90000,
      500,
    );
    expect(demo.length).to.be.at.least(5);
    const posted = await postJson(`${endpoints.nodes.KZ}/v1/seizures`, minimal);
    expect(posted.status).to.equal(202);
    const reportId = posted.body.reportId as string;
    const receipt = await waitUntil(
      'an accepted receipt at node KZ',
      async () => {
        const r = await getJson(`${endpoints.nodes.KZ}/v1/receipts/${reportId}`);
        return r.body.status === 'accepted' && r.body;
      },
      60000,
      250,
    );
    expect(receipt.version).to.equal(1);
    const record = await getJson(`${endpoints.api}/v1/seizures/${reportId}`, endpoints.token);
    expect(record.status).to.equal(200);
    expect((record.body.provenance as { verified: boolean }).verified).to.equal(true);
  });

  it('shows a coordinator the demo information requests: one answered, one open, one of the coordination node', async () => {
    const token = hubSync(['token', '--role', 'coordinator', '--country', 'KZ', '--clearance', 'RED'], cli);
    expect(token.status, token.stderr).to.equal(0);
    type Listed = { requester: string; addressee: string; status: string; urgency: string };
    const listed = await waitUntil(
      'the demo requests at the query API',
      async () => {
        const r = await getJson(`${hub.endpoints.api}/v1/requests`, token.stdout.trim());
        const list = (r.body.requests ?? []) as Listed[];
        return list.length >= 3 && list.some((q) => q.status === 'answered') && list;
      },
      60000,
      500,
    );
    expect(listed.map((q) => `${q.requester}>${q.addressee} ${q.status}`).sort()).to.deep.equal([
      'HUB>KZ open',
      'KG>KZ open',
      'KZ>KG answered',
    ]);
    expect(listed.find((q) => q.requester === 'KG')?.urgency).to.equal('urgent');
    expect(readFileSync(hub.child.logFile, 'utf8')).to.contain('3 information requests');
  });

  it('stops every service on SIGTERM with exit code 0', async () => {
    const { endpoints } = hub;
    expect(await hub.stop()).to.equal(0);
    for (const url of [...Object.values(endpoints.nodes), endpoints.api]) {
      const refused = await fetch(`${url}/healthz`).then(
        () => false,
        () => true,
      );
      expect(refused, `${url} still answers`).to.equal(true);
    }
  });
});

describe('hub start: a port its services need is taken', function () {
  this.timeout(60000);
  let env: TestEnv;
  before(() => {
    env = createTestEnv('hub-start-ports');
  });
  after(() => env?.cleanup());

  it('refuses at once, naming the port, the service and the setting, before it provisions or starts anything', async () => {
    const cli = await startEnv(env, { HUB_KAFKA_BROKERS: env.config.kafka.brokers.join(',') });
    const apiPort = Number(cli.HUB_API_PORT);
    // Held by another program: the coordinator's port (HUB_API_PORT + 1), then a demo node's.
    for (const [port, says] of [
      [
        apiPort + 1,
        `port ${apiPort + 1} (the coordinator's /healthz and /metrics, HUB_API_PORT + 1) is already in use`,
      ],
      [
        Number(cli.HUB_NODE_BASE_PORT) + 1,
        `(the national node KG, HUB_NODE_BASE_PORT + 1) is already in use`,
      ],
    ] as const) {
      const holder = createServer();
      await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
      try {
        const run = await hubAsync(['start', '--no-demo'], cli, 30000);
        expect(run.status, run.stderr).to.equal(1);
        expect(run.stderr).to.include(says);
        expect(run.stderr).to.match(/Stop it, or choose other ports with HUB_(API|NODE_BASE)_PORT=<port>/);
        expect(run.stderr, 'nothing started').not.to.include('1/6');
        expect(existsSync(join(env.home, 'pki')), 'no PKI made').to.equal(false);
      } finally {
        await new Promise((resolve) => holder.close(resolve));
      }
    }
  });
});
