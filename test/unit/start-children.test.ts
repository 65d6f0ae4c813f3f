// `hub start` waiting for the services it spawned: only a 200 from the service's own process counts. A second
// `hub start` of the same checkout, whose ports the first one's services hold, once took their answers for its own,
// posted its demo data into the first hub and exited 1. Stand-ins for the services: small node processes; the other
// program on the port: a server in this test's process.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listensOn, waitHealthy, type Child } from '../../scripts/src/run/children';
import { freePort } from '../support/servers';
import { hubErrorOf } from '../support/env';

/** An HTTP server in this process that answers 200 to anything; `asked`: how many requests it answered. */
async function answering(port = 0): Promise<{ server: Server; port: number; asked: () => number }> {
  let asked = 0;
  const server = createServer((_req, res) => {
    asked++;
    res.end('{"status":"ok"}');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return { server, port: (server.address() as { port: number }).port, asked: () => asked };
}

describe('hub start: waiting for its services', function () {
  this.timeout(30000);
  let dir: string;
  const children: Child[] = [];
  const servers: Server[] = [];

  /** A stand-in service running `script` in a process of its own. */
  function service(name: string, script: string): Child {
    const child: Child = {
      name,
      process: spawn(process.execPath, ['-e', script], { stdio: 'ignore' }),
      logFile: join(dir, `${name}.log`),
    };
    children.push(child);
    return child;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-children-'));
  });
  afterEach(async () => {
    for (const c of children.splice(0)) c.process.kill('SIGKILL');
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('tells the process that listens on a port from the others', async () => {
    const { server, port } = await answering();
    servers.push(server);
    expect(listensOn(process.pid, port)).to.equal(true);
    expect(listensOn(process.pid, await freePort())).to.equal(false);
    const idle = service('idle', 'setInterval(() => {}, 60000)');
    expect(listensOn(idle.process.pid!, port)).to.equal(false);
    idle.process.kill('SIGKILL');
    await new Promise((r) => idle.process.once('exit', r));
    expect(listensOn(idle.process.pid!, port)).to.equal(false);
  });

  it("fails at once when another program answers on the service's port, instead of taking it for the service", async () => {
    const { server, port, asked } = await answering();
    servers.push(server);
    // Still starting (connecting to Kafka, say): it has not tried the port yet.
    const starting = service('node-KZ', 'setInterval(() => {}, 60000)');
    // Given ten minutes, far beyond this test's time-out: only a wait that ends on the other program's answer passes.
    const err = await hubErrorOf(waitHealthy(starting, `http://127.0.0.1:${port}/healthz`, 10 * 60_000));
    expect(err.code).to.equal('PORT_IN_USE');
    expect(err.message).to.contain(
      `http://127.0.0.1:${port}/healthz answers, but not from node-KZ (pid ${starting.process.pid}): another program listens on port ${port}`,
    );
    expect(asked(), 'requests to the port before failing: its first answer decides').to.equal(1);
  });

  it('takes the answer of the service itself', async () => {
    const port = await freePort();
    const own = service(
      'api',
      `require('node:http').createServer((q, r) => r.end('ok')).listen(${port}, '127.0.0.1'); setInterval(() => {}, 60000)`,
    );
    await waitHealthy(own, `http://127.0.0.1:${port}/healthz`, 20000);
    expect(own.process.exitCode).to.equal(null);
  });

  it('fails at once, naming the log, when the service was killed', async () => {
    const killed = service('coordinator', 'setInterval(() => {}, 60000)');
    killed.process.kill('SIGKILL');
    await new Promise((r) => killed.process.once('exit', r));
    const err = await hubErrorOf(waitHealthy(killed, `http://127.0.0.1:${await freePort()}/healthz`, 5000));
    expect(err.code).to.equal('CHILD_FAILED');
    expect(err.message).to.equal(`coordinator exited (SIGKILL); see ${killed.logFile}`);
  });
});
