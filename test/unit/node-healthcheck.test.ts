// The compose healthcheck of the national node (infra/production/docker-compose.yml), run as Docker runs it, against
// a node's TLS certificate: it trusts every hub CA of the node's pki/ca/, so that during a CA rollover (the new
// ca.crt and previous/ handed out first, the node's certificate issued again later) the node stays healthy.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { repoRoot } from '@hub/config';
import { PkiStore } from '@hub/pki';

type Compose = { services: Record<string, { healthcheck?: { test?: string[] } }> };

const check = (
  load(readFileSync(join(repoRoot, 'infra', 'production', 'docker-compose.yml'), 'utf8')) as Compose
).services['node-kz']?.healthcheck?.test as string[];

/** The check's exit code, its HUB_HOME and port those of this test (Docker runs `CMD`'s arguments as they are). */
function runCheck(home: string, port: number): Promise<number> {
  expect(check[0]).to.equal('CMD');
  const [command, ...args] = check
    .slice(1)
    .map((a) => a.replaceAll('/var/lib/hub', home).replaceAll('127.0.0.1:8101', `127.0.0.1:${port}`));
  return new Promise((resolve) => {
    const child = execFile(command!, args, { timeout: 10_000 }, () => resolve(child.exitCode ?? 1));
  });
}

/** An HTTPS /healthz answering `status`, with a certificate `pki` issued (as `hub pki issue-server node-kz`). */
async function nodeApi(pki: PkiStore, status: () => number): Promise<Server & { port: number }> {
  const { certificatePem, privateKeyPem } = pki.issueServer('node-kz', { hostnames: ['node-kz'] });
  const server = createServer({ cert: certificatePem, key: privateKeyPem }, (req, res) => {
    res.statusCode = req.url === '/healthz' ? status() : 404;
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(server, { port: (server.address() as AddressInfo).port });
}

describe('production layout: the national node healthcheck', function () {
  this.timeout(60000);
  let home: string;
  let pki: PkiStore;
  const servers: Server[] = [];
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-node-healthcheck-'));
    pki = new PkiStore(join(home, 'pki'));
    pki.initCa({ bits: 2048 });
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
    rmSync(home, { recursive: true, force: true });
  });

  it('is healthy on a certificate from the current hub CA (no rollover yet: no previous/)', async () => {
    let status = 200;
    const api = await nodeApi(pki, () => status);
    servers.push(api);
    expect(await runCheck(home, api.port)).to.equal(0);
    status = 503;
    expect(await runCheck(home, api.port), 'an unhealthy node').to.equal(1);
  });

  it('stays healthy through a CA rollover, while the node still serves a certificate of the previous CA', async () => {
    const api = await nodeApi(pki, () => 200);
    servers.push(api);
    // What the README's rollover hands the node first: the new ca.crt, the old one in previous/.
    await pki.rolloverCa({ bits: 2048 });
    expect(pki.previousCaPems()).to.have.length(1);
    expect(await runCheck(home, api.port)).to.equal(0);
    // Then its certificate issued again, from the new CA.
    const renewed = await nodeApi(pki, () => 200);
    servers.push(renewed);
    expect(await runCheck(home, renewed.port)).to.equal(0);
  });

  it('still refuses a certificate from no hub CA', async () => {
    const other = new PkiStore(join(home, 'other'));
    other.initCa({ bits: 2048 });
    const api = await nodeApi(other, () => 200);
    servers.push(api);
    expect(await runCheck(home, api.port)).to.equal(1);
  });
});
