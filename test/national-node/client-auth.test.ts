// A national node that asks the agencies' systems for a token (HUB_NODE_TOKEN_FILE): on the real stack, nothing
// reaches its API without one of its tokens, and the hub's own tools send it.
import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, repoRoot } from '@hub/config';
import { createLogger } from '@hub/observability';
import { startNationalNode, type RunningNationalNode } from '@hub/national-node';
import { hubAsync } from '../support/cli';
import { cliEnv, createTestEnv, type TestEnv } from '../support/env';
import { getJson, minimalReport, postJson, testPki } from '../support/hub';

const token = () => randomBytes(24).toString('base64url');

describe('national node: the agencies’ token (HUB_NODE_TOKEN_FILE)', function () {
  this.timeout(120000);
  let env: TestEnv;
  let node: RunningNationalNode;
  let tokenFile: string;
  const [current, next] = [token(), token()];
  const logged: Record<string, unknown>[] = [];
  const requests = () => logged.filter((l) => l.msg === 'request');

  before(async () => {
    env = createTestEnv('node-auth');
    testPki(env, ['KZ']);
    tokenFile = join(env.home, 'agency-KZ.tokens');
    // Two tokens, one unnamed and one named after the system that sends it; comments and blank lines are skipped.
    writeFileSync(tokenFile, `# KZ customs and police\n${current}\n\ncustoms-kz ${next}\n`, { mode: 0o600 });
    const config = { ...env.config, ...pick(loadConfig({ ...process.env, HUB_NODE_TOKEN_FILE: tokenFile })) };
    const logger = createLogger('national-node-KZ', {
      destination: { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) },
    });
    node = await startNationalNode({ config, country: 'KZ', logger, port: 0 });
  });
  after(async () => {
    await node?.close();
    env?.cleanup();
  });

  const pick = (c: ReturnType<typeof loadConfig>) => ({ nodeClientTokens: c.nodeClientTokens });
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  it('refuses every /v1 request without one of its tokens, saying what to send, and reads no body first', async () => {
    const url = `${node.url}/v1/seizures`;
    const none = await postJson(url, minimalReport());
    expect(none.status).to.equal(401);
    expect(none.body.error).to.deep.equal({
      code: 'TOKEN_MISSING',
      message: "this node asks for the agency's token: send Authorization: Bearer <token>",
    });
    const wrong = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(token()) },
      body: JSON.stringify(minimalReport()),
    });
    expect(wrong.status).to.equal(401);
    expect(wrong.headers.get('www-authenticate')).to.equal('Bearer error="invalid_token"');
    expect(((await wrong.json()) as { error: { code: string } }).error.code).to.equal('TOKEN_INVALID');
    // A body over the size limit is refused for its missing token (401), not read (413).
    const huge = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ notes: 'x'.repeat(3 * 1024 * 1024) }),
    });
    expect(huge.status).to.equal(401);
    // The information requests addressed to the country are not listed to a stranger.
    expect((await getJson(`${node.url}/v1/requests?direction=incoming`)).status).to.equal(401);
    expect((await getJson(`${node.url}/v1/receipts/${randomUUID()}`)).status).to.equal(401);
    // Health, metrics and the API's description stay open (the monitoring has no token).
    for (const path of ['/healthz', '/metrics', '/openapi.json'])
      expect((await fetch(`${node.url}${path}`)).status, path).to.equal(200);
  });

  it('takes a report with either token', async () => {
    for (const t of [current, next]) {
      const res = await fetch(`${node.url}/v1/seizures`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(t) },
        body: JSON.stringify({ ...minimalReport(), reportId: undefined }),
      });
      expect(res.status, await res.clone().text()).to.equal(202);
    }
    const list = await fetch(`${node.url}/v1/requests?direction=incoming`, { headers: bearer(next) });
    expect(list.status).to.equal(200);
    // The node's log says which system sent what, and how it ended; a refused token too. Never the token.
    const posts = requests().map(({ client, method, path, status }) => ({ client, method, path, status }));
    expect(posts.slice(-2)).to.deep.equal([
      { client: 'agency', method: 'POST', path: '/v1/seizures', status: 202 },
      { client: 'customs-kz', method: 'POST', path: '/v1/seizures', status: 202 },
    ]);
    expect(posts).to.deep.include({ client: undefined, method: 'POST', path: '/v1/seizures', status: 401 });
    expect(JSON.stringify(logged)).to.not.contain(next).and.to.not.contain(current);
  });

  it('hub import sends the first token of the same file, and hub security client-tokens makes one', async () => {
    // A copy: the error report is written beside the file.
    const template = join(env.home, 'ids-seizures.csv');
    copyFileSync(join(repoRoot, 'docs', 'templates', 'ids-seizures.csv'), template);
    const run = await hubAsync(['import', template, '--node', 'KZ', '--url', node.url], {
      ...cliEnv(env),
      HUB_NODE_TOKEN_FILE: tokenFile,
    });
    expect(run.status, run.stderr + run.stdout).to.equal(0);
    expect(run.stdout).to.match(/accepted\s+\d+ rows/);
    // And without it, the node refuses it: the import says so and fails.
    const refused = await hubAsync(['import', template, '--node', 'KZ', '--url', node.url], cliEnv(env));
    expect(refused.status).to.not.equal(0);
    expect(refused.stderr, refused.stdout).to.contain('[import] stopped: the node answered 401');
    expect(refused.stderr).to.contain('TOKEN_MISSING');
    expect(refused.stderr).to.contain('set HUB_NODE_TOKEN_FILE');
    expect(readFileSync(`${template}.errors.csv`, 'utf8')).to.contain('not sent: the node answered 401');
    // hub import-annual stops at the first refusal, saying the same, rather than refusing every return one by one.
    const annual = join(env.home, 'annual.csv');
    writeFileSync(
      annual,
      'region,country,iso3,drug_group,drug_name,year,kilograms\n' +
        'Asia,Kazakhstan,KAZ,Opioids,Heroin,2023,100\nAsia,Kazakhstan,KAZ,Opioids,Heroin,2022,90\n',
    );
    const annualRun = await hubAsync(['import-annual', annual, '--only', 'KZ'], cliEnv(env));
    expect(annualRun.status, annualRun.stdout).to.not.equal(0);
    expect(annualRun.stderr).to.contain('the KZ node answered 401');
    expect(annualRun.stderr).to.contain('set HUB_NODE_TOKEN_FILE');
    // A token file for each node, made at setup, readable by its owner only, kept when it exists.
    const dir = join(env.home, 'secrets', 'nodes');
    const made = await hubAsync(
      ['security', 'client-tokens', '--countries', 'KZ,UZ', '--out', dir],
      cliEnv(env),
    );
    expect(made.status, made.stderr).to.equal(0);
    const kzFile = join(dir, 'KZ.tokens');
    expect(statSync(kzFile).mode & 0o777).to.equal(0o600);
    const [made1] = loadConfig({ HUB_HOME: env.home, HUB_NODE_TOKEN_FILE: kzFile }).nodeClientTokens ?? [];
    expect(made1?.token).to.match(/^[A-Za-z0-9_-]{32}$/);
    expect(readFileSync(join(dir, 'UZ.tokens'), 'utf8').trim()).to.not.equal(made1?.token);
    await hubAsync(['security', 'client-tokens', '--countries', 'KZ', '--out', dir], cliEnv(env));
    expect(readFileSync(kzFile, 'utf8').trim(), 'kept').to.equal(made1?.token);
  });

  it('reads its tokens and its interface from the environment, refusing tokens too short to be secret', () => {
    const home = { HUB_HOME: env.home };
    expect(loadConfig(home).nodeHost).to.equal('127.0.0.1');
    expect(loadConfig(home).nodeClientTokens).to.equal(undefined);
    expect(loadConfig({ ...home, HUB_NODE_HOST: '0.0.0.0' }).nodeHost).to.equal('0.0.0.0');
    for (const host of ['::', '10.1.2.3', 'node-kz.internal', ' localhost '])
      expect(loadConfig({ ...home, HUB_NODE_HOST: host }).nodeHost, host).to.equal(host.trim());
    for (const host of ['http://0.0.0.0', '0.0.0.0:8101', 'node kz', '-node'])
      expect(() => loadConfig({ ...home, HUB_NODE_HOST: host }), host).to.throw(
        /HUB_NODE_HOST=.* is not an interface to listen on: give an IP address/,
      );
    expect(loadConfig({ ...home, HUB_NODE_TOKEN_FILE: tokenFile }).nodeClientTokens).to.deep.equal([
      { client: 'agency', token: current },
      { client: 'customs-kz', token: next },
    ]);
    const bad = join(env.home, 'bad.tokens');
    const refused = (lines: string, why: RegExp) => {
      writeFileSync(bad, lines);
      expect(() => loadConfig({ ...home, HUB_NODE_TOKEN_FILE: bad }), lines).to.throw(why);
    };
    refused(`${current}\nshort\n`, /bad\.tokens, line 2: a token is 32 characters or more/);
    refused(`police kz ${current}\n`, /line 1: a line is a token, or a client name and a token/);
    refused(`pol/ice ${current}\n`, /line 1: a client name is letters, digits, dots, dashes and underscores/);
    writeFileSync(bad, '# nothing yet\n');
    expect(() => loadConfig({ ...home, HUB_NODE_TOKEN_FILE: bad })).to.throw(/holds no token/);
    expect(() => loadConfig({ ...home, HUB_NODE_TOKEN_FILE: join(env.home, 'none') })).to.throw(
      /cannot be read/,
    );
  });
});
