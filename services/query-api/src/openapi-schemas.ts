// The shapes of the query API's JSON answers (OpenAPI 3.0 schemas, `components.schemas`). The contract test
// (test/query-api/openapi-contract.test.ts) validates every route's real answers against them, so they stay true.
import {
  bool,
  country,
  dateTime,
  ERROR_SCHEMA,
  HEALTH_SCHEMA,
  INFORMATION_REQUEST_IN,
  int,
  list,
  nullable,
  num,
  object,
  ref,
  str,
  uuid,
  type Schema,
} from '@hub/errors/openapi';
import { REJECT_REASONS } from '@hub/envelope';
import { ALERT_RULES } from './routes-alerts';

const TLP_LABELS = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'];
/** An audit entry's field that a caller cleared below RED is not shown of another country's callers' entries. */
const WITHHELD_NULL = "null in another country's caller's entry to a caller cleared below RED (withheld)";
/** An audit entry's field of the records read, as a caller cleared below RED is shown it of its own country's entries. */
const OWN_RECORDS_ONLY =
  "in its own country's callers' entries, to a caller cleared below RED, only its own country's records (the others withheld)";

/**
 * What the `count` of statistics and route legs counts. The read models keep one bucket per substance, so distinct
 * reports across substances cannot be counted from them: a sum over substances counts a report once for each.
 */
const SEIZURE_ENTRIES =
  "seizure entries: reports naming the substance; a report naming several substances counts once for each, as UNODC's individual seizure data does";

/** Why the coordinator refused to sign a coordinator's request (nothing was sent). */
const askError = object(
  {
    code: str(
      "VALIDATION_FAILED, NOT_FOUND (no national node), QUARANTINED (the hub's intake refused it once sent; the message names the reason and the quarantine entry)",
    ),
    message: str(),
  },
  { errors: list(object({ field: str(), message: str() }, { value: {} })) },
);
const askedBy = object({ sub: str('the token subject of the coordinator who asked'), country: str() });
/** Who asked for a re-drive: a coordinator's token subject, which a node's operator is not shown. */
const REQUESTED_BY = nullable(
  str(
    'who asked for it: the token subject of the coordinator (hub quarantine redrive --by); null to a node-operator caller',
  ),
);

/** One answer to an information request, as GET /v1/requests shows it. */
const ANSWER = {
  type: 'object',
  description: 'withheld: true when its handling does not let the caller read the answer',
  required: [
    'responseId',
    'from',
    'status',
    'respondedAt',
    'receivedAt',
    'handling',
    'messageId',
    'withheld',
  ],
  properties: {
    responseId: uuid,
    from: country,
    status: { type: 'string', enum: ['answered', 'partial', 'declined'] },
    respondedAt: dateTime(),
    receivedAt: dateTime(),
    handling: object({ tlp: { type: 'string', enum: TLP_LABELS }, releasableTo: list() }),
    messageId: uuid,
    withheld: bool,
    answer: str(),
    relatedReports: list(),
    submittedBy: nullable(str('the agency system that answered')),
  },
};

