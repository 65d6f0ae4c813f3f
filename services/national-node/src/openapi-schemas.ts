// What an agency's system sends to its national node and what it gets back (OpenAPI 3.0 schemas,
// `components.schemas`). The request schemas describe the canonical form: the node is more lenient (it also takes
// numbers as numeric strings, country names for codes, vocabulary labels and near-misses for codes, and says what it
// normalised). The contract test (test/national-node/openapi-contract.test.ts) sends valid and invalid bodies and
// checks every answer against these.
import {
  above,
  bool,
  country,
  dateTime,
  countryIn,
  ERROR_SCHEMA,
  HandlingIn,
  HEALTH_SCHEMA,
  INFORMATION_REQUEST_IN,
  int,
  list,
  nullable,
  object,
  oneOf,
  optionalObject,
  ref,
  str,
  text,
  uuid,
  type Schema,
} from '@hub/errors/openapi';
import { MAX_ANNUAL_ROWS, ROUTE_MAX_LEGS, ROUTE_MAX_TERMS, SEIZURE_REPORT_MAX } from '@hub/domain';
import { TEXT_MAX } from '@hub/schemas';
import { REQUEST_STATUSES } from './routes-requests';

const S = TEXT_MAX.SeizureReport;

/** Every accepted item: where to find it, and what the node changed in it. */
const queued = (properties: Record<string, Schema>, optional: Record<string, Schema> = {}) =>
  object(
    {
      ...properties,
      messageId: uuid,
      status: oneOf(['queued'], 'signed and in the durable outbox: the coordinator receipt follows'),
    },
    { normalisations: list(str('what the node changed, e.g. "2.5 t → 2500 kg"')), ...optional },
  );

const nextCursor = str('pass it as cursor for the next page; absent on the last');

/** One answer to an information request, as GET /v1/requests lists it. */
const REQUEST_ANSWER = object(
  {
    responseId: uuid,
    status: oneOf(
      ['answered', 'partial', 'declined', 'unknown'],
      'partial: more may follow; unknown: a status of a newer schema than this node reads',
    ),
    answer: str('empty when declined without a word'),
    relatedReports: list(str('a reportId')),
    respondedAt: nullable(dateTime('when the addressee answered, by its clock')),
    handling: object({ tlp: str('CLEAR, GREEN, AMBER, AMBER+STRICT or RED'), releasableTo: list() }),
    signedBy: str('the country whose node signed it: the addressee'),
    submittedBy: nullable(str('the agency system that answered, as its node authenticated it')),
  },
  {
    evidence: nullable(
      object(
        { messageId: uuid, signedAt: nullable(dateTime()), verified: bool },
        {},
        {
          description:
            "outgoing requests: the addressee's envelope, as the coordinator passed it on, verified by this node",
        },
      ),
    ),
  },
  {
    description:
      "in an incoming request's list, the answers this node gave; in an outgoing one's, those the addressee's node signed, each with its evidence",
  },
);

/** Where a report of this node's stands: one of the rows of a CSV import, or of a CSV sent to the batch endpoint. */
const CSV_REPORT_RESULT = object(
  {
    reference: nullable(str('the Seizure Reference its rows share; null for rows without one')),
    reportId: uuid,
    lines: list(int('a line of the file holding one of its rows')),
    status: oneOf(
      ['queued', 'invalid', 'failed'],
      'queued: signed and in the outbox (or, for a duplicate, it was before); invalid: errors name the cells (the Seizure Reference of a report erased at retention review among them: give its rows a new Seizure Reference to report it again; and that of a withdrawn report whose very rows, those of the version withdrawn, were imported again: change a cell to reinstate it); failed: valid, but not accepted for a reason of the node (errors say which; send it again)',
    ),
  },
  {
    version: int('the version it went out as (for a duplicate, the one the same rows made before)'),
    messageId: {
      ...uuid,
      description: 'the signed envelope (for a duplicate, the one its first import made)',
    },
    retracted: { ...bool, description: 'its rows withdrew the report (a SeizureRetraction was queued)' },
    duplicate: {
      ...bool,
      description:
        "the very same rows made the report's latest version before (the file imported again: after a crash, or by a client that lost the answer): nothing new was queued",
    },
    resentAfterRefusal: object(
      { version: int('the version the hub refused'), messageId: uuid },
      {},
      {
        description:
          'the very same rows made a version the hub refused (its receipt said rejected): sent again as this version',
      },
    ),
    errors: list(object({ line: int(), column: str(), value: str(), message: str() })),
  },
);

