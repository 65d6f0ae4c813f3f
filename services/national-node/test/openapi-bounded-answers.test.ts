// The node's OpenAPI description against answers it gained with the CSV bounds and the withdrawal rules: a CSV answer
// cut short (errorsTotal, errorsNote, ignoredColumnsTotal), a file of too many rows (413) or not CSV (415), a
// withdrawal of a route (409), and a 500 after records were queued (queued). Each answer has the shape described for
// its route and status, and every top-level field it carries is described.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { asJsonSchema } from '@hub/errors/openapi';
import { createLogger } from '@hub/observability';
import { openApiChecker, type OpenApiDoc } from '../../../test/support/openapi';
import { nodeOpenApi } from '../src/openapi';
import { CSV_ERRORS_LISTED, CSV_MAX_ROWS } from '../src/routes-csv';
import { failingToLog, routeBody, startIntakeApp, type IntakeApp } from './intake-app';

type Schema = { $ref?: string; properties?: Record<string, Schema>; anyOf?: Schema[] };

const doc = asJsonSchema(nodeOpenApi('KZ') as unknown as OpenApiDoc);
const api = openApiChecker(doc);
const resolved = (s: Schema): Schema =>
  s.$ref ? resolved(doc.components.schemas[s.$ref.split('/').pop()!] as Schema) : s;

/** Assert that `body` is as described for the route and status, and that each of its fields is described. */
function asDescribed(path: string, method: string, status: number, body: Record<string, unknown>): void {
  api.check(path, method, status, body);
  const schema = resolved(api.schemaFor(path, method, status) as Schema);
  const described = new Set(
    (schema.anyOf ?? [schema]).flatMap((s) => Object.keys(resolved(s).properties ?? {})),
  );
  const missing = Object.keys(body).filter((k) => !described.has(k));
  expect(missing, `${method} ${path} ${status}: fields not described`).to.deep.equal([]);
}

const HEADER =
  'Seizure Reference,Seizure Date,Drug/Substance,Quantity Seized,Measurement Unit,Place,Agency,TLP';
const csv = { 'content-type': 'text/csv' };

describe('national node: bounded and refused answers as its OpenAPI description says (no stack)', () => {
  let node: IntakeApp;
  beforeEach(async () => {
    node = await startIntakeApp();
  });
  afterEach(() => node.close());

  it('describes a CSV answer that lists only the first problems and ignored columns', async () => {
    const unknown = Array.from({ length: 101 }, (_, i) => `Extra ${i}`);
    const rows = Array.from(
      { length: CSV_ERRORS_LISTED + 1 },
      (_, i) => `B-${i},2026-04-01,Heroin,not a number,kg,Khorgos,customs,AMBER`,
    );
    const answer = await node.post(
      '/v1/seizures/csv',
      [`${HEADER},${unknown.join(',')}`, ...rows].join('\n'),
      csv,
    );
    expect(answer.status, JSON.stringify(answer.body).slice(0, 500)).to.equal(207);
    expect(answer.body).to.include.keys('errorsTotal', 'errorsNote', 'ignoredColumnsTotal');
    for (const path of ['/v1/seizures/csv', '/v1/seizures/batch'])
      asDescribed(path, 'post', 207, answer.body);
  });

  it('describes a CSV of too many rows (413) and JSON sent to the CSV route (415)', async () => {
    const row = 'R,2026-04-01,Heroin,1,kg,Khorgos,customs,AMBER';
    const tooMany = await node.post(
      '/v1/seizures/csv',
      [HEADER, ...Array.from({ length: CSV_MAX_ROWS + 1 }, () => row)].join('\n'),
      csv,
    );
    expect(tooMany.status, JSON.stringify(tooMany.body)).to.equal(413);
    asDescribed('/v1/seizures/csv', 'post', 413, tooMany.body);
    const json = await node.post('/v1/seizures/csv', [{ reportId: randomUUID() }]);
    expect(json.status, JSON.stringify(json.body)).to.equal(415);
    expect(json.body.error?.code).to.equal('UNSUPPORTED_MEDIA_TYPE');
    asDescribed('/v1/seizures/csv', 'post', 415, json.body);
  });

  it('describes the refusal of a withdrawal of a route (409)', async () => {
    const routeId = randomUUID();
    const route = await node.post('/v1/routes', routeBody(routeId));
    expect(route.status, JSON.stringify(route.body)).to.equal(202);
    const answer = await node.post(`/v1/seizures/${routeId}/retract`, { reason: 'wrong' });
    expect(answer.status, JSON.stringify(answer.body)).to.equal(409);
    asDescribed('/v1/seizures/{reportId}/retract', 'post', 409, answer.body);
  });
});

describe('national node: a 500 after records were queued, as its OpenAPI description says', () => {
  let node: IntakeApp;
  afterEach(() => node.close());

  it('describes the records it lists in queued', async () => {
    // The import's own log line fails (a log stream gone): after its reports were queued.
    const logger = createLogger('test:openapi-queued', { level: 'silent' });
    node = await startIntakeApp({ logger: failingToLog(logger, 'CSV import') });
    const answer = await node.post(
      '/v1/seizures/csv',
      [HEADER, 'Q-1,2026-04-01,Heroin,1,kg,Khorgos,customs,AMBER'].join('\n'),
      csv,
    );
    expect(answer.status, JSON.stringify(answer.body)).to.equal(500);
    expect(answer.body.queued).to.have.length(1);
    asDescribed('/v1/seizures/csv', 'post', 500, answer.body);
  });
});
