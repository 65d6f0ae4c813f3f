// Every log line is one JSON object with each key once, whether a service runs as its own process or inside another's.
import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createLogger, serviceLogger } from '../src/logger';

/** A logger writing into an array of raw lines. */
function capture(service: string) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger(service, { destination }), lines };
}

/** The keys of one raw JSON line, in order, duplicates kept (JSON.parse would silently keep the last). */
function keysOf(line: string): string[] {
  return [...line.matchAll(/"([^"\\]+)":/g)].map((m) => m[1]!);
}

describe('service loggers', () => {
  it('in its own process, a service logs under the process logger as it is: service once, no role', () => {
    const { logger, lines } = capture('coordinator');
    serviceLogger(logger, 'coordinator').info({ reportId: 'r-1' }, 'stored');
    expect(lines).to.have.length(1);
    const keys = keysOf(lines[0]!);
    expect(keys.filter((k) => k === 'service')).to.have.length(1);
    expect(JSON.parse(lines[0]!)).to.include({ service: 'coordinator', reportId: 'r-1', msg: 'stored' });
    expect(JSON.parse(lines[0]!)).not.to.have.property('role');
  });

  it("inside another's process, a service is marked by role, and the process's service stays the only service key", () => {
    const { logger, lines } = capture('bench-ingest');
    serviceLogger(logger, 'coordinator').child({ component: 'kafkajs' }).warn('retrying');
    const keys = keysOf(lines[0]!);
    expect(new Set(keys).size, `keys of ${lines[0]}`).to.equal(keys.length);
    expect(JSON.parse(lines[0]!)).to.include({
      service: 'bench-ingest',
      role: 'coordinator',
      component: 'kafkajs',
      msg: 'retrying',
    });
  });
});
