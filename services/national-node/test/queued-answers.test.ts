// The 500 of a request that failed after records of it reached the outbox: it lists them (those it found there too,
// sent before: duplicates), says truly what may be sent again and how, and is given as JSON even when the node's log
// cannot be written. What each request queued is followed without async hooks (no AsyncLocalStorage).
import { expect } from 'chai';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type express from 'express';
import { createLogger, createMetricsRegistry, type Logger } from '@hub/observability';
import { createApp } from '../src/app';
import { InboundStore } from '../src/inbox-store';
import { ReportsIndex } from '../src/reports-index';
import { RequestsLog } from '../src/requests-log';
import { minimal } from './intake-app';

interface Listed {
  type: string;
  id: string;
  version: number;
  messageId: string;
}

describe('national node: the answer to a request that failed after it queued records', () => {
  let dir: string;
  let server: Server | undefined;
  let app: express.Express;
  let url: string;
  /** What reached the outbox: type and key. */
  let queued: string[];
  /** Answers whose building fails once more (the first JSON written of each fails, then it is written). */
  let answersToFail: number;
  /** The outbox refuses what it is given (the signer gone, say). */
  let outboxGone: boolean;

  /** The app over an index of its own; `logger`: the node's (default: silent). */
  const start = async (logger: Logger = createLogger('test:queued-answers', { level: 'silent' })) => {
    dir = mkdtempSync(join(tmpdir(), 'hub-node-queued-'));
    queued = [];
    answersToFail = 0;
    outboxGone = false;
    app = createApp({
      country: 'KZ',
      submitter: {
        submit(type, key) {
          if (outboxGone) return Promise.reject(new Error('the signer is gone'));
          queued.push(`${type} ${key}`);
          return Promise.resolve({ messageId: randomUUID() });
        },
      },
      reports: new ReportsIndex(join(dir, 'reports.idx')),
      inbound: new InboundStore(join(dir, 'inbound.jsonl')),
      requests: new RequestsLog(join(dir, 'requests.jsonl')),
      regions: new Set(['central-asia']),
      metrics: createMetricsRegistry('national-node'),
      health: [],
      logger,
    });
    // An answer that cannot be built (its JSON fails once: the route's answer, then the error handler's is written).
    let failing = false;
    app.set('json replacer', (key: string, value: unknown) => {
      if (key === '' && !failing && answersToFail > 0) {
        answersToFail--;
        failing = true;
        throw new Error('the answer could not be built');
      }
      if (key === '') failing = false;
      return value;
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  };
  afterEach(() => {
    server?.closeAllConnections();
    server?.close();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', text };
  };
  const json = (text: string) =>
    JSON.parse(text) as { error: { code: string; message: string }; queued?: Listed[] } & Record<
      string,
      unknown
    >;

  const one = { ...minimal, notes: 'the first of two' };
  const two = { ...minimal, notes: 'the second of two' };

  it('tells a batch sent without reportIds to send them again under the ids it lists, and answers that as duplicates', async () => {
    await start();
    answersToFail = 1;
    const first = await post('/v1/seizures/batch', [one, two]);
    expect(first.status).to.equal(500);
    const answer = json(first.text);
    expect(answer.error.code).to.equal('INTERNAL');
    expect(answer.error.message).to.include('2 records of this request were queued');
    expect(answer.error.message).to.include('with the reportId listed for it in queued');
    expect(answer.error.message).to.include('without it, it is taken as a new report');
    expect(answer.error.message).to.not.include('not accepted');
    const listed = answer.queued!;
    expect(listed.map((r) => `${r.type} ${r.id}`)).to.have.members(queued);
    // The same reports again, each with the id listed for it (first or last in the body): nothing sent twice.
    const again = [
      { reportId: listed[0]!.id, ...one },
      { ...two, reportId: listed[1]!.id },
    ];
    answersToFail = 1;
    const retried = await post('/v1/seizures/batch', again);
    expect(retried.status, retried.text).to.equal(500);
    const retriedAnswer = json(retried.text);
    expect(retriedAnswer.error.message, 'a retry made of duplicates').to.not.include('not accepted');
    expect(retriedAnswer.error.message).to.include(
      '2 records of this request were queued, 2 of them by an earlier sending of the same',
    );
    expect(retriedAnswer.queued).to.have.deep.members(listed);
    expect(queued, 'nothing sent twice').to.have.length(2);
    const answered = await post('/v1/seizures/batch', again);
    expect(answered.status).to.equal(202);
    const results = json(answered.text).results as { duplicate?: boolean; version: number }[];
    expect(results.map((r) => [r.duplicate, r.version])).to.deep.equal([
      [true, 1],
      [true, 1],
    ]);
    expect(queued).to.have.length(2);
  });

  it('answers a report sent again with its listed id but changed as its next version', async () => {
    await start();
    const first = json((await post('/v1/seizures', one)).text);
    const changed = await post('/v1/seizures', { ...one, notes: 'mended', reportId: first.reportId });
    expect(json(changed.text)).to.include({ reportId: first.reportId, version: 2 });
    expect(json(changed.text)).to.not.have.property('duplicate');
    expect(queued).to.have.length(2);
  });

  /** A logger whose lines fail to be written (a log stream gone: write EPIPE). */
  const brokenLogger = () => {
    const logger = createLogger('test:queued-answers', { level: 'silent' });
    const broken = () => {
      throw new Error('write EPIPE');
    };
    logger.error = broken as Logger['error'];
    logger.info = broken as Logger['info'];
    return logger;
  };

  it('gives its JSON 500 with what was queued when the log cannot be written, and goes on serving', async () => {
    await start(brokenLogger());
    answersToFail = 1;
    const failed = await post('/v1/seizures', { ...one, reportId: randomUUID() });
    expect(failed.status).to.equal(500);
    expect(failed.type).to.match(/^application\/json/);
    const answer = json(failed.text);
    expect(answer.error.code).to.equal('INTERNAL');
    expect(answer.queued).to.have.length(1);
    // Its request line (logged once the answer ended) failed too: the node still answers.
    const next = await post('/v1/seizures', two);
    expect(next.status).to.equal(202);
    expect(queued).to.have.length(2);
    expect(app.get('env'), 'no stack trace in express’s own last-resort answer').to.equal('production');
  });

  it('gives its JSON 500 "not accepted" when nothing was queued and the log cannot be written', async () => {
    await start(brokenLogger());
    outboxGone = true;
    const failed = await post('/v1/seizures', one);
    expect(failed.status).to.equal(500);
    expect(failed.type).to.match(/^application\/json/);
    expect(json(failed.text)).to.deep.equal({
      error: { code: 'INTERNAL', message: 'internal error; the report was not accepted, send it again' },
    });
  });

  it('follows what each request queued without an AsyncLocalStorage (async hooks stay off for the process)', async () => {
    const used: string[] = [];
    const proto = AsyncLocalStorage.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
    const real = { run: proto.run!, enterWith: proto.enterWith! };
    proto.run = function (this: unknown, ...a: unknown[]) {
      used.push('run');
      return real.run.apply(this, a);
    };
    proto.enterWith = function (this: unknown, ...a: unknown[]) {
      used.push('enterWith');
      return real.enterWith.apply(this, a);
    };
    try {
      await start();
      answersToFail = 1;
      const failed = json((await post('/v1/seizures/batch', [one, two])).text);
      expect(failed.queued).to.have.length(2);
      expect((await post('/v1/seizures', { ...minimal, notes: 'three' })).status).to.equal(202);
    } finally {
      proto.run = real.run;
      proto.enterWith = real.enterWith;
    }
    expect(used).to.deep.equal([]);
  });
});
