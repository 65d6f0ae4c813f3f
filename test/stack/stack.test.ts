import { expect } from 'chai';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@hub/config';
import { stackUp } from '../../scripts/src/stack/stack';
import { hubSync } from '../support/cli';

const hub = (args: string[], env: NodeJS.ProcessEnv = process.env) => hubSync(args, env, 120000);

describe('local stack (hub stack)', () => {
  it('reports both servers with their versions', () => {
    const r = hub(['stack', 'status']);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/kafka\s+running\s+Apache Kafka (4\.\d+\.\d+|external)/);
    expect(r.stdout).to.match(/store\s+running\s+(FerretDB v1\.24\.2|MongoDB \d)/);
  });

  it('is idempotent: a second `stack up` finds the servers running', () => {
    const r = hub(['stack', 'up']);
    expect(r.status, r.stderr).to.equal(0);
    if (!process.env.HUB_KAFKA_BROKERS) expect(r.stderr).to.match(/Kafka .*already running/);
  });

  it('refuses a port that another program holds, naming the variable to change', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const home = mkdtempSync(join(tmpdir(), 'hub-stack-'));
    try {
      const config = loadConfig({
        HUB_HOME: home,
        HUB_STACK_KAFKA_PORT: String(port),
        HUB_CACHE_DIR: loadConfig().cacheDir,
      });
      let error: Error | undefined;
      await stackUp(config, () => undefined).catch((e: Error) => (error = e));
      expect(error?.message).to.contain(`port ${port}`).and.contain('HUB_STACK_KAFKA_PORT');
    } finally {
      server.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('says what to install when Java or Maven is missing', () => {
    const home = mkdtempSync(join(tmpdir(), 'hub-stack-'));
    const cache = mkdtempSync(join(tmpdir(), 'hub-cache-'));
    try {
      const r = hub(['stack', 'up'], {
        HUB_HOME: home,
        HUB_CACHE_DIR: cache,
        PATH: '/nonexistent',
        HOME: home,
      });
      expect(r.status).to.equal(1);
      expect(r.stderr)
        .to.match(/'(java|mvn)' was not found on PATH/)
        .and.match(/Install /);
    } finally {
      rmSync(home, { recursive: true, force: true });
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