/** What a batch of JSON reports answers: how many were queued, and each report's outcome, in the body's order. */
const BATCH_RESULT: Record<string, Schema> = {
  accepted: int(),
  rejected: int(),
  results: list(
    object(
      {
        index: int('position in the body'),
        status: oneOf(
          ['queued', 'invalid', 'failed'],
          'failed: valid, but not accepted for a reason of the node (error says which; send it again, but for CONFLICT: a report erased at retention review, to send under a new id)',
        ),
      },
      {
        reportId: uuid,
        version: int(),
        messageId: uuid,
        normalisations: list(),
        duplicate: bool,
        errors: list(ref('FieldError')),
        error: object({ code: str(), message: str() }),
      },
    ),
  ),
};

/** What a CSV import answers: how many reports were queued, and each one's outcome, its rows named by line. */
const CSV_RESULT: Record<string, Schema> = {
  accepted: int('reports queued (duplicates among them)'),
  rejected: int('reports invalid or failed'),
  results: list(CSV_REPORT_RESULT),
  errors: list(object({ line: int(), column: str(), value: str(), message: str() })),
};
const CSV_RESULT_OPTIONAL: Record<string, Schema> = {
  rows: int('data rows read'),
  ignoredColumns: list(str('a column of the file the node does not read')),
  errorsTotal: int('problems found, when more than the 1000 listed'),
  errorsNote: str(),
  ignoredColumnsTotal: int(),
};

/** The reason a batch or a CSV was refused whole (its code's status is the answer's). */
const REFUSAL = (ERROR_SCHEMA.properties as Record<string, Schema>).error as Schema;

/** What a 500 adds when the request had put records in the outbox before it failed (app.ts answerQueuedThenFailed). */
const INTERNAL_OPTIONAL: Record<string, Schema> = {
  queued: list(
    object(
      {
        type: str('the message type: SeizureReport, SeizureRetraction, TraffickingRoute, ...'),
        id: str('the record it is of'),
        messageId: uuid,
      },
      { version: int() },
    ),
    100,
  ),
  queuedTotal: int('records queued, when more than the 100 listed'),
};

