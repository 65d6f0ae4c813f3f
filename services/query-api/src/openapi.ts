// The OpenAPI 3 description of the query API. The answers' shapes are in openapi-schemas.ts.
import { REJECT_REASONS } from '@hub/envelope';
import { jsonContent, ref } from '@hub/errors/openapi';
import { AUDIT_ACTIONS } from './audit';
import { ROLES } from './issuer';
import { SCHEMAS } from './openapi-schemas';
import { ALERT_RULES, WITHHELD_READ_MAX } from './routes-alerts';
import { QUALITY_CACHE_MS, QUALITY_FRESH_MS } from './routes-quality';

const bearer = [{ bearer: [] }];
const param = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});
/** The date range and paging of a list newest first: `verb` says what its date is (raised, refused). */
const datedPage = (verb: string, defaultLimit: number) => [
  param('from', `ISO date: ${verb} on or after`),
  param('to', `ISO date: ${verb} on or before (a day, month or year: the whole of it, UTC)`),
  param('limit', `1-500 (default ${defaultLimit})`, { type: 'integer' }),
  param('cursor', 'nextCursor of the previous page'),
];
/** The cursor of GET /v1/seizures: where the next page starts, which a report corrected meanwhile can cross. */
const SEARCH_CURSOR =
  "nextCursor of the previous page: the next page holds the reports after that page's last, by seizedAt then reportId, as they are when it is asked. A report whose seizedAt is corrected between pages can cross the cursor: it is listed again (moved to a date not yet reached) or not at all (moved to one already passed), so take each reportId once";
const DRUG =
  'a substance code, or a World Drug Report aggregate (both in /data/substances.json) standing for every substance it counts: cocaine (its forms, not coca leaf or bush), opiates, opioids, cannabis, ats, ...; anything else is refused 400 with suggestions';
