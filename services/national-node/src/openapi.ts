// The national node's OpenAPI 3 description (GET /openapi.json): what an agency's IT team integrates with. The shapes
// of bodies and answers are in openapi-schemas.ts.
import { HandlingIn, jsonContent, ref, text, type Schema } from '@hub/errors/openapi';
import { TEXT_MAX } from '@hub/schemas';
import { NODE_SCHEMAS } from './openapi-schemas';
import { REQUEST_STATUSES } from './routes-requests';

/** A JSON answer of the component schema `schema`. */
const json = (description: string, schema: string) => ({ description, content: jsonContent(ref(schema)) });
const body = (description: string, schema: string, type = 'application/json') => ({
  required: true,
  description,
  content: { [type]: { schema: type === 'text/csv' ? { type: 'string' } : ref(schema) } },
});
const err = (description: string) => json(description, 'Error');
/** The batch endpoint's answer: a BatchResult for a JSON array, a CsvResult for a CSV. */
const batchAnswer = (description: string) => ({
  description,
  content: jsonContent({ anyOf: [ref('BatchResult'), ref('CsvResult')] }),
});
const fieldErrors = err(
  'Field-level errors (errors: [{ field, message, value?, suggestions? }]); nothing was queued',
);
/** The very body of the version a withdrawal withdrew, sent again after it. */
const WITHDRAWN_AGAIN =
  'the very body of the version a withdrawal withdrew, sent again after it (a retry, a file imported again: it would put the withdrawn report back; the message names the version withdrawn and the withdrawal): nothing was queued; to reinstate the report on purpose, send it changed (a line in notes saying why will do), which makes it the next version';
/** A new version or a withdrawal of a record the hub erased at retention review. */
const erased = (what: string) =>
  err(
    `That ${what} was erased at retention review (CONFLICT; the message names the erasure order): the hub and this node keep nothing of it, and this node sends nothing more under its id. Send it again under a new id (or without one); GET /v1/receipts/{id} shows the order`,
  );