export const NODE_SCHEMAS: Record<string, Schema> = {
  Error: ERROR_SCHEMA,
  Handling: HandlingIn,
  SeizureReport: optionalObject(
    {
      reportId: {
        ...uuid,
        description: 'left out: generated; an id this node sent before: its next version',
      },
      seizedAt: str('ISO 8601 date-time with its UTC offset, or a date'),
      country: countryIn,
      place: optionalObject({
        name: text(S['place.name']),
        lat: { type: 'number', minimum: -90, maximum: 90 },
        lon: { type: 'number', minimum: -180, maximum: 180 },
        locationType: text(S['place.locationType'], 'vocabulary: border-crossing, airport, seaport, ...'),
        city: text(S['place.city']),
        adminRegion: text(S['place.adminRegion']),
        borderCrossingPoint: text(S['place.borderCrossingPoint']),
        direction: oneOf(['import', 'export', 'transit', 'domestic', 'unknown']),
      }),
      agency: text(
        S.agency,
        'agency type: customs, police, border-guard, ... (another name is kept as agencyName)',
      ),
      agencyName: text(S.agencyName),
      caseReference: text(S.caseReference),
      drugs: list(
        optionalObject(
          {
            substance: text(S['drugs[].substance'], 'vocabulary code or label: heroin, cannabis-resin, ...'),
            quantity: above(0, 'greater than 0'),
            unit: text(S['drugs[].unit'], 'kg, g, t, l, ml, tablets, units, ...'),
            form: text(S['drugs[].form']),
            purityPct: { type: 'number', minimum: 0, maximum: 100 },
            packageCount: { type: 'integer', minimum: 0, maximum: 10_000_000 },
          },
          ['substance', 'quantity', 'unit'],
        ),
        SEIZURE_REPORT_MAX.drugs,
      ),
      conveyance: optionalObject(
        {
          mode: text(S['conveyance.mode'], 'road, rail, air, sea, postal, pedestrian, ...'),
          vehicle: text(S['conveyance.vehicle']),
          identifiers: list(
            optionalObject(
              {
                kind: text(S['conveyance.identifiers[].kind'], 'plate, container, vin, ...'),
                value: text(S['conveyance.identifiers[].value']),
              },
              ['kind', 'value'],
            ),
            SEIZURE_REPORT_MAX.identifiers,
          ),
        },
        ['mode'],
      ),
      concealment: text(S.concealment),
      detection: text(S.detection),
      route: list(
        optionalObject(
          {
            country: countryIn,
            role: oneOf(['origin', 'departure', 'transit', 'destination', 'seizure', 'unknown']),
            place: text(S['route[].place']),
          },
          ['country'],
        ),
        SEIZURE_REPORT_MAX.route,
      ),
      arrested: list(
        optionalObject({ nationality: countryIn, count: { type: 'integer', minimum: 1, maximum: 10000 } }, [
          'nationality',
          'count',
        ]),
        SEIZURE_REPORT_MAX.arrested,
      ),
      links: list(
        optionalObject({ kind: text(S['links[].kind']), ref: text(S['links[].ref']) }, ['kind', 'ref']),
        SEIZURE_REPORT_MAX.links,
      ),
      handling: HandlingIn,
      notes: text(S.notes),
      source: text(S.source),
    },
    ['seizedAt', 'country', 'agency', 'drugs', 'handling'],
  ),
  Reason: optionalObject(
    {
      // A retraction's and a renewal's alike (the table gives both the same limit).
      reason: text(TEXT_MAX.SeizureRetraction.reason, 'why (required)'),
    },
    ['reason'],
  ),
  TraffickingRoute: optionalObject(
    {
      routeId: { ...uuid, description: 'left out: generated; a known one: its next version' },
      country: { ...countryIn, description: "this node's country (the default)" },
      name: text(TEXT_MAX.TraffickingRoute.name),
      legs: list(
        optionalObject(
          {
            from: countryIn,
            to: countryIn,
            mode: text(TEXT_MAX.TraffickingRoute['legs[].mode']),
            via: text(TEXT_MAX.TraffickingRoute['legs[].via']),
          },
          ['from', 'to'],
        ),
        ROUTE_MAX_LEGS,
      ),
      substances: list(str(), ROUTE_MAX_TERMS),
      concealment: list(str(), ROUTE_MAX_TERMS),
      periodFrom: str('a date'),
      periodTo: str('a date, not before periodFrom'),
      relatedReports: list(uuid, 200),
      description: text(TEXT_MAX.TraffickingRoute.description),
      handling: HandlingIn,
    },
    ['legs', 'handling'],
  ),
  AnnualSeizureReturn: optionalObject(
    {
      year: { type: 'integer', minimum: 1950, description: 'not after this year' },
      country: { ...countryIn, description: "this node's country (the default)" },
      rows: list(
        optionalObject(
          {
            drugGroup: text(TEXT_MAX.AnnualSeizureReturn['rows[].drugGroup']),
            drugName: text(
              TEXT_MAX.AnnualSeizureReturn['rows[].drugName'],
              'as in the World Drug Report annex',
            ),
            kilograms: { type: 'number', minimum: 0, maximum: 1e10 },
          },
          ['drugName', 'kilograms'],
        ),
        MAX_ANNUAL_ROWS,
      ),
      handling: HandlingIn,
      source: text(TEXT_MAX.AnnualSeizureReturn.source),
    },
    ['year', 'rows', 'handling'],
  ),
  InformationRequest: INFORMATION_REQUEST_IN,
  InformationResponse: optionalObject(
    {
      status: oneOf(['answered', 'partial', 'declined'], 'default answered'),
      answer: text(TEXT_MAX.InformationResponse.answer, 'required unless declined'),
      relatedReports: list(uuid),
      handling: { ...HandlingIn, description: "left out: the request's" },
    },
    [],
  ),

  SeizureQueued: object(
    {
      reportId: uuid,
      version: int('1 for a new report, else the next version'),
      status: oneOf(['queued'], 'signed and in the durable outbox: the coordinator receipt follows'),
      normalisations: list(str('what the node changed, e.g. "2.5 t → 2500 kg"')),
    },
    {
      messageId: {
        ...uuid,
        description: 'the signed envelope (for a duplicate, the one its first sending made)',
      },
      duplicate: { ...bool, description: 'the very same body was sent before: nothing new was queued' },
      resentAfterRefusal: object(
        { version: int('the version the hub refused'), messageId: uuid },
        {},
        {
          description:
            'the very same body was sent before and the hub refused it (its receipt said rejected): sent again as this version',
        },
      ),
    },
  ),
  BatchResult: object(BATCH_RESULT),
  BatchRefused: object(
    { error: REFUSAL, ...BATCH_RESULT },
    {},
    {
      description:
        "A JSON batch refused whole: no report was queued, and those valid failed for the node's reason (error): each report's outcome, so that the invalid ones are mended before it is sent again",
    },
  ),
  FieldError: object({ field: str(), message: str() }, { value: {}, suggestions: list() }),
  CsvResult: object(CSV_RESULT, CSV_RESULT_OPTIONAL, {
    description:
      'Per report (the rows sharing a reference): queued or not, and whether the same rows made it before (duplicate, resentAfterRefusal); errors name the line, column and value',
  }),
  CsvRefused: object({ error: REFUSAL, ...CSV_RESULT }, CSV_RESULT_OPTIONAL, {
    description:
      "A CSV refused whole: no report was queued, and those valid failed for the node's reason (error): each report's outcome, the invalid rows in errors by line and column, so that they are mended before it is sent again",
  }),
  InternalError: object({ error: REFUSAL }, INTERNAL_OPTIONAL, {
    description:
      'Unexpected: nothing was accepted, send it again; unless queued lists records of the request put in the outbox before the failure, which go to the hub (see GET /v1/receipts/{id} before sending anything again)',
  }),
  RetractQueued: queued({ reportId: uuid, version: int() }),
  RenewalQueued: queued({ renewalId: uuid, subjectId: uuid }),
  RouteQueued: queued({ routeId: uuid, version: int(), legs: int() }),
  AnnualQueued: queued({ returnId: str(), version: int(), country, year: int(), rows: int() }),
  RequestQueued: queued(
    { requestId: uuid, to: country, urgency: str(), dueAt: dateTime() },
    {
      duplicate: {
        ...bool,
        description:
          'the very same body (with its requestId) was sent before: nothing new was queued; the answer is the first one (its messageId, dueAt and normalisations)',
      },
      resentAfterRefusal: {
        ...bool,
        description:
          'the very same body was sent before and the hub refused it (its receipt said rejected): it was signed and sent again, under the same requestId, as this messageId',
      },
    },
  ),
  ResponseQueued: queued(
    { requestId: uuid, responseId: uuid, to: str() },
    {
      duplicate: {
        ...bool,
        description:
          'the very same answer was given to this request before: nothing new was queued; the answer is that one (its responseId, messageId and normalisations)',
      },
      resentAfterRefusal: {
        ...bool,
        description:
          'the very same answer was given before and the hub refused it (its receipt said rejected): it was signed and sent again, as a new answer (this responseId and messageId)',
      },
    },
  ),
  Receipt: object(
    {
      reportId: uuid,
      status: oneOf(
        ['pending', 'accepted', 'rejected', 'erased'],
        'of the latest version sent: pending until its receipt arrives; erased when the record was erased at retention review (see erasure) and no version was sent after',
      ),
      sentVersion: int('the latest version this node sent'),
      receipts: list({
        type: 'object',
        description: 'every receipt of the coordinator, signed, oldest first',
      }),
    },
    {
      pendingSince: dateTime('while pending: when the node took the version that waits for its receipt'),
      version: nullable(
        int('the version the latest receipt received answers; null when refused before one was read'),
      ),
      reasons: list({ type: 'object', description: 'of the latest receipt received' }),
      normalisations: list(),
      renewals: list({
        type: 'object',
        description:
          "the coordinator's receipts of this record's retention renewals, oldest first (each answers, in inReplyTo, the messageId a renewal was sent as); absent when none; they do not change the record's status",
      }),
      erasure: object(
        {
          erasureId: str('the ErasureNotice that ordered it'),
          subjectType: str('SeizureReport, TraffickingRoute or AnnualSeizureReturn'),
          reasonCode: oneOf(['retention_expired', 'originator_request', 'legal_order', 'other']),
          versionsUpTo: int('the last version erased (1 to it)'),
          orderedAt: nullable(dateTime('when the coordinator ordered it')),
        },
        {},
        {
          description:
            'present when status is erased: the order that erased the record at the hub and at this node (its receipts, the notes of what the node normalised, the alerts naming it); receipts then lists only what came after it',
        },
      ),
    },
  ),
  ReceiptList: object(
    {
      counts: object(
        { pending: int(), accepted: int(), rejected: int() },
        {},
        { description: 'over everything sent' },
      ),
      records: list(
        object(
          {
            id: str('the reportId, routeId or returnId'),
            sentVersion: int('the latest version this node sent'),
            status: oneOf(
              ['pending', 'accepted', 'rejected'],
              'of the latest version sent: pending until its receipt arrives',
            ),
          },
          {
            pendingSince: dateTime(
              'while pending: when the node took the version that waits for its receipt',
            ),
            subjectType: str(
              'what the latest receipt received answers: SeizureReport, SeizureRetraction, ...',
            ),
            version: nullable(int('the version it answers; null when refused before one was read')),
            reasons: list({ type: 'object', description: 'flags of an acceptance, or why it was refused' }),
            receivedAt: dateTime(),
          },
        ),
      ),
    },
    { nextCursor },
    { description: 'Newest first, by when each record was first sent' },
  ),
  RequestList: object({
    country,
    requests: list(
      object(
        {
          requestId: uuid,
          requester: str(),
          addressee: country,
          direction: oneOf(['incoming', 'outgoing']),
          status: oneOf(
            REQUEST_STATUSES,
            "open: not due yet, no answer; overdue: past due without an answer; escalated (outgoing): past due, and the coordinator escalated it; partial: answered in part (its latest answer is partial: the addressee may answer again; not overdue); answered: answered in full, or declined; rejected (outgoing): the coordinator refused the request (receipt says why); unreadable (incoming): written with a schema of a newer release than this node reads (unread says so): upgrade the node, after which it is listed whole and can be answered; refused (incoming): the requester's signature did not verify here (unread says why): nothing of it is shown, and this node cannot answer it",
          ),
          overdue: bool,
          dueAt: dateTime(),
          response: nullable({
            ...REQUEST_ANSWER,
            description: `the latest answer (null: none yet); ${String(REQUEST_ANSWER.description)}`,
          }),
          responses: {
            ...list(REQUEST_ANSWER),
            description:
              'every answer, oldest first (response is the latest): after a partial answer the addressee may answer again, and each answer is listed; empty while there is none. Incoming: the answers this node gave that the coordinator did not refuse',
          },
        },
        {
          subjectKind: str(),
          subjectRef: nullable(str()),
          purpose: str(),
          question: str(),
          urgency: str(),
          sentAt: dateTime(),
          handling: { type: 'object' },
          submittedBy: nullable(str()),
          escalatedAt: nullable(dateTime()),
          escalation: nullable(str()),
          messageId: str(),
          receipt: nullable({ type: 'object' }),
          requestEvidence: { type: 'object' },
          refusedAnswers: {
            ...list(
              object({
                responseId: uuid,
                messageId: uuid,
                reasons: list({
                  type: 'object',
                  description: "of the coordinator's receipt: why it rejected the answer",
                }),
                refusedAt: nullable(dateTime("when the coordinator's receipt was issued")),
              }),
            ),
            description:
              'incoming: the answers this node gave that the coordinator rejected, oldest first (they do not answer the request; an answer may be sent again); empty when none',
          },
          unread: object(
            {
              reason: str(
                'unknown-schema; or why it was refused here: revoked, expired, bad-signature, wrong-type, other-request, malformed-payload, ...',
              ),
              message: str('what happened and what to do'),
              at: dateTime('when this node found it so'),
            },
            {},
            {
              description: 'present when status is unreadable or refused: why the request could not be taken',
            },
          ),
          unreadResponses: {
            ...list(
              object({
                noticeId: uuid,
                status: oneOf(['unreadable', 'refused']),
                reason: str(),
                message: str('what happened and what to do'),
                at: dateTime(),
                evidence: nullable({ type: 'object' }),
              }),
            ),
            description:
              'outgoing, present when an answer came that this node could not take: unreadable (a newer schema: shown after an upgrade) or refused (its signature did not verify here); none of their content; they do not answer the request',
          },
          responseEvidence: nullable({ type: 'object' }),
        },
      ),
    ),
  }),
  Alerts: object(
    {
      total: int('alerts this node holds: those received, less those erased with a record they named'),
      alerts: list({ type: 'object', description: 'CrossBorderAlert as the coordinator signed it' }),
    },
    { nextCursor },
  ),
  Retention: object(
    {
      counts: object(
        { review_due: int(), renewed: int(), erased: int() },
        {},
        { description: 'records by their latest notice: review_due ones await renewal or erasure' },
      ),
      notices: list({ type: 'object', description: 'RetentionNotice as the coordinator signed it' }),
    },
    { nextCursor },
  ),
  Erasures: object(
    {
      total: int("erasure orders this node has received for this country's records"),
      erasures: list({ type: 'object', description: 'ErasureNotice as the coordinator signed it' }),
    },
    { nextCursor },
  ),
  Health: HEALTH_SCHEMA,
};
