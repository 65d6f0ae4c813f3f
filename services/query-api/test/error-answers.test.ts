// Every refusal of the query API is JSON naming the field, the value (short) and the rule, whatever the body sent: a
// body nested thousands of levels deep (which JSON.parse reads and JSON.stringify overflows the stack on), a value of
// the wrong kind, or JSON that is not an object. Never a stack trace, never an HTML page, never a 500.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { Router } from 'express';
import { ValidationError } from '@hub/errors';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topicNames } from '@hub/kafka';
import { createLogger, createMetricsRegistry } from '@hub/observability';
import type { Store } from '@hub/store';
import { createApp } from '../src/app';
import type { AuditLog } from '../src/audit';
import { loadKeyRing, mintToken } from '../src/issuer';

/** A store whose collections hold nothing: what is under test is how a request is read, not what it finds. */
function emptyStore(): Store {
  const cursor = {
    toArray: async () => [],
    next: async () => null,
    bufferedCount: () => 0,
    close: async () => undefined,
    async *[Symbol.asyncIterator]() {},
  };
  const collection = () => ({
    find: () => cursor,
    aggregate: () => cursor,
    findOne: async () => null,
    countDocuments: async () => 0,
    insertOne: async () => ({ acknowledged: true }),
    insertMany: async () => ({ acknowledged: true }),
  });
  return { engine: 'mongodb', collection } as unknown as Store;
}

/** `{"a":{"a":…1…}}`, `levels` deep: JSON.parse reads it, JSON.stringify does not. */
const nestedObject = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

/** A request a coordinator may ask, as the dashboard sends it. */
const ASK = {
  to: 'KG',
  purpose: 'trace the consignment',
  question: 'who sent it?',
  handling: { tlp: 'AMBER' },
};

interface Answer {
  status: number;
  type: string;
  text: string;
  body: {
    error?: { code: string; message: string };
    errors?: { field: string; message: string; value?: unknown }[];
  };
}

describe('query API: refusals of what cannot be read are JSON naming the field', function () {
  let server: Server;
  let url: string;
  let token: string;
  let keysDir: string;
  let env: string;
  // A route that echoes a value nested too deeply to be written out (as any route might, by mistake).
  const echoing = Router().get('/v1/echo-deep', () => {
    const value = JSON.parse(nestedObject(6000)) as unknown;
    throw new ValidationError([{ field: 'q', message: 'is not a question', value }]);
  });

  before(async () => {
    keysDir = mkdtempSync(join(tmpdir(), 'qapi-errors-'));
    const keys = loadKeyRing(keysDir);
    const app = createApp({
      store: emptyStore(),
      names: topicNames(''),
      keys,
      audit: { append: async () => undefined } as unknown as AuditLog,
      caPem: '',
      metrics: createMetricsRegistry('query-api-test'),
      health: [],
      logger: createLogger('test:error-answers', { level: 'silent' }),
      extra: [echoing],
    });
    env = app.get('env') as string;
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    token = mintToken(keys, {
      role: 'coordinator',
      country: 'KZ',
      clearance: 'AMBER',
      sub: 'coordinator-1',
      ttlSeconds: 600,
    });
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(keysDir, { recursive: true, force: true });
  });

  /** POST `text` as a JSON body to `path`, as the coordinator. */
  const post = async (path: string, text: string): Promise<Answer> => {
    const r = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: text,
    });
    const body = await r.text();
    let parsed: Answer['body'] = {};
    try {
      parsed = JSON.parse(body) as Answer['body'];
    } catch {
      // not JSON: the assertions on the type say so
    }
    return { status: r.status, type: r.headers.get('content-type') ?? '', text: body, body: parsed };
  };

  /** A 400 VALIDATION_FAILED as JSON, that gives away nothing of the code that answered it. */
  const expectRefusal = (a: Answer) => {
    expect(a.type, a.text.slice(0, 200)).to.match(/^application\/json/);
    expect(a.status, a.text.slice(0, 200)).to.equal(400);
    expect(a.body.error?.code).to.equal('VALIDATION_FAILED');
    for (const leak of ['node_modules', 'RangeError', '<!DOCTYPE', '/work/', 'at JSON.stringify'])
      expect(a.text).to.not.contain(leak);
  };

  it('refuses a re-drive whose ids are nested 6,000 levels deep, naming ids and showing its kind only', async () => {
    const a = await post('/v1/quarantine/redrive', `{"ids":${nestedObject(6000)}}`);
    expectRefusal(a);
    expect(a.body.errors).to.deep.equal([
      {
        field: 'ids',
        message: 'give the ids of 1 to 100 quarantine entries, as GET /v1/quarantine lists them',
        value: '(an object)',
      },
    ]);
  });

  it('refuses an id that is not a string, echoing a short description, not the value', async () => {
    const a = await post('/v1/quarantine/redrive', '{"ids":[[1]]}');
    expectRefusal(a);
    expect(a.body.errors).to.deep.equal([
      {
        field: 'ids[0]',
        message: 'is no quarantine entry id (<topic>:<partition>:<offset>)',
        value: '(an array of 1)',
      },
    ]);
    const long = await post('/v1/quarantine/redrive', JSON.stringify({ ids: ['x'.repeat(500)] }));
    expectRefusal(long);
    expect(long.body.errors?.[0]?.value).to.equal('x'.repeat(80));
  });

  it('refuses an information request with a field it does not read nested 8,000 levels deep, naming the field and its depth', async () => {
    const deep = '['.repeat(8000) + ']'.repeat(8000);
    const a = await post('/v1/requests', JSON.stringify({ ...ASK, extra: 'D' }).replace('"D"', deep));
    expectRefusal(a);
    expect(a.body.errors).to.have.length(1);
    expect(a.body.errors![0]!.field).to.equal('extra');
    expect(a.body.errors![0]!.message).to.match(/^is nested 8000 levels deep, too deeply to be read/);
  });

  it('refuses a body that is JSON but not an object (null, a number, a string) as the national node does', async () => {
    for (const [text, got] of [
      ['null', 'null'],
      ['3', 'a number'],
      ['"ask"', 'a string'],
    ]) {
      const a = await post('/v1/requests', text!);
      expectRefusal(a);
      expect(a.body.errors, text).to.deep.equal([
        { field: '(body)', message: `must be a JSON object, got ${got}`, value: text },
      ]);
    }
  });

  it('answers an error whose echoed value cannot be written as JSON without the value, still naming the field', async () => {
    const r = await fetch(`${url}/v1/echo-deep`, { headers: { authorization: `Bearer ${token}` } });
    const text = await r.text();
    expect(r.status).to.equal(400);
    expect(r.headers.get('content-type')).to.match(/^application\/json/);
    expect(JSON.parse(text)).to.deep.equal({
      error: { code: 'VALIDATION_FAILED', message: 'input is not valid: q: is not a question' },
      errors: [{ field: 'q', message: 'is not a question' }],
    });
  });

  it('runs express in production mode whatever NODE_ENV says: its own last-resort answer carries no stack', () => {
    expect(env).to.equal('production');
  });

  it('still answers a body that is not JSON as MALFORMED_JSON', async () => {
    const a = await post('/v1/requests', '{"to":');
    expect(a.status).to.equal(400);
    expect(a.type).to.match(/^application\/json/);
    expect(a.body.error?.code).to.equal('MALFORMED_JSON');
  });
});