export const SCHEMAS: Record<string, Schema> = {
  Error: ERROR_SCHEMA,
  Health: HEALTH_SCHEMA,
  Handling: object(
    {
      tlp: { type: 'string', enum: TLP_LABELS, description: 'TLP 2.0 label' },
      releasableTo: list(str('a country code or a region id')),
      evaluation: nullable(str('4x4 source and information evaluation, e.g. B2')),
    },
    {},
    { description: 'Who may read a record: its TLP label and the countries or regions it is releasable to' },
  ),
  SignedReport: {
    type: 'object',
    description:
      'The seizure report as its national node signed it (the SeizureReport Avro record, schemas/avro), field for field: timestamps (reportedAt, seizedAt) are milliseconds since 1970 as on the wire; the TLP is the Avro enum (AMBER_STRICT for AMBER+STRICT)',
    required: ['reportId', 'version', 'reportedAt', 'seizedAt', 'country', 'agency', 'drugs', 'handling'],
    properties: {
      reportId: uuid,
      version: int(),
      supersedesVersion: nullable(int()),
      reportedAt: int('ms since 1970'),
      seizedAt: int('ms since 1970'),
      seizedAtOffsetMinutes: nullable(int('the UTC offset the agency gave')),
      country,
      place: { type: 'object' },
      agency: str('agency type from the vocabulary'),
      drugs: {
        type: 'array',
        items: object({
          substance: str(),
          quantity: num(),
          unit: str(),
          quantityKg: nullable(num()),
        }),
      },
      conveyance: nullable({ type: 'object' }),
      route: list({ type: 'object' }),
      handling: object({
        tlp: { type: 'string', enum: ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT', 'RED'] },
        releasableTo: list(),
        evaluation: nullable(str()),
      }),
      submittedBy: nullable(str('the agency system that sent it to its node (SeizureReport v3)')),
    },
  },
  Retraction: object({
    reason: str(),
    retractedAt: dateTime(),
    submittedBy: nullable(str('the agency system that withdrew it')),
  }),
  Seizure: object(
    {
      reportId: uuid,
      version: int(),
      status: { type: 'string', enum: ['active', 'retracted'] },
      originCountry: { ...country, description: 'the country whose node signed it' },
      country: { ...country, description: 'the country of seizure' },
      seizedAt: dateTime(),
      receivedAt: dateTime('when the coordinator stored this version'),
      handling: ref('Handling'),
      substances: list(),
      totalKg: num(),
      flags: list(str('accepted but flagged for review, e.g. coordinates-outside-country')),
      report: ref('SignedReport'),
    },
    { retraction: ref('Retraction') },
  ),
  SearchPage: object({
    items: list(ref('Seizure')),
    nextCursor: nullable(
      str(
        'pass as cursor for the next page; null on the last. A report whose seizedAt is corrected between pages can cross the cursor (listed again, or not at all): take each reportId once',
      ),
    ),
  }),
  Provenance: {
    type: 'object',
    description: 'The archived original envelope, verified again with the CA certificate alone',
    required: ['verified'],
    properties: {
      verified: bool,
      reason: str(
        'why it did not verify: a signature or chain reason, content-mismatch (changed in the store), newer-release (stored by a newer hub release: upgrade the query API), no archived envelope',
      ),
      messageId: uuid,
      signer: object({ origin: str(), certificateFingerprint: str('SHA-256 of the certificate, hex') }),
      issuer: object(
        { name: str("the CA certificate's common name"), fingerprint: str('SHA-256 of it, hex') },
        {},
        {
          description:
            "the hub CA that issued the signer's certificate: the current one or one a rollover replaced; absent when none of them did",
        },
      ),
      signedAt: dateTime(),
      signatureAlgorithm: str(),
      certificate: str('the signer certificate, PEM'),
      topic: str(),
      partition: int(),
      offset: str(),
    },
  },
  SeizureRecord: {
    allOf: [
      ref('Seizure'),
      object({
        history: list(
          object({
            id: str(),
            version: int(),
            status: str(),
            messageId: uuid,
            receivedAt: dateTime(),
            supersededAt: nullable(dateTime()),
          }),
        ),
        provenance: ref('Provenance'),
      }),
    ],
  },
  StatsResult: object({
    source: { type: 'string', enum: ['seizures', 'annual'] },
    groupBy: str('the dimensions, comma-separated'),
    unit: { type: 'string', enum: ['kg'] },
    rows: list({
      ...object({
        key: str('the group values joined by |'),
        quantityKg: num(),
        count: int(
          `source=seizures: ${SEIZURE_ENTRIES}; a row that sums several substances (a country's or a month's total, a drug group, an aggregate such as opiates) counts such a report once per substance. source=annual: the annual returns' drug rows the row adds up`,
        ),
      }),
      additionalProperties: { description: 'one property per groupBy dimension, with its value' },
    }),
  }),
  RoutesResult: object(
    {
      legs: list(
        object({
          from: country,
          to: country,
          count: int(
            `${SEIZURE_ENTRIES}; a leg sums its substances, so counts such a report once per substance`,
          ),
          quantityKg: num(),
          lastSeenAt: dateTime(),
          substances: list(),
        }),
      ),
    },
    {
      reportedRoutes: {
        ...list(
          object({
            routeId: str(),
            version: int(),
            originCountry: country,
            name: nullable(str()),
            substances: list(),
            legs: list(object({ from: country, to: country, mode: nullable(str()), via: nullable(country) })),
            concealment: list(str('concealment method code')),
            periodFrom: nullable(dateTime()),
            periodTo: nullable(dateTime()),
            relatedReports: list(),
            description: nullable(str()),
            submittedBy: nullable(str('the agency system that sent it to its node')),
          }),
        ),
        description: 'the routes agencies reported; absent when asked with reportedRoutes=omit',
      },
    },
  ),
  Alert: object(
    {
      alertId: uuid,
      rule: { type: 'string', enum: [...ALERT_RULES] },
      identifierKind: nullable(str()),
      matchKeyPrefix: str('12 hex digits of the match key, never the identifier'),
      matched: {
        ...list(object({ reportId: uuid, country, version: int(), evaluation: nullable(str()) })),
        description:
          "the matched reports the caller may read now (its own, and others' releasable to it under their current handling); those withheld are left out",
      },
      countries: {
        ...list(country),
        description:
          "the caller's own country if named, and those of the reports shown; a withheld report's is left out",
      },
      score: num('0..1: the rule weighed by the evaluations shown (a report withheld counts as unevaluated)'),
      reason: str('why they match, and how many matching reports are withheld from the caller (never whose)'),
      createdAt: dateTime(),
    },
    {},
    {
      description:
        "A hit/no-hit notice, as the caller may see it: the matched records stay behind their own handling; alertId is the whole alert's",
    },
  ),
  AlertsResult: object({
    alerts: list(ref('Alert')),
    nextCursor: nullable(str('pass as cursor for the next page; null on the last')),
  }),
  QuarantineResult: object({
    quarantined: list(
      object(
        {
          id: str(
            '<topic>:<partition>:<offset> where it was read (a re-drive refused again: where the re-drive was)',
          ),
          reason: { type: 'string', enum: [...REJECT_REASONS] },
          detail: str(),
          origin: nullable(str('the origin it claimed; null when the envelope could not be read')),
          messageId: nullable(str()),
          topic: str('the node topic its bytes were first read from'),
          partition: int(),
          offset: str(),
          quarantinedAt: dateTime(),
        },
        {
          redriveOf: str('a re-drive refused again: the entry re-driven'),
          originalLength: int(
            'set on a record larger than any envelope the hub takes (1 MiB): its length in bytes. Only its first 64 KiB are kept in the quarantine (the whole record stays where it was read), and it cannot be taken again',
          ),
          originalSha256: str('with originalLength: the SHA-256 of the whole record, in hex'),
          redrive: object(
            {
              redriveId: uuid,
              outcome: { type: 'string', enum: ['accepted', 'rejected'] },
              requestedBy: REQUESTED_BY,
              at: dateTime(),
            },
            { reason: str('refused again: why'), detail: str() },
            { description: 'what came of the latest re-drive of this entry (hub quarantine redrive)' },
          ),
          redrivePending: object(
            { redriveId: uuid, requestedBy: REQUESTED_BY, requestedAt: dateTime() },
            {},
            { description: 'a re-drive asked for in the API and not taken yet' },
          ),
          redriveNotSent: object(
            {
              redriveId: uuid,
              requestedBy: REQUESTED_BY,
              requestedAt: dateTime(),
              at: dateTime('when the coordinator refused it'),
              code: str('TOO_LARGE, NOT_FOUND, VALIDATION_FAILED'),
              message: str('why, and what to do'),
            },
            {},
            {
              description:
                'the latest re-drive asked for in the API, which the coordinator refused before sending it (it may be asked for again)',
            },
          ),
        },
      ),
    ),
    nextCursor: nullable(str('pass as cursor for the next page; null on the last')),
  }),
  InformationRequest: object({
    requestId: uuid,
    requester: str('a country code, or HUB for the coordination node'),
    addressee: country,
    subjectKind: { type: 'string', enum: ['report', 'identifier', 'route', 'other'] },
    subjectRef: nullable(
      str('what is asked about: a report id, an identifier, a route; null for other, or when withheld'),
    ),
    purpose: nullable(str('null when withheld')),
    question: nullable(str('null when withheld')),
    withheld: {
      type: 'boolean',
      description:
        "true when the request's handling does not let the caller read what it asks (a coordinator of a third country): its purpose, question and subject are null; its parties and deadline are shown",
    },
    urgency: { type: 'string', enum: ['routine', 'urgent', 'immediate'] },
    sentAt: dateTime(),
    dueAt: dateTime(),
    receivedAt: dateTime(),
    status: {
      type: 'string',
      enum: ['open', 'overdue', 'escalated', 'partial', 'answered'],
      description:
        'open: not due yet, no answer; overdue: past due without an answer (escalated: the coordinator has escalated it); partial: answered in part (its latest answer is partial: the addressee may answer again; not overdue); answered: answered in full, or declined',
    },
    overdue: bool,
    escalatedAt: nullable(
      dateTime(
        'when the coordinator escalated it; null when it was not, or when an answer the brokers received by the due time withdrew the escalation',
      ),
    ),
    handling: object({ tlp: { type: 'string', enum: TLP_LABELS }, releasableTo: list() }),
    messageId: uuid,
    submittedBy: nullable(str('the agency system that asked; null when withheld')),
    response: nullable({
      ...ANSWER,
      description: `the latest answer (null: none yet); ${ANSWER.description}`,
    }),
    responses: {
      ...list({ ...ANSWER, description: `one answer; ${ANSWER.description}` }),
      description:
        'every answer, oldest first (as the hub took them; the last is response): after a partial answer the addressee may answer again, and each answer is shown; empty while there is none',
    },
  }),
  RequestsResult: object({
    requests: list(ref('InformationRequest')),
    nextCursor: nullable(str('pass as cursor for the next page; null on the last')),
  }),
  AskIn: INFORMATION_REQUEST_IN,
  RedriveIn: object({
    ids: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      items: str('a quarantine entry id, as GET /v1/quarantine gives it'),
    },
  }),
  RedrivesQueued: object({
    redrives: list(
      object(
        { id: str('the entry taken again'), redriveId: uuid },
        {
          duplicate: { ...bool, description: 'asked for already and not taken yet: nothing new was queued' },
        },
      ),
    ),
  }),
  Asked: object(
    {
      requestId: uuid,
      to: country,
      urgency: { type: 'string', enum: ['routine', 'urgent', 'immediate'] },
      dueAt: dateTime(),
      state: {
        type: 'string',
        enum: ['queued', 'sent', 'refused'],
        description: 'queued; for a duplicate, where the first one stands',
      },
      normalisations: list(str('what was read differently from what was sent, e.g. the due time by urgency')),
    },
    { duplicate: { ...bool, description: 'the very same body was sent before: nothing new was queued' } },
  ),
  AsksResult: object({
    asks: list(
      object(
        {
          requestId: uuid,
          to: str('the country asked'),
          urgency: str(),
          subjectKind: str(),
          subjectRef: nullable(str()),
          purpose: str(),
          dueAt: dateTime(),
          askedBy,
          askedAt: dateTime(),
          state: { type: 'string', enum: ['queued', 'sent', 'stored', 'refused'] },
        },
        {
          error: askError,
        },
      ),
    ),
  }),
  AskState: object(
    {
      requestId: uuid,
      state: { type: 'string', enum: ['queued', 'sent', 'stored', 'refused'] },
    },
    {
      askedBy,
      askedAt: dateTime(),
      error: askError,
      request: ref('InformationRequest'),
    },
  ),
  SessionResult: object({
    sub: str('the token subject'),
    role: { type: 'string', enum: ['analyst', 'coordinator', 'auditor', 'node-operator', 'admin'] },
    country,
    clearance: { type: 'string', enum: TLP_LABELS, description: 'the highest TLP the caller may read' },
    regions: list(str('a region whose feeds the caller follows')),
    expiresAt: nullable(dateTime('when the token stops being accepted (its exp, plus the clock skew taken)')),
  }),
  ReadsResult: object({
    country,
    reads: list(
      object(
        {
          at: dateTime(),
          seq: int(),
          reader: object({ country, role: str(), user: str() }),
          action: str(),
          reportIds: list(uuid),
        },
        {
          cut: {
            type: 'boolean',
            description:
              "true: this read named more of the caller's records than are listed (an audit entry keeps the first 1,000 ids)",
          },
        },
      ),
    ),
  }),
  QualityResult: object({
    computedAt: dateTime('when these figures were computed, for callers who may read what this caller may'),
    counted: str(
      'what the figures are counted from, the same words for every caller of a clearance, whatever the data: of what the caller may read (reports and accepted envelopes it may read, every refused envelope); and why rejectionRate is given (cleared for RED) or null (below RED)',
    ),
    contributors: list(
      object({
        country,
        reports: int(),
        retracted: int(),
        accepted: int(
          'envelopes the hub stored from this country (also those accepted when taken again) about records the caller may read',
        ),
        rejected: int(
          'envelopes refused on its topic, each once (not its re-drives refused again; not one taken again and accepted); all of them, whatever they claimed to carry (never read, GET /v1/quarantine lists them)',
        ),
        rejectionRate: nullable(
          num(
            'to a caller cleared for RED: rejected / (accepted + rejected) of every envelope of the country, also those accepted about records the caller may not read (which `accepted` does not count); 0 when there are none. Null for every country to a caller cleared below RED, whatever the data: refusals are counted all and accepted envelopes only when readable, so their ratio would not be of one whole',
          ),
        ),
        delayHours: object({ median: nullable(num()), p90: nullable(num()) }),
        within7Days: nullable(num()),
        completeness: { type: 'object', additionalProperties: num('share of reports with the field') },
        completenessScore: num(),
      }),
    ),
  }),
  AuditEntry: object(
    {
      seq: int(),
      at: dateTime(),
      actor: object({ sub: str(), role: str(), country: str() }),
      action: str(),
      query: nullable({
        type: 'object',
        description: `the request's parameters; ${WITHHELD_NULL}, and in its own country's entry when it names another country's record read (withheld)`,
      }),
      count: nullable(int(`what the read answered; ${WITHHELD_NULL}`)),
      reportIds: nullable({
        ...list(),
        description: `the records read (the first 1,000); ${WITHHELD_NULL}; ${OWN_RECORDS_ONLY}`,
      }),
      prevHash: nullable(str('hex: the hash of the entry before; null to a caller cleared below RED')),
      hash: nullable(
        str(
          'hex: SHA-256 over prevHash and the entry; null to a caller cleared below RED (it covers every entry before, also those it is not shown whole)',
        ),
      ),
    },
    {
      reportOrigins: nullable({
        ...list(country),
        description: `the country of each of reportIds; ${WITHHELD_NULL}; ${OWN_RECORDS_ONLY}`,
      }),
      origins: nullable({
        ...list(country),
        description: `the countries of all records read; ${WITHHELD_NULL}; ${OWN_RECORDS_ONLY}`,
      }),
      cutOrigins: nullable({
        ...list(country),
        description: `the countries of the records whose ids were left out; ${WITHHELD_NULL}; ${OWN_RECORDS_ONLY}`,
      }),
      withheld: object(
        {
          by: { type: 'string', enum: ['clearance'] },
          fields: list(str(), 8),
        },
        {},
        {
          description:
            "present when the caller is cleared below RED: the fields named are null, or (reportIds, reportOrigins, origins, cutOrigins in its own country's entries) hold only its own country's records",
        },
      ),
    },
    { description: 'One entry of the hash-chained audit log, as the caller may see it (GET /v1/audit)' },
  ),
  AuditResult: object(
    {
      entries: list(ref('AuditEntry')),
      next: nullable(int('the before of the next page (older entries); null on the last')),
    },
    {
      valid: bool,
      checked: int(
        'entries whose chain was verified (over the whole stored entries, whatever the caller is shown)',
      ),
      verified: bool,
      intact: bool,
      brokenAt: int('the first entry that does not chain'),
      reason: str(),
      withheldRule: str('present when an entry has fields withheld: the rule, in words'),
    },
  ),
  ErasureEvent: object(
    {
      erasureId: uuid,
      subjectType: str('SeizureReport, TraffickingRoute or AnnualSeizureReturn'),
      subjectId: str(),
      versionsUpTo: int('every version up to this one is erased'),
      region: str(),
      orderedAt: dateTime(),
    },
    {},
    {
      description:
        'The data of an erasure event of a feed stream: which record to drop, up to which version (no content, nor whose it was or why)',
    },
  ),
  FeedEvent: {
    type: 'object',
    description:
      'The data of one server-sent event (its event name is the message type: SeizureReport, SeizureRetraction, TraffickingRoute, AnnualSeizureReturn, alert for a CrossBorderAlert (Alert), or erasure for an ErasureNotice (ErasureEvent)); the first event, ready, carries { region }',
    required: ['messageType', 'subjectId', 'originCountry', 'region', 'acceptedAt'],
    properties: {
      messageType: str(),
      subjectId: str(),
      version: nullable(int()),
      originCountry: country,
      region: str(),
      acceptedAt: dateTime(),
      country,
      seizedAt: dateTime(),
      substances: list(),
      totalKg: num(),
      year: int(),
    },
  },
  Substances: list(
    object(
      {
        code: str(),
        group: nullable(str('the drug group of a substance; null for an aggregate')),
        en: str(),
        ru: str(),
      },
      { aggregate: bool, substances: list(str()) },
    ),
  ),
  Jwks: object({ keys: list({ type: 'object', required: ['kty', 'kid'] }) }),
};
