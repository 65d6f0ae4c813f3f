// The national node's OpenAPI 3 description (GET /openapi.json): what an agency's IT team integrates with.
const json = (description: string) => ({
  description,
  content: { 'application/json': { schema: { type: 'object' } } },
});
const body = (description: string, type = 'application/json') => ({
  required: true,
  description,
  content: { [type]: { schema: { type: type === 'text/csv' ? 'string' : 'object' } } },
});
const fieldErrors = json(
  'Field-level errors: { error: { code, message }, errors: [{ field, message, value?, suggestions? }] }; nothing was queued',
);
const idParam = (name: string) => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string', format: 'uuid' },
});

export function nodeOpenApi(country: string): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: {
      title: `Seizure exchange hub: national node ${country}`,
      version: '1',
      description:
        "Agencies submit seizure reports, routes, annual returns and information requests here. Each accepted item is validated, normalised (the response says what changed), signed with this node's key and kept in a durable outbox before the 202 answer; the coordinator's signed receipt follows at /v1/receipts/{id}. docs/examples/minimal-report.json is a minimal report; docs/templates/ describes the CSV template. A node configured with agencies' tokens (HUB_NODE_TOKEN_FILE) answers every /v1 request without one of them 401 (TOKEN_MISSING or TOKEN_INVALID).",
    },
    components: {
      securitySchemes: { agencyToken: { type: 'http', scheme: 'bearer' } },
    },
    paths: {
      '/v1/seizures': {
        post: {
          summary: 'Submit one seizure report (a known reportId makes it the next version)',
          requestBody: body('A seizure report (CONTRACT.md; docs/examples/minimal-report.json)'),
          responses: {
            202: json('{ reportId, version, messageId, status: "queued", normalisations, duplicate? }'),
            400: fieldErrors,
            413: json('Body over 2 MB'),
          },
        },
      },
      '/v1/seizures/batch': {
        post: {
          summary:
            'Submit up to 5000 reports (a JSON array) or a CSV body; valid ones are queued whatever the others',
          requestBody: body('A JSON array of seizure reports'),
          responses: {
            202: json('{ accepted, rejected, results }: all queued'),
            207: json('Some refused: results say which and why'),
            400: fieldErrors,
          },
        },
      },
      '/v1/seizures/csv': {
        post: {
          summary: 'Submit a CSV in the UNODC IDS shape (docs/templates/ids-seizures.csv), up to 20 MB',
          requestBody: body('CSV text; rows of one seizure share a reference', 'text/csv'),
          responses: {
            202: json('All rows queued'),
            207: json('{ accepted, rejected, results, errors: [{ line, column, value, message }] }'),
            400: fieldErrors,
            413: json('Over 20 MB'),
          },
        },
      },
      '/v1/seizures/{reportId}/retract': {
        post: {
          summary: 'Withdraw a report this node sent: { reason }',
          parameters: [idParam('reportId')],
          requestBody: body('{ reason }'),
          responses: {
            202: json('{ reportId, version, messageId, status }'),
            400: fieldErrors,
            404: json('This node never sent that report'),
          },
        },
      },
      '/v1/seizures/{id}/renew': {
        post: {
          summary: 'Keep a report for another retention period (before its review date): { reason }',
          parameters: [idParam('id')],
          requestBody: body('{ reason }'),
          responses: {
            202: json('{ renewalId, subjectId, messageId, status }'),
            400: fieldErrors,
            404: json('Unknown report'),
          },
        },
      },
      '/v1/routes': {
        post: {
          summary: 'A trafficking-route report',
          requestBody: body('A trafficking route'),
          responses: { 202: json('Queued'), 400: fieldErrors },
        },
      },
      '/v1/annual-returns': {
        post: {
          summary:
            "This country's yearly seizure totals by drug (World Drug Report annex shape); one return per year, resubmissions are new versions",
          requestBody: body(
            '{ year, rows: [{ drugGroup?, drugName, kilograms }], handling: { tlp, releasableTo? }, source? }',
          ),
          responses: {
            202: json('{ returnId, version, country, year, rows, messageId, status, normalisations }'),
            400: fieldErrors,
          },
        },
      },
      '/v1/annual-returns/{id}/renew': {
        post: {
          summary: 'Keep an annual return for another retention period',
          parameters: [idParam('id')],
          requestBody: body('{ reason }'),
          responses: { 202: json('Queued'), 404: json('Unknown return') },
        },
      },
      '/v1/requests': {
        get: {
          summary: 'Information requests sent by and addressed to this country, with status and due time',
          responses: { 200: json('{ requests }') },
        },
        post: {
          summary: 'Ask another country about a report, an identifier or a route',
          requestBody: body('{ addressee, subject, purpose, urgency, dueAt?, handling }'),
          responses: { 202: json('{ requestId, dueAt, status }'), 400: fieldErrors },
        },
      },
      '/v1/requests/{id}/response': {
        post: {
          summary: 'Answer a request addressed to this country',
          parameters: [idParam('id')],
          requestBody: body('{ answer, handling }'),
          responses: {
            202: json('Queued'),
            400: fieldErrors,
            404: json('Unknown request'),
            409: json('Not addressed to this country, or answered already'),
          },
        },
      },
      '/v1/receipts/{id}': {
        get: {
          summary: "The coordinator's receipt: accepted (with flags), rejected with reasons, or pending",
          parameters: [idParam('id')],
          responses: {
            200: json('{ reportId, status, version, reasons, receipts }'),
            404: json('Never sent by this node'),
          },
        },
      },
      '/v1/alerts': {
        get: { summary: 'Cross-border alerts naming this country', responses: { 200: json('{ alerts }') } },
      },
      '/v1/retention': {
        get: {
          summary:
            "Retention notices about this country's records (review due, renewed, erased) and erasure notices",
          responses: { 200: json('{ notices, erasures }') },
        },
      },
      '/healthz': {
        get: {
          summary: 'Broker, outbox and webhook state',
          responses: { 200: json('Healthy'), 503: json('Not healthy') },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (outbox depth and age, published, accepted, webhook pending)',
          responses: { 200: { description: 'text/plain' } },
        },
      },
      '/openapi.json': { get: { summary: 'This document', responses: { 200: json('OpenAPI 3') } } },
    },
  };
}