/** What any /v1 route may answer besides its own: a token the node asks for (401), a body too big or not JSON. */
const common = {
  401: err(
    'HUB_NODE_TOKEN_FILE is set and the request has no token of it (TOKEN_MISSING, TOKEN_INVALID), or HUB_NODE_CLIENT_CERTIFICATES=require and its TLS connection presented no valid client certificate from the hub CA (CLIENT_CERTIFICATE_MISSING, CLIENT_CERTIFICATE_INVALID)',
  ),
  403: err(
    "HUB_NODE_CLIENT_CERTIFICATES=require and the client certificate is not an agency system's of this country (CLIENT_CERTIFICATE_REFUSED) or was revoked (CLIENT_CERTIFICATE_REVOKED)",
  ),
  500: json(
    'Unexpected (INTERNAL); nothing was accepted, send it again — unless the answer lists queued: records of the request put in the outbox before the failure, which go to the hub (see GET /v1/receipts/{id} before sending anything again)',
    'InternalError',
  ),
  503: err(
    "The outbox or the broker cannot take it now, or the node's certificate has expired or was revoked (CERTIFICATE_INVALID); nothing was queued, send it again. A batch or CSV import refused whole for it also carries each item's result (results; a CSV's invalid rows in errors, by line and column)",
  ),
};
/** Refused whole for a reason of the node's (a certificate expired, the outbox full): with each item's result. */
const refusedWhole = (schema: Schema) => ({
  description:
    "The outbox or the broker cannot take it now, or the node's certificate has expired or was revoked (CERTIFICATE_INVALID); nothing was queued: each item's result says what else to mend before it is sent again",
  content: jsonContent(schema),
});
/** The query parameters of a CSV import: values for the columns the file lacks, each checked as its column is. */
const csvDefaultParams = () => {
  const handling = HandlingIn.properties as Record<string, Schema>;
  const column = (name: string) =>
    `for rows without a ${name} (the file lacks the column, or the cell is empty); a value no report could take is refused (400) before the file is read`;
  return [
    query('agency', text(TEXT_MAX.SeizureReport.agency), column('Agency')),
    query('tlp', handling.tlp!, column('TLP')),
    query(
      'releasableTo',
      { type: 'string' },
      `${column('Releasable To')}: country codes or names, or region ids, separated by commas (releasableTo=KZ,KG)`,
    ),
    query('evaluation', handling.evaluation!, column('Evaluation')),
  ];
};
/** `limit` and `cursor` of a list read newest first a page at a time. */
const pageParams = [
  {
    name: 'limit',
    in: 'query',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
  },
  {
    name: 'cursor',
    in: 'query',
    required: false,
    description: "the previous page's nextCursor, unchanged",
    schema: { type: 'string' },
  },
];
const query = (name: string, schema: Record<string, unknown>, description?: string) => ({
  name,
  in: 'query',
  required: false,
  ...(description && { description }),
  schema,
});
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
        "Agencies submit seizure reports, routes, annual returns and information requests here. Each accepted item is validated, normalised (the response says what changed), signed with this node's key and kept in a durable outbox before the 202 answer; the coordinator's signed receipt follows at /v1/receipts/{id}. docs/examples/minimal-report.json is a minimal report; docs/templates/ describes the CSV template. A node configured with agencies' tokens (HUB_NODE_TOKEN_FILE) answers every /v1 request without one of them 401 (TOKEN_MISSING or TOKEN_INVALID); one that requires client certificates (HUB_NODE_CLIENT_CERTIFICATES=require, over TLS) takes only an agency system's certificate from the hub CA for its country ('hub pki issue-client'), whose common name its reports carry as submittedBy.",
    },
    components: {
      schemas: NODE_SCHEMAS,
      securitySchemes: {
        agencyToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'One of the tokens of HUB_NODE_TOKEN_FILE, when the node is configured with one',
        },
      },
    },
    // No token, or an agency token: the node's configuration decides (/healthz, /metrics, /openapi.json stay open).
    // A client certificate (HUB_NODE_CLIENT_CERTIFICATES) is TLS's, which OpenAPI 3.0 has no scheme for: see the
    // description and the 401 and 403 answers.
    security: [{}, { agencyToken: [] }],
    paths: {
      '/v1/seizures': {
        post: {
          summary: 'Submit one seizure report (a known reportId makes it the next version)',
          requestBody: body(
            'A seizure report (CONTRACT.md; docs/examples/minimal-report.json)',
            'SeizureReport',
          ),
          responses: {
            202: json(
              'Signed and queued; the same body sent again answers with duplicate: true, unless the hub refused the version it made: then it is sent again as the next version (resentAfterRefusal)',
              'SeizureQueued',
            ),
            400: fieldErrors,
            409: err(
              `CONFLICT: that report was erased at retention review (the message names the erasure order): the hub and this node keep nothing of it, and this node sends nothing more under its id; send it again under a new id (or without one), GET /v1/receipts/{id} shows the order. Or ${WITHDRAWN_AGAIN}`,
            ),
            413: err('Body over 2 MB (BODY_TOO_LARGE)'),
            415: err('Not JSON (UNSUPPORTED_MEDIA_TYPE)'),
            ...common,
          },
        },
      },
      '/v1/seizures/batch': {
        post: {
          summary:
            'Submit up to 5000 reports as a JSON array, or a CSV as /v1/seizures/csv takes; valid ones are queued whatever the others',
          parameters: csvDefaultParams().map((p) => ({
            ...p,
            description: `a CSV only: ${p.description}`,
          })),
          requestBody: {
            required: true,
            description:
              'A JSON array of seizure reports, or CSV text (answered as /v1/seizures/csv answers)',
            content: {
              'application/json': { schema: { type: 'array', maxItems: 5000, items: ref('SeizureReport') } },
              'text/csv': { schema: { type: 'string' } },
            },
          },
          responses: {
            202: batchAnswer('All queued'),
            207: batchAnswer(
              'Some refused: results say which and why (status invalid, errors); for a CSV, errors name the line, column and value',
            ),
            400: fieldErrors,
            409: json(
              "Nothing was queued: the reports that are valid were refused, the first (error) as a new version of a report erased at retention review (CONFLICT; the message names the erasure order), of which the hub and this node keep nothing, or as the very body of the version a withdrawal withdrew, sent again (CONFLICT; it would put the withdrawn report back). results give each report's outcome: send the erased ones again under new ids (or without one), a withdrawn one changed to reinstate it on purpose (a line in notes saying why will do)",
              'BatchRefused',
            ),
            413: err('Body over 2 MB (BODY_TOO_LARGE; a CSV: over 20 MB or 50000 rows)'),
            415: err('Neither JSON nor CSV (UNSUPPORTED_MEDIA_TYPE)'),
            ...common,
            500: {
              description:
                "Unexpected (INTERNAL): as any route's 500, or a JSON batch none of whose reports was taken, with each one's results; nothing was queued, send it again",
              content: jsonContent({ anyOf: [ref('InternalError'), ref('BatchRefused')] }),
            },
            503: refusedWhole({ anyOf: [ref('BatchRefused'), ref('CsvRefused')] }),
          },
        },
      },
      '/v1/seizures/csv': {
        post: {
          summary:
            'Submit a CSV in the UNODC IDS shape (docs/templates/ids-seizures.csv), up to 20 MB and 50,000 rows',
          parameters: csvDefaultParams(),
          requestBody: body('CSV text; rows of one seizure share a reference', '', 'text/csv'),
          responses: {
            202: json('All rows queued', 'CsvResult'),
            207: json('Some rows refused: errors name the line, column and value', 'CsvResult'),
            400: fieldErrors,
            413: err(
              'Over 20 MB or more than 50000 rows (BODY_TOO_LARGE); nothing was imported: split the file',
            ),
            415: err('Not CSV (UNSUPPORTED_MEDIA_TYPE); a JSON batch goes to /v1/seizures/batch'),
            ...common,
            503: refusedWhole(ref('CsvRefused')),
          },
        },
      },
      '/v1/seizures/{reportId}/retract': {
        post: {
          summary: 'Withdraw a report this node sent',
          parameters: [idParam('reportId')],
          requestBody: body('Why it is withdrawn', 'Reason'),
          responses: {
            202: json('The retraction, signed and queued', 'RetractQueued'),
            400: fieldErrors,
            404: err('This node never sent that report'),
            409: err(
              'CONFLICT: that report was erased at retention review (the message names the erasure order; GET /v1/receipts/{id} shows it): the hub and this node keep nothing of it. Or the id is of a trafficking route or an annual return this node sent: only seizure reports are withdrawn; send a corrected route (POST /v1/routes with its routeId) or a corrected return for its year (POST /v1/annual-returns), which replaces it. Nothing was queued',
            ),
            ...common,
          },
        },
      },
      '/v1/seizures/{id}/renew': {
        post: {
          summary: 'Keep a report for another retention period (before its review date)',
          parameters: [idParam('id')],
          requestBody: body('Why it is still needed', 'Reason'),
          responses: {
            202: json('The renewal request, signed and queued', 'RenewalQueued'),
            400: fieldErrors,
            404: err('Unknown report'),
            ...common,
          },
        },
      },
      '/v1/routes': {
        post: {
          summary: 'A trafficking-route report (a known routeId makes it the next version)',
          requestBody: body('A trafficking route as the agency understands it', 'TraffickingRoute'),
          responses: {
            202: json('Signed and queued', 'RouteQueued'),
            400: fieldErrors,
            409: erased('route'),
            ...common,
          },
        },
      },
      '/v1/routes/{id}/renew': {
        post: {
          summary: 'Keep a trafficking-route report for another retention period (before its review date)',
          parameters: [idParam('id')],
          requestBody: body('Why it is still needed', 'Reason'),
          responses: {
            202: json('The renewal request, signed and queued', 'RenewalQueued'),
            400: fieldErrors,
            404: err('Unknown route'),
            ...common,
          },
        },
      },
      '/v1/annual-returns': {
        post: {
          summary:
            "This country's yearly seizure totals by drug (World Drug Report annex shape); one return per year, resubmissions are new versions (a year's return erased at retention review may be sent again: its id is the year's, and it goes on from the version after those erased)",
          requestBody: body('The totals of one year', 'AnnualSeizureReturn'),
          responses: { 202: json('Signed and queued', 'AnnualQueued'), 400: fieldErrors, ...common },
        },
      },
      '/v1/annual-returns/{id}/renew': {
        post: {
          summary: 'Keep an annual return for another retention period',
          parameters: [idParam('id')],
          requestBody: body('Why it is still needed', 'Reason'),
          responses: {
            202: json('The renewal request, signed and queued', 'RenewalQueued'),
            400: fieldErrors,
            404: err('Unknown return'),
            ...common,
          },
        },
      },
      '/v1/requests': {
        get: {
          summary:
            'Information requests sent by and addressed to this country, soonest due first, with status, due time, evidence and answers: response is the latest answer, responses every answer, oldest first (after a partial answer the addressee may answer again)',
          parameters: [
            query(
              'status',
              { type: 'string', enum: [...REQUEST_STATUSES] },
              'open (not due yet) | overdue (past due without an answer, escalated or not) | escalated | partial (answered in part: the latest answer is partial, more may follow) | answered (in full, or declined) | rejected (refused by the coordinator)',
            ),
            {
              name: 'direction',
              in: 'query',
              required: false,
              schema: { type: 'string', enum: ['incoming', 'outgoing'] },
            },
          ],
          responses: {
            200: json('Incoming and outgoing requests', 'RequestList'),
            400: fieldErrors,
            ...common,
          },
        },
        post: {
          summary:
            'Ask another country about a report, an identifier or a route (a requestId given makes a resend safe: the very same body sent again is answered as the first time)',
          requestBody: body('The request', 'InformationRequest'),
          responses: {
            202: json(
              'Signed and queued; the very same body sent again (with its requestId) answers as the first time with duplicate: true, and nothing new is queued, unless the hub refused it: then it is sent again (resentAfterRefusal: true)',
              'RequestQueued',
            ),
            400: fieldErrors,
            409: err(
              'That requestId was sent already with another body (CONFLICT): leave requestId out for a new request; or a request of that id is being signed now: send the same body again once it is answered to be told what it made',
            ),
            ...common,
          },
        },
      },
      '/v1/requests/{id}/response': {
        post: {
          summary:
            'Answer a request addressed to this country; after a partial answer (status partial), again, until an answer that is not partial',
          parameters: [idParam('id')],
          requestBody: body('The answer', 'InformationResponse'),
          responses: {
            202: json(
              'Signed and queued; the very same answer sent again answers as the first time with duplicate: true, and nothing new is queued, unless the hub refused it: then it is sent again as a new answer (resentAfterRefusal: true)',
              'ResponseQueued',
            ),
            400: fieldErrors,
            404: err('No such request has arrived'),
            409: err(
              'CONFLICT: this node sent that request (only its addressee can answer it); or it is answered already by an answer that is not partial (only a partial answer may be followed by another); or another answer to it is being signed now: send this one once that has its 202',
            ),
            ...common,
          },
        },
      },
      '/v1/receipts': {
        get: {
          summary:
            "Everything this node has sent (reports, routes, annual returns), newest first, each with the status of its latest version sent (pending until that version's receipt arrives) and the latest receipt received: ?status=rejected lists what the hub refused and why. A record erased at retention review is left out, and counted in no status (its receipts are erased with it): /v1/retention/erasures lists the orders, /v1/receipts/{id} answers erased",
          parameters: [
            {
              name: 'status',
              in: 'query',
              required: false,
              schema: { type: 'string', enum: ['pending', 'accepted', 'rejected'] },
            },
            ...pageParams,
          ],
          responses: {
            200: json('A page, with the counts of each status', 'ReceiptList'),
            400: fieldErrors,
            ...common,
          },
        },
      },
      '/v1/receipts/{id}': {
        get: {
          summary:
            "The coordinator's receipt: accepted (with flags), rejected with reasons, pending, or erased (the record was erased at retention review: the order that erased it, and no receipt of what it erased)",
          parameters: [idParam('id')],
          responses: {
            200: json(
              'The latest status and every receipt (those of an erased record: erased with it)',
              'Receipt',
            ),
            404: err('Never sent by this node'),
            ...common,
          },
        },
      },
      '/v1/alerts': {
        get: {
          summary:
            'Cross-border alerts naming this country, newest first; one naming a record erased at retention review (of any country) is erased with it',
          parameters: pageParams,
          responses: {
            200: json('A page of them, as the coordinator sent them', 'Alerts'),
            400: fieldErrors,
            ...common,
          },
        },
      },
      '/v1/retention': {
        get: {
          summary:
            "Retention notices about this country's records (review due, renewed, erased), newest first: ?kind=review_due&current=true lists the records awaiting renewal",
          parameters: [
            query('kind', { type: 'string', enum: ['review_due', 'renewed', 'erased'] }),
            query('subjectId', { type: 'string', format: 'uuid' }, 'the notices about one record'),
            query(
              'current',
              { type: 'string', enum: ['true', 'false'], default: 'false' },
              "each record's latest notice only",
            ),
            ...pageParams,
          ],
          responses: {
            200: json('A page of them, with how many records stand at each kind', 'Retention'),
            400: fieldErrors,
            ...common,
          },
        },
      },
      '/v1/retention/erasures': {
        get: {
          summary:
            "The coordinator's orders to erase this country's records, newest first (the orders for other countries' records that alerts here named are applied, not listed)",
          parameters: [
            query('subjectId', { type: 'string', format: 'uuid' }, 'the orders about one record'),
            ...pageParams,
          ],
          responses: {
            200: json('A page of them, as the coordinator sent them', 'Erasures'),
            400: fieldErrors,
            ...common,
          },
        },
      },
      '/healthz': {
        get: {
          summary: 'Broker, outbox and webhook state',
          responses: { 200: json('Healthy', 'Health'), 503: json('Not healthy', 'Health') },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (outbox depth and age, published, accepted, webhook pending)',
          responses: { 200: { description: 'text/plain' } },
        },
      },
      '/openapi.json': {
        get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3' } } },
      },
    },
  };
}