const err = { $ref: '#/components/responses/Error' };
/** A JSON body the query API queues in the store for the coordinator to sign and send (it holds no key). */
const queuedForTheCoordinator = (input: string, answer: string) => ({
  requestBody: { required: true, content: jsonContent(ref(input)) },
  responses: {
    202: { description: 'Queued for the coordinator to sign and send', content: jsonContent(ref(answer)) },
    400: err,
    401: err,
    403: err,
    413: err,
    429: err,
    503: err,
  },
});
const ok = (description: string, schema: string) => ({
  200: {
    description,
    content: jsonContent(ref(schema)),
  },
  400: err,
  401: err,
  429: err,
  503: err,
  504: err,
});

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Seizure-exchange hub query API',
      version: '1.0.0',
      description:
        'Search, statistics, routes, provenance and audit over the consolidated store. Every record is filtered by its handling (TLP 2.0, releasable-to) for the caller.',
    },
    components: {
      schemas: SCHEMAS,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT (ES256, kid from /.well-known/jwks.json)',
        },
      },
      responses: {
        Error: {
          description: 'Error with a stable code (docs/errors.md)',
          content: jsonContent(ref('Error')),
        },
      },
    },
    paths: {
      '/v1/seizures': {
        get: {
          summary: 'Search seizure reports',
          security: bearer,
          parameters: [
            param('country', 'ISO alpha-2 country of seizure'),
            param('drug', DRUG),
            param('from', 'ISO date'),
            param('to', 'ISO date: on or before (a day, month or year: the whole of it, UTC)'),
            param('routeCountry', 'country anywhere on the route'),
            param(
              'conveyance',
              'mode of transport: a code (road, rail, air, maritime, inland-water, mail, pedestrian, ...; /data/vocab.json) or a word a node takes for one (truck, ship); anything else is refused 400',
            ),
            param('limit', '1-500', { type: 'integer' }),
            param('cursor', SEARCH_CURSOR),
          ],
          responses: ok('A page of visible active reports, newest seizure first', 'SearchPage'),
        },
      },
      '/v1/seizures/{reportId}': {
        get: {
          summary: 'One record with its version history and re-verified provenance',
          security: bearer,
          parameters: [
            { name: 'reportId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
          ],
          responses: {
            ...ok(
              'The record (404 when absent or not visible to the caller), its versions and provenance',
              'SeizureRecord',
            ),
            404: err,
          },
        },
      },
      '/v1/stats': {
        get: {
          summary: 'Aggregates from the read models, in kg',
          security: bearer,
          parameters: [
            param(
              'groupBy',
              'one or more of country, drug, drugGroup, month, year, comma-separated (default country)',
            ),
            param('country', 'ISO alpha-2 country of seizure (of the return, for annual)'),
            param(
              'drug',
              `${DRUG}; for source=annual also the annex's own drug keys (an annual return's drugs outside the taxonomy)`,
            ),
            param(
              'drugGroup',
              'a drug-group code: ats, ecstasy, cannabis, cocaine-type, opioids, sedatives, ...',
            ),
            param(
              'from',
              'start of the period, inclusive. Statistics of seizures are kept per month: the first day of a month (2026-03-01, or the month 2026-03); annual returns per year: 1 January (2024-01-01, or the year 2024). Any other day is refused 400 rather than counted as its whole month or year',
            ),
            param(
              'to',
              'end of the period, inclusive (a day, month or year: the whole of it, UTC). Statistics of seizures are kept per month: the last day of a month (2026-03-31, or the month 2026-03); annual returns per year: 31 December (2024-12-31, or the year 2024). Any other day is refused 400 rather than counted as its whole month or year',
            ),
            param('year', 'a year (both from and to)', { type: 'integer' }),
            param('source', 'seizures (individual reports, default) or annual (annual returns)'),
          ],
          responses: ok('One row per group, sorted by key', 'StatsResult'),
        },
      },
      '/v1/routes': {
        get: {
          summary: 'Route legs between countries',
          security: bearer,
          parameters: [
            param('country', 'ISO alpha-2: either end of a leg'),
            param('drug', DRUG),
            param(
              'reportedRoutes',
              'include (default): the legs and the routes agencies reported (reportedRoutes), whose ids and origins the audit log records as read, so that their owners see the read (GET /v1/reads). omit: the legs alone, as a map needs them; the reported routes are neither read nor named in the audit log, and the answer has no reportedRoutes. Anything else is refused 400',
              { type: 'string', enum: ['include', 'omit'], default: 'include' },
            ),
          ],
          responses: ok(
            'Legs seen in seizures, and (unless reportedRoutes=omit) the routes agencies reported',
            'RoutesResult',
          ),
        },
      },
      '/v1/alerts': {
        get: {
          summary:
            'Cross-border alerts concerning the caller (anyone: those naming their country; a coordinator also those naming a report it may read), newest first',
          description:
            "An alert is a hit/no-hit notice: each caller is shown of it only the matched reports it may read now, under each report's current handling (TLP, releasable-to, the caller's clearance; a coordinator as anyone of its country) and status. A report withheld (not releasable to the caller, withdrawn or erased since) is left out of `matched`, its country out of `countries` (unless the caller's own or named by a report shown) and its evaluation out of `score` (counted as unevaluated); `reason` says how many are withheld, never whose (`N reports you may not read match yours`). An alert naming the caller's country is shown even when only its own reports may be read. `alertId` is the whole alert's. The reports of other countries shown are reads of them in the audit log (their owners see them in GET /v1/reads). A page holds `limit` alerts the caller is shown, or fewer when no other is left to show (then `nextCursor` is null), or when one request has looked through " +
            WITHHELD_READ_MAX.toLocaleString('en') +
            ' alerts it may see nothing of: the page then ends at the last alert shown, its `nextCursor` made of that one as always (never of an alert not shown); a request that finds none to show within those is refused 504 QUERY_TIMEOUT: narrow the dates (from, to).',
          security: bearer,
          parameters: [
            param('rule', ALERT_RULES.join(' | ')),
            param('country', 'only alerts that also name this country, as shown to the caller'),
            ...datedPage('raised', 500),
          ],
          responses: ok('A page of alerts', 'AlertsResult'),
        },
      },
      '/v1/quarantine': {
        get: {
          summary:
            "Envelopes the coordinator refused, newest first: why (reason, detail), where they were read (topic, partition, offset), the origin and message id they claimed. Roles coordinator and admin (all) and node-operator (those read from its own country's topic, which only its node may write, whatever origin they claim); the refused bytes are not given out",
          security: bearer,
          parameters: [
            param('reason', REJECT_REASONS.join(' | ')),
            param('origin', 'the country the envelope claimed to come from'),
            ...datedPage('refused', 100),
          ],
          responses: {
            ...ok('A page of refused envelopes', 'QuarantineResult'),
            403: err,
          },
        },
      },
      '/v1/quarantine/redrive': {
        post: {
          summary:
            'A coordinator has quarantined entries taken again once the cause is mended (role coordinator), as `hub quarantine redrive` does: the coordinator takes each record again as if read where it was first read, and what came of it shows on the entry in GET /v1/quarantine (redrive; redrivePending until then). An entry that is itself a re-drive refused again takes the entry it re-drove again. Every id that cannot be taken again is named at once (none found, already accepted, larger than any envelope), and nothing is queued then; one asked for already and not taken yet is answered as it stands (duplicate: true)',
          security: bearer,
          ...queuedForTheCoordinator('RedriveIn', 'RedrivesQueued'),
        },
      },
      '/v1/requests': {
        get: {
          summary:
            "Information requests between countries, and those the coordination node made (requester HUB, `hub ask`), with their deadlines (roles coordinator, analyst, node-operator): all for a coordinator, else those the caller's country sent or was asked; a response's content only where its handling allows (else withheld: true), and to every coordinator for the coordination node's requests. Every answer is shown: response is the latest, responses all of them, oldest first (after partial answers the addressee may answer again)",
          security: bearer,
          parameters: [
            param(
              'status',
              'open (not due yet) | overdue (past due without an answer, escalated or not) | escalated | partial (answered in part: the latest answer is partial, more may follow) | answered (answered in full, or declined)',
            ),
            param('country', 'requests this country sent or was asked'),
            param('urgency', 'routine | urgent | immediate'),
            param('limit', '1-500 (default 200)', { type: 'integer' }),
            param('cursor', 'nextCursor of the previous page'),
          ],
          responses: {
            ...ok('Soonest due first, a page at a time (nextCursor: more follow)', 'RequestsResult'),
            403: err,
          },
        },
        post: {
          summary:
            'A coordinator asks a country for information, as the coordination node (requester HUB; role coordinator). Read by the rules a national node applies to an agency’s request (every field error at once); the query API holds no signing key, so the request is queued and the coordinator signs and sends it within a few seconds. The same body sent again answers as the first time (duplicate: true). Follow it with GET /v1/requests/asked/{requestId}',
          security: bearer,
          ...queuedForTheCoordinator('AskIn', 'Asked'),
        },
      },
      '/v1/requests/asked': {
        get: {
          summary:
            "The coordinators' requests asked in the query API that the store still keeps, newest first (role coordinator): queued, sent (until the intake has taken or refused it; deleted after 30 days if it never does), stored (taken by the intake within the last hour; GET /v1/requests lists it), or refused within the last 30 days with why (at signing, or by the intake once sent). A request refused or still queued after its form was closed is found here",
          security: bearer,
          parameters: [
            param(
              'state',
              'queued | sent | stored | refused: only the asks kept in that state (every refusal of the last 30 days, however many newer asks there are)',
            ),
            param('limit', '1-500 (default 100)', { type: 'integer' }),
          ],
          responses: {
            ...ok('The asks kept', 'AsksResult'),
            400: err,
            403: err,
          },
        },
      },
      '/v1/requests/asked/{requestId}': {
        get: {
          summary:
            "Where a coordinator's request stands (role coordinator): queued (not signed and sent yet), sent (not stored yet), stored (with the request as GET /v1/requests shows it), or refused (error: why): when it was to be signed (nothing was sent), or by the intake once sent (QUARANTINED: the reason and the quarantine entry)",
          security: bearer,
          parameters: [
            { name: 'requestId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
          ],
          responses: {
            ...ok('Its state', 'AskState'),
            403: err,
            404: err,
          },
        },
      },
      '/v1/session': {
        get: {
          summary:
            'Who the token says the caller is (subject, role, country, clearance, regions, expiry), for any role: a check of the token that reads and audits nothing (the dashboard signs in with it)',
          security: bearer,
          responses: { ...ok('The caller, as its token says', 'SessionResult') },
        },
      },
      '/v1/reads': {
        get: {
          summary:
            "Owner's view: who (country, role, user) read or exported the caller's country's records, and when (from the audit log)",
          security: bearer,
          parameters: [
            param('reportId', 'only reads of this record'),
            param('from', 'ISO date'),
            param('to', 'ISO date: on or before (a day, month or year: the whole of it, UTC)'),
            param('limit', '1-1000 (default 200)', { type: 'integer' }),
          ],
          responses: {
            ...ok("Newest first; only reads of the caller country's records", 'ReadsResult'),
            403: err,
          },
        },
      },
      '/v1/quality': {
        get: {
          summary:
            "Data quality per contributor (coordinators): completeness of fields, delay from seizure to report, rejection rate, from the records the caller's handling reaches (TLP, releasable-to; its own country's always): reports and accepted envelopes it may not read are not counted, refused envelopes all are (GET /v1/quarantine lists them). Every figure but the rejection rate is of what the caller may read (the answer's counted says so); the rejection rate is given only to a caller cleared RED, over every envelope, and is null below RED for every country, so that no answer below RED tells whether a country has records the caller may not read",
          security: bearer,
          parameters: [
            param(
              'fresh',
              `1 (or true) for figures at most ${QUALITY_FRESH_MS / 1000} s old instead of the cached ones (at most ${QUALITY_CACHE_MS / 60000} minute old): recomputed only when older than that (computedAt tells when they were computed), and requests made while they are computed share that computation; anything else is refused 400`,
              { type: 'string', enum: ['1', 'true'] },
            ),
          ],
          responses: { ...ok('One entry per contributing country', 'QualityResult'), 403: err },
        },
      },
      '/v1/audit': {
        get: {
          summary:
            "Audit log with chain verification (auditor, admin): a page of entries, newest first, and the whole chain verified from its first entry in the same read (verify=false to page without it). A caller cleared for RED sees every entry whole. Below RED, an entry of another country's caller shows who did what and when, and its query, count, reportIds, reportOrigins, origins and cutOrigins are null (what was read may be of records the caller may not see); no entry shows its prevHash or hash (each hash covers every entry before it, so it would let a guess at what is withheld be checked); each such entry names them in withheld, the page tells the rule in withheldRule. Whether the chain holds (valid, checked, intact, brokenAt) is checked by the API over the whole stored entries, the same for every caller (`hub audit` checks it from the store)",
          security: bearer,
          parameters: [
            param('limit', '1-1000 (default 200)', { type: 'integer' }),
            param('before', 'entries before this sequence number: the next of the previous page', {
              type: 'integer',
            }),
            param('sub', "the reader's subject (the token's sub), exactly"),
            param('country', "the reader's country (ISO alpha-2)"),
            param('role', "the reader's role", { type: 'string', enum: [...ROLES] }),
            param('action', 'what was done', { type: 'string', enum: [...AUDIT_ACTIONS] }),
            param('from', 'ISO date: entries written on or after'),
            param(
              'to',
              'ISO date: entries written on or before (a day, month or year: the whole of it, UTC)',
            ),
            param(
              'verify',
              'false: the page alone (verified: false), each entry checked against its hash and the entry before it (intact); the whole chain is not walked',
              { type: 'string', enum: ['true', 'false'] },
            ),
          ],
          responses: { ...ok('Newest first', 'AuditResult'), 403: err },
        },
      },
      '/v1/export/seizures.csv': {
        get: {
          summary: 'Download the search result as CSV (audited as an export)',
          security: bearer,
          parameters: [
            param('country', 'ISO alpha-2 country of seizure'),
            param('drug', DRUG),
            param('from', 'ISO date'),
            param('to', 'ISO date: on or before (a day, month or year: the whole of it, UTC)'),
            param('routeCountry', 'country anywhere on the route'),
            param(
              'conveyance',
              'mode of transport: a code (road, rail, air, maritime, inland-water, mail, pedestrian, ...; /data/vocab.json) or a word a node takes for one (truck, ship); anything else is refused 400',
            ),
            param('limit', '1-10000 (default 10000); x-export-truncated tells whether more matched', {
              type: 'integer',
            }),
          ],
          responses: {
            ...ok('', 'Error'),
            200: { description: 'text/csv, one row per visible report', content: { 'text/csv': {} } },
          },
        },
      },
      '/v1/export/routes.geojson': {
        get: {
          summary:
            'Download the route legs as GeoJSON lines between country centroids (audited as an export)',
          security: bearer,
          parameters: [param('country', 'ISO alpha-2: either end of a leg'), param('drug', DRUG)],
          responses: {
            ...ok('', 'Error'),
            200: {
              description:
                'FeatureCollection of LineString legs with count (seizure entries, as in GET /v1/routes), quantityKg, substances',
              content: { 'application/geo+json': {} },
            },
          },
        },
      },
      '/v1/feeds/{region}/stream': {
        get: {
          summary:
            'The regional feed as server-sent events (text/event-stream): every record countersigned by the coordinator and readable by the caller, as it is published; an event named ready first, a comment every 15 s to keep the connection open. A client reconnecting with Last-Event-ID gets, after ready, the events it missed and may read (from the latest 1,000 of each feed held, or else read back from Kafka, up to 10,000 records, in order on each partition), then the live ones; an event named gap, { lastEventId, detail }, says when more was missed than that, the broker no longer keeps some, the id is not one of this feed, or events after lastEventId could not be checked against the store (to be given again, or an alert live): those were not given, and the stream goes on past them, so search for them (GET /v1/seizures, GET /v1/alerts); an event named token-lapsed, { code, message } (TOKEN_EXPIRED, or TOKEN_INVALID for a key withdrawn), ends the stream once its token would be refused: reconnect with a new one. An event named erasure, { erasureId, subjectType, subjectId, versionsUpTo, region, orderedAt }, tells every subscriber of the feed that the record was erased (retention review, a request of the originator or a legal order) up to that version: drop what is held of it. It carries nothing of the record, and is given again to a client reconnecting. At most four times HUB_QUERY_CONCURRENCY streams per caller (429 beyond)',
          security: bearer,
          parameters: [
            {
              name: 'region',
              in: 'path',
              required: true,
              description:
                'a region id of /data/regions.json the caller country belongs to (a coordinator: any)',
              schema: { type: 'string' },
            },
            {
              name: 'Last-Event-ID',
              in: 'header',
              required: false,
              description:
                'the id of the last event received, to resume after it: where the feed stood on each partition of its topic (<partition>:<offset>,...)',
              schema: { type: 'string' },
            },
          ],
          responses: {
            200: {
              description:
                "Events: `id: <partition>:<offset>,...` (where the feed stood on each partition just after it), `event: <message type, alert or erasure>`, `data: <JSON>` (FeedEvent; Alert for alert: the caller's view, as GET /v1/alerts shows it, by the matched reports' current handling; ErasureEvent for erasure). Events given again after Last-Event-ID are checked against the store first: a record erased, withdrawn, or not readable by the caller under its subject's current handling is not given again (a withdrawal is given while its report is kept)",
              content: { 'text/event-stream': { schema: ref('FeedEvent') } },
            },
            401: err,
            403: err,
            404: err,
            429: err,
            503: err,
          },
        },
      },
      '/': {
        get: {
          summary: 'The analyst dashboard (HTML; sign in with a bearer token)',
          responses: { 200: { description: 'text/html' } },
        },
      },
      '/data/countries.json': {
        get: {
          summary: 'Reference data: ISO countries with numeric code, English and Russian names, centroid',
          responses: { 200: { description: '{ CC: { numeric, en, ru, centroid } }' } },
        },
      },
      '/data/substances.json': {
        get: {
          summary:
            'Reference data: substance codes with group and English and Russian labels, then the World Drug Report aggregates a drug filter also takes (aggregate: true, with the substances each counts)',
          responses: {
            200: {
              description: 'The substances, then the aggregates',
              content: jsonContent(ref('Substances')),
            },
          },
        },
      },
      '/data/vocab.json': {
        get: {
          summary:
            'Reference data: the controlled vocabularies (concealment, detection, transport modes, location types, drug forms, drug groups, agency types, identifier kinds, units) with labels in every language the data files have',
          responses: { 200: { description: '{ <vocabulary>: { <code>: { en, ru, kk?, ky?, tg?, uz? } } }' } },
        },
      },
      '/data/regions.json': {
        get: {
          summary:
            'Reference data: regions (the feeds of GET /v1/feeds/{region}/stream) with members and names',
          responses: { 200: { description: '[{ id, en, ru, members }]' } },
        },
      },
      '/.well-known/jwks.json': {
        get: {
          summary: 'Token verification keys',
          responses: {
            200: {
              description: 'JWKS',
              content: jsonContent(ref('Jwks')),
            },
          },
        },
      },
      '/openapi.json': {
        get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3' } } },
      },
      '/healthz': {
        get: {
          summary: 'Health',
          responses: {
            200: { description: 'ok', content: jsonContent(ref('Health')) },
            503: { description: 'degraded', content: jsonContent(ref('Health')) },
          },
        },
      },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text' } } } },
    },
  };
}
