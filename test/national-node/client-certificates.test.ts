// A national node that takes only agency systems with a client certificate from the hub CA
// (HUB_NODE_CLIENT_CERTIFICATES=require, over HUB_NODE_TLS_*), on the real stack: the certificate's common name is
// the system's name the report carries (submittedBy), an identity the hub CA vouches for; a missing, foreign,
// stranger's, node's or revoked certificate is refused, saying why.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@hub/config';
import { csvReportId } from '@hub/domain';
import { decodeEnvelope } from '@hub/envelope';
import { PkiStore } from '@hub/pki';
import { loadSchemaRegistry } from '@hub/schemas';
import { COLLECTIONS, connectStore, type StoredEnvelope } from '@hub/store';
import { hubAsync } from '../support/cli';
import { cliEnv, createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { getJson, minimalReport, startTestHub, testPki, type TestHub } from '../support/hub';
import { cleanUpStart, startEnv, startHub, type StartedHub } from '../support/start';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe('national node: agency systems with client certificates (HUB_NODE_CLIENT_CERTIFICATES=require)', function () {
  this.timeout(120000);
  let env: TestEnv;
  let hub: TestHub;
  let pki: PkiStore;
  let ca: string;
  let stranger: string;
  const files = (certFile: string, keyFile: string) => ({
    cert: readFileSync(certFile, 'utf8'),
    key: readFileSync(keyFile, 'utf8'),
  });
  let customs: { cert: string; key: string; fingerprint: string; certFile: string; keyFile: string };
  let police: { cert: string; key: string; fingerprint: string };

  before(async () => {
    env = createTestEnv('client-certs');
    pki = testPki(env, ['KZ']);
    ca = pki.caCertPem();
    const server = pki.issueServer('node-kz', { hostnames: ['node-kz'] });
    const issue = (country: string, system: string) => {
      const issued = pki.issueClient({ country, system });
      return {
        ...files(issued.certFile, issued.keyFile),
        fingerprint: issued.fingerprint,
        certFile: issued.certFile,
        keyFile: issued.keyFile,
      };
    };
    customs = issue('KZ', 'customs-declarations-kz');
    // As an operator does, where the CA key is kept.
    const cli = await hubAsync(['pki', 'issue-client', 'KZ', 'police-cases-kz', '--days', '30'], cliEnv(env));
    expect(cli.status, cli.stderr).to.equal(0);
    expect(cli.stderr).to.match(/certificate for police-cases-kz of KZ valid until/);
    const clientDir = join(env.config.hubHome, 'pki', 'clients', 'KZ');
    police = {
      ...files(join(clientDir, 'police-cases-kz.crt'), join(clientDir, 'police-cases-kz.key')),
      fingerprint: cli.stdout.trim(),
    };
    env.config = {
      ...env.config,
      nodeTls: {
        certPem: readFileSync(server.certFile, 'utf8'),
        keyPem: readFileSync(server.keyFile, 'utf8'),
        certFile: server.certFile,
        keyFile: server.keyFile,
      },
      nodeClientCertificates: true,
    };
    // Another hub's CA, whose certificates look the same.
    stranger = mkdtempSync(join(tmpdir(), 'hub-stranger-ca-'));
    new PkiStore(stranger).initCa({ bits: 2048 });
    // Looks for renewed certificates (its signing one and its TLS one) twice a second.
    hub = await startTestHub(env, ['KZ'], {}, { certificateCheckMs: 500 });
  });
  after(async () => {
    await hub?.close();
    rmSync(stranger, { recursive: true, force: true });
    env?.cleanup();
  });

  /** A request to KZ's node over TLS, trusting the hub CA, with the client certificate given (none: none). */
  const call = (path: string, client?: { cert: string; key: string }, body?: unknown): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = request(
        `${hub.nodes.KZ!.url}${path}`,
        {
          method: body === undefined ? 'GET' : 'POST',
          ca,
          ...client,
          agent: false,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            resolve({
              status,
              body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {},
            });
          });
        },
      );
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  const code = (a: Answer) => (a.body.error as { code: string } | undefined)?.code;
  const message = (a: Answer) => String((a.body.error as { message: string } | undefined)?.message);

  it('serves its API over TLS with its server certificate, and signs what a system sends with its name', async () => {
    expect(hub.nodes.KZ!.url).to.match(/^https:\/\//);
    const posted = await call('/v1/seizures', customs, { ...minimalReport(), submittedBy: 'somebody else' });
    expect(posted.status, JSON.stringify(posted.body)).to.equal(202);
    const other = await call('/v1/seizures', police, minimalReport());
    expect(other.status).to.equal(202);
    const token = hub.token('analyst', 'KZ', 'AMBER');
    const stored = async (id: unknown) =>
      waitUntil(
        `report ${String(id)} stored`,
        async () => {
          const r = await getJson(`${hub.apiUrl}/v1/seizures/${String(id)}`, token);
          return r.status === 200 ? r.body : undefined;
        },
        60000,
      );
    const first = (await stored(posted.body.reportId)) as { report: { submittedBy?: string } };
    const second = (await stored(other.body.reportId)) as { report: { submittedBy?: string } };
    expect(first.report.submittedBy, 'the certificate names it, not the body').to.equal(
      'customs-declarations-kz',
    );
    expect(second.report.submittedBy).to.equal('police-cases-kz');
    // Health and metrics take any client (the monitoring has no certificate).
    expect((await call('/healthz')).status).to.equal(200);
  });

  it('signs a renewal with the name of the system that asked for it (RetentionRenewal v2), and the hub takes it', async () => {
    const posted = await call('/v1/seizures', customs, minimalReport());
    expect(posted.status, JSON.stringify(posted.body)).to.equal(202);
    const id = String(posted.body.reportId);
    await waitUntil(
      `report ${id} accepted`,
      async () => ((await call(`/v1/receipts/${id}`, customs)).body.status === 'accepted' ? true : undefined),
      60000,
    );
    // Another system of the country renews it: its own name is signed, not the sender's of the report.
    const renewed = await call(`/v1/seizures/${id}/renew`, police, {
      reason: 'investigation 2026/117 is open',
    });
    expect(renewed.status, JSON.stringify(renewed.body)).to.equal(202);
    const messageId = String(renewed.body.messageId);
    const receipt = await waitUntil(
      'the renewal answered',
      async () =>
        (
          (await call(`/v1/receipts/${id}`, customs)).body.renewals as
            { inReplyTo: string; status: string }[] | undefined
        )?.find((r) => r.inReplyTo === messageId),
      60000,
    );
    expect(receipt).to.include({ status: 'accepted' });
    // What the hub archived is what the node signed.
    const store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
    try {
      const archived = await waitUntil('the renewal archived', async () =>
        store.collection<StoredEnvelope>(COLLECTIONS.envelopes).findOne({ _id: messageId }),
      );
      const decoded = decodeEnvelope(Buffer.from(archived.bytes));
      if (!decoded.ok) throw new Error(decoded.detail);
      const registry = loadSchemaRegistry();
      expect(registry.byFingerprint(decoded.envelope.schemaFingerprint)).to.include({
        name: 'RetentionRenewal',
        version: 2,
      });
      expect(
        registry.decode(decoded.envelope.schemaFingerprint, decoded.envelope.payload) as Record<
          string,
          unknown
        >,
      ).to.include({ subjectId: id, submittedBy: 'police-cases-kz' });
      // And the hub's renewal log names who asked for it.
      const kept = await store
        .collection<{ _id: string; renewals: { messageId?: string; submittedBy?: string | null }[] }>(
          COLLECTIONS.retention,
        )
        .findOne({ _id: id });
      expect(kept?.renewals.find((r) => r.messageId === messageId)).to.include({
        submittedBy: 'police-cases-kz',
      });
    } finally {
      await store.close();
    }
  });

  it('refuses a request without a certificate, with another country’s, a stranger CA’s or a node’s, saying why', async () => {
    const none = await call('/v1/seizures', undefined, minimalReport());
    expect(none.status).to.equal(401);
    expect(code(none)).to.equal('CLIENT_CERTIFICATE_MISSING');
    expect(message(none)).to.include('hub pki issue-client KZ <system>');
    expect((await call('/v1/requests?direction=incoming')).status).to.equal(401);

    const uz = pki.issueClient({ country: 'UZ', system: 'customs-uz' });
    const foreign = await call('/v1/seizures', files(uz.certFile, uz.keyFile), minimalReport());
    expect(foreign.status).to.equal(403);
    expect(code(foreign)).to.equal('CLIENT_CERTIFICATE_REFUSED');
    expect(message(foreign)).to.include("sending to UZ's node, not KZ's");

    const other = new PkiStore(stranger).issueClient({ country: 'KZ', system: 'customs-declarations-kz' });
    const unknown = await call('/v1/seizures', files(other.certFile, other.keyFile), minimalReport());
    expect(unknown.status).to.equal(401);
    expect(code(unknown)).to.equal('CLIENT_CERTIFICATE_INVALID');

    // The node's own signing certificate is from the hub CA, for KZ, but not an agency system's.
    const nodeDir = join(env.config.hubHome, 'pki', 'nodes', 'KZ');
    const asNode = await call(
      '/v1/seizures',
      files(join(nodeDir, 'node.crt'), join(nodeDir, 'node.key')),
      minimalReport(),
    );
    expect(asNode.status).to.equal(403);
    expect(message(asNode)).to.include('not an agency system');
  });

  it('imports a CSV with `hub import` as the system its certificate names, and says what to set without one', async () => {
    const template = join(repoRoot, 'docs', 'templates', 'ids-seizures.csv');
    const url = hub.nodes.KZ!.url;
    // The error report goes to the test's folder, not beside the template in the checkout.
    const errors = ['--errors', join(env.home, 'template.errors.csv')];
    const without = await hubAsync(
      ['import', template, '--node', 'KZ', '--url', url, ...errors],
      cliEnv(env),
    );
    expect(without.status).to.equal(1);
    expect(without.stderr).to.contain('CLIENT_CERTIFICATE_MISSING').and.contain('HUB_AGENCY_CERT_FILE');
    const run = await hubAsync(['import', template, '--node', 'KZ', '--url', url, ...errors], {
      ...cliEnv(env),
      HUB_AGENCY_CERT_FILE: customs.certFile,
      HUB_AGENCY_KEY_FILE: customs.keyFile,
    });
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/accepted\s+5 rows in 4 reports/);
    const id = csvReportId('KZ', 'KZ-CUS-2026-0142');
    const token = hub.token('analyst', 'KZ', 'AMBER');
    const record = (await waitUntil(
      'the imported report stored',
      async () => {
        const r = await getJson(`${hub.apiUrl}/v1/seizures/${id}`, token);
        return r.status === 200 ? r.body : undefined;
      },
      60000,
    )) as { report: { submittedBy?: string } };
    expect(record.report.submittedBy).to.equal('customs-declarations-kz');
  });

  it('serves a renewed TLS certificate without a restart, still asking for client certificates', async () => {
    const served = () =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(
          { host: '127.0.0.1', port: Number(new URL(hub.nodes.KZ!.url).port), ca, servername: 'localhost' },
          () => {
            resolve(socket.getPeerX509Certificate()!.fingerprint256);
            socket.end();
          },
        );
        socket.on('error', reject);
      });
    const before = await served();
    const renewed = pki.issueServer('node-kz', { hostnames: ['node-kz'], validityDays: 30 });
    const expected = new X509Certificate(readFileSync(renewed.certFile, 'utf8')).fingerprint256;
    expect(expected).to.not.equal(before);
    await waitUntil(
      'the renewed certificate served',
      async () => (await served()) === expected || undefined,
      20000,
    );
    expect((await call('/v1/receipts', customs)).status, 'client certificates verified as before').to.equal(
      200,
    );
    expect(code(await call('/v1/receipts')), 'and still asked for').to.equal('CLIENT_CERTIFICATE_MISSING');
  });

  it('refuses a certificate once `hub pki revoke` has published its revocation, without a restart', async () => {
    expect((await call('/v1/receipts', police)).status).to.equal(200);
    const revoked = await hubAsync(
      ['pki', 'revoke', police.fingerprint, '--reason', 'system decommissioned'],
      cliEnv(env),
    );
    expect(revoked.status, revoked.stderr).to.equal(0);
    const refused = await waitUntil(
      'the revocation at the node',
      async () => {
        const r = await call('/v1/receipts', police);
        return r.status === 403 ? r : undefined;
      },
      30000,
    );
    expect(code(refused)).to.equal('CLIENT_CERTIFICATE_REVOKED');
    expect(message(refused)).to.include('system decommissioned');
    expect((await call('/v1/receipts', customs)).status, 'another system’s goes on').to.equal(200);
  });

  it('takes certificates from a new CA after `hub pki rollover`, without a restart, and still the old CA’s', async () => {
    const rolled = await hubAsync(['pki', 'rollover', '--bits', '2048'], cliEnv(env));
    expect(rolled.status, rolled.stderr).to.equal(0);
    // Issued from the new CA, which the node started without: it learns it from hub.pki.
    const issued = pki.issueClient({ country: 'KZ', system: 'border-guard-kz' });
    const border = files(issued.certFile, issued.keyFile);
    const taken = await waitUntil(
      'a certificate from the new CA taken',
      async () => {
        const r = await call('/v1/receipts', border);
        return r.status === 200 ? r : undefined;
      },
      30000,
    );
    expect(taken.status).to.equal(200);
    expect((await call('/v1/receipts', customs)).status, 'one from the old CA still').to.equal(200);
    expect(code(await call('/v1/receipts')), 'and still asked for').to.equal('CLIENT_CERTIFICATE_MISSING');
    // `hub import` as the new system trusts the hub's CAs, the old one included: the node still serves its
    // certificate from the old CA.
    const template = join(repoRoot, 'docs', 'templates', 'ids-seizures.csv');
    const imported = await hubAsync(
      [
        'import',
        template,
        '--node',
        'KZ',
        '--url',
        hub.nodes.KZ!.url,
        '--errors',
        join(env.home, 'rollover.errors.csv'),
      ],
      { ...cliEnv(env), HUB_AGENCY_CERT_FILE: issued.certFile, HUB_AGENCY_KEY_FILE: issued.keyFile },
    );
    expect(imported.status, imported.stderr).to.equal(0);
    expect(imported.stdout).to.match(/5 rows in 4 reports/);
    const foreign = new PkiStore(stranger).issueClient({ country: 'KZ', system: 'stranger-kz' });
    expect(code(await call('/v1/receipts', files(foreign.certFile, foreign.keyFile)))).to.equal(
      'CLIENT_CERTIFICATE_INVALID',
    );
  });
});

