// What the node answers a JSON body it cannot take, without a stack: each answer says what to send instead, and a
// batch refused whole keeps what each of its reports needs mended.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { HubError } from '@hub/errors';
import { minimal, startIntakeApp, type IntakeApp } from './intake-app';

describe('national node intake: answers to JSON it cannot take', () => {
  let node: IntakeApp;
  beforeEach(async () => {
    node = await startIntakeApp();
  });
  afterEach(() => node.close());

  it('says an object (an array for a batch) is expected of a body that is JSON but neither', async () => {
    const cases: [string, string, string][] = [
      ['/v1/seizures', 'null', 'must be a JSON object, got null'],
      ['/v1/seizures', '"x"', 'must be a JSON object, got a string'],
      ['/v1/seizures', ' 42 ', 'must be a JSON object, got a number'],
      ['/v1/seizures/batch', 'true', 'must be a JSON array of seizure reports, got a boolean'],
      ['/V1/seizures/batch/', 'null', 'must be a JSON array of seizure reports, got null'],
    ];
    for (const [path, body, message] of cases) {
      const answer = await node.post(path, body);
      expect(answer.status, `${path} ${body}`).to.equal(400);
      expect(answer.body.error?.code).to.equal('VALIDATION_FAILED');
      expect(answer.body.errors).to.deep.equal([{ field: '(body)', message, value: body }]);
    }
    // What is not JSON at all is still said to be so.
    const broken = await node.post('/v1/seizures', '{"seizedAt": ');
    expect(broken.body.error?.code).to.equal('MALFORMED_JSON');
    expect(broken.body.errors![0]!.message).to.match(/^the body is not valid JSON/);
  });

  /** POST `body` in chunks (Transfer-Encoding: chunked, no Content-Length), as a streaming client sends it. */
  const chunked = (path: string, type: string, body: string) =>
    new Promise<{ status: number; body: Record<string, unknown> & { error?: { code: string } } }>(
      (resolve, reject) => {
        const req = request(`${node.url}${path}`, { method: 'POST', headers: { 'content-type': type } });
        req.on('response', (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        });
        req.on('error', reject);
        req.write(body.slice(0, 10));
        req.end(body.slice(10));
        expect(req.getHeader('content-length')).to.equal(undefined);
      },
    );

  it('refuses a body of another type sent in chunks, without a length, as of another type (415)', async () => {
    const json = JSON.stringify({ ...minimal, reportId: randomUUID() });
    const plain = await chunked('/v1/seizures', 'text/plain', json);
    expect(plain.status, JSON.stringify(plain.body)).to.equal(415);
    expect(plain.body.error?.code).to.equal('UNSUPPORTED_MEDIA_TYPE');
    const batch = await chunked('/v1/seizures/batch', 'text/plain', `[${json}]`);
    expect(batch.status, JSON.stringify(batch.body)).to.equal(415);
    expect(node.begun).to.deep.equal([]);
    // Sent in chunks as JSON, it is read.
    const taken = await chunked('/v1/seizures', 'application/json', json);
    expect(taken.status, JSON.stringify(taken.body)).to.equal(202);
  });

  it('names a quantity too large for a number as out of range, not as null', async () => {
    const drug = (minimal.drugs as Record<string, unknown>[])[0]!;
    const text = JSON.stringify({ ...minimal, drugs: [{ ...drug, quantity: 0 }] }).replace(
      '"quantity":0',
      '"quantity":1e400',
    );
    const answer = await node.post('/v1/seizures', text);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(400);
    const error = answer.body.errors!.find((e) => e.field === 'drugs[0].quantity')!;
    expect(error.message).to.equal('is out of range: a number too large (beyond ±1.8e308)');
    expect(error).to.not.have.property('value');
  });

  it('refuses JSON that is not UTF-8, naming where, instead of reading it with replacement characters', async () => {
    const text = JSON.stringify({ ...minimal, notes: 'Хоргос' }, null, 1);
    // "Хоргос" as windows-1251 writes it.
    const bytes = Buffer.from(text.replace('Хоргос', '\u00d5\u00ee\u00f0\u00e3\u00ee\u00f1'), 'latin1');
    const answer = await node.post('/v1/seizures', bytes);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(400);
    expect(answer.body.error?.code).to.equal('VALIDATION_FAILED');
    const line = text.slice(0, text.indexOf('Хоргос')).split('\n').length;
    expect(answer.body.errors).to.deep.equal([
      {
        field: '(body)',
        message: `cannot be read as UTF-8: line ${line}, byte offset ${text.indexOf('Хоргос')}: the bytes there (0xD5 0xEE 0xF0 0xE3) are not UTF-8; send JSON in UTF-8 (RFC 8259)`,
        value: '0xD5 0xEE 0xF0 0xE3',
      },
    ]);
    expect(node.begun).to.deep.equal([]);
    // The same text in UTF-8 is taken.
    expect((await node.post('/v1/seizures', Buffer.from(text))).status).to.equal(202);
  });

  it('keeps each report’s result when a batch is refused whole for a reason of the node’s', async () => {
    node.onSubmit = () => {
      throw new HubError('CERTIFICATE_INVALID', 'this node cannot sign: its certificate expired', {
        retriable: true,
      });
    };
    const answer = await node.post('/v1/seizures/batch', [{ ...minimal, reportId: randomUUID() }, {}]);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(503);
    expect(answer.body.error).to.deep.equal({
      code: 'CERTIFICATE_INVALID',
      message: 'this node cannot sign: its certificate expired',
    });
    expect(answer.body).to.include({ accepted: 0, rejected: 2 });
    const results = answer.body.results as {
      index: number;
      status: string;
      error?: { code: string };
      errors?: { field: string }[];
    }[];
    expect(results.map((r) => `${r.index}:${r.status}`)).to.deep.equal(['0:failed', '1:invalid']);
    expect(results[0]!.error?.code).to.equal('CERTIFICATE_INVALID');
    // What the second needs mended before the batch is sent again.
    expect(results[1]!.errors!.map((e) => e.field)).to.include('country');
    // A failure that is not the node's known reason: 500, the results kept as well.
    node.onSubmit = () => {
      throw new Error('boom');
    };
    const internal = await node.post('/v1/seizures/batch', [minimal, { ...minimal, country: 'Atlantis' }]);
    expect(internal.status).to.equal(500);
    expect(internal.body.error?.code).to.equal('INTERNAL');
    expect((internal.body.results as { status: string }[]).map((r) => r.status)).to.deep.equal([
      'failed',
      'invalid',
    ]);
  });
});