describe('hub start with national nodes over TLS that take only agency systems with certificates', function () {
  this.timeout(240000);
  let env: TestEnv;
  let cli: NodeJS.ProcessEnv;
  let started: StartedHub | undefined;

  before(async function () {
    this.timeout(300000);
    env = createTestEnv('client-certs-start');
    const pki = new PkiStore(join(env.home, 'pki'));
    pki.initCa({ bits: 2048 });
    const server = pki.issueServer('demo-nodes', {});
    cli = await startEnv(env, {
      HUB_KAFKA_BROKERS: env.config.kafka.brokers.join(','),
      HUB_NODE_TLS_CERT_FILE: server.certFile,
      HUB_NODE_TLS_KEY_FILE: server.keyFile,
      HUB_NODE_CLIENT_CERTIFICATES: 'require',
    });
    started = await startHub(env, cli, ['--reports', '6']);
  });
  after(async function () {
    this.timeout(90000);
    await cleanUpStart(env, cli, started);
  });

  it('serves the nodes over TLS and sends the demo as a system of each country, named in its reports', async () => {
    const { nodes, api, token } = started!.endpoints;
    expect(nodes.KZ).to.match(/^https:\/\/127\.0\.0\.1:/);
    const items = await waitUntil(
      'the demo reports at the query API',
      async () => {
        const r = await getJson(`${api}/v1/seizures?limit=50`, token);
        const list = (r.body.items ?? []) as { reportId: string; originCountry?: string }[];
        return list.length >= 3 ? list : undefined;
      },
      90000,
      500,
    );
    const one = await getJson(`${api}/v1/seizures/${items[0]!.reportId}`, token);
    const report = one.body.report as { country: string; submittedBy?: string };
    expect(report.submittedBy).to.equal(`demo-${report.country.toLowerCase()}`);
    // Nobody else gets in: a request without a certificate is refused, over the node's TLS.
    const refused = await new Promise<number>((resolve, reject) => {
      const ca = new PkiStore(join(env.home, 'pki')).caCertPem();
      request(`${nodes.KZ}/v1/receipts`, { ca, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(refused).to.equal(401);
  });
});
