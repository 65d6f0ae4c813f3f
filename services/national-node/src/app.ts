// The national node's HTTP API (CONTRACT.md): what agencies' systems call.
import { isUtf8 } from 'node:buffer';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { NodeClientToken } from '@hub/config';
import type { TrustStore } from '@hub/pki';
import { HubError, ValidationError } from '@hub/errors';
import {
  readReason,
  seizureReportFromJson,
  SuggestionBudget,
  type Normalised,
  type ReportContext,
  type SeizureReportRecord,
} from '@hub/domain';
import {
  httpRequestMetrics,
  opsRouter,
  type HealthCheck,
  type Logger,
  type Registry,
} from '@hub/observability';
import { clientOf, requireClientCertificate, requireClientToken } from './client-auth';
import type { InboundStore } from './inbox-store';
import { notWithdrawable, withdrawnRefusal, type RecordKind, type ReportsIndex } from './reports-index';
import { csvRouter, csvTypesOf, routePath } from './routes-csv';
import { firstBadUtf8, undecodableMessage, where } from './text-bytes';
import { httpStatusOf } from './error-status';
import { turnsOf } from './report-turns';
import { nodeOpenApi } from './openapi';
import { alertRoutes } from './routes-alerts';
import { annualRoutes } from './routes-annual';
import { requestRoutes } from './routes-requests';
import { receiptRoutes } from './routes-receipts';
import { retentionRoutes } from './routes-retention';
import type { RequestsLog } from './requests-log';
import { createBookkeeping, type Bookkeeping, type Submitter } from './submit';
import { bodyDigest } from './report-digest';
import { TEXT_MAX, UUID } from '@hub/schemas';

export interface NodeAppDeps {
  country: string;
  submitter: Submitter;
  reports: ReportsIndex;
  inbound: InboundStore;
  /** Information requests this node sent and the answers it gave. */
  requests: RequestsLog;
  regions: ReadonlySet<string>;
  metrics: Registry;
  health: HealthCheck[];
  logger: Logger;
  clock?: () => number;
  onAccepted?: (n: number) => void;
  /**
   * What is written down of a submission once it is in the outbox, its failures logged and counted, never answered as
   * a refusal (default: logged with `logger`, counted in `metrics`).
   */
  bookkeeping?: Bookkeeping;
  /** The agencies' tokens (HUB_NODE_TOKEN_FILE): when given, every /v1 request needs one of them. */
  clientTokens?: NodeClientToken[];
  /**
   * When given, every /v1 request needs a client certificate of an agency system of this country from the hub CA,
   * not revoked in `trust` (HUB_NODE_CLIENT_CERTIFICATES=require, over TLS).
   */
  clientCertificates?: { trust: TrustStore };
}

export interface AcceptedSeizure {
  reportId: string;
  version: number;
  /** Absent when the same body was re-sent: nothing new was queued. */
  messageId?: string;
  status: 'queued';
  normalisations: string[];
  /** The very same body was accepted before: this answer repeats the first one. */
  duplicate?: boolean;
  /**
   * The very same body was sent before and the hub refused the version it made (its receipt said rejected): it was
   * sent again, as this new version, and this names the refused one.
   */
  resentAfterRefusal?: { version: number; messageId: string };
}

/** The one path of a seizure report into the outbox, shared by the JSON API, the CSV import and the inbox. */
export interface SeizureAcceptor {
  /**
   * A validation context; its versionOf reserves nothing (the version a report would have now): `submit` gives the
   * version. `source`: how the reports arrived (channel) and the agency system the node authenticated (client, kept
   * as their submittedBy).
   */
  context(source?: Pick<ReportContext, 'channel' | 'client' | 'suggestions'>): ReportContext;
  /**
   * Sign and make durable a report validated against `context()`, as the next version of its report, given in its
   * turn (whatever version it was validated with): the answer says which. `digest`: what the report was made from (a
   * CSV's rows); when its latest version was made from the same, that version is the answer (`duplicate`), and
   * nothing is signed, unless the hub refused that version. When its latest version withdrew it and the version
   * withdrawn was made from the same: CONFLICT (rule WITHDRAWN_RULE), nothing signed; a changed report is taken.
   */
  submit(report: Normalised<SeizureReportRecord>, digest?: string): Promise<AcceptedSeizure>;
  /**
   * Validate (throws ValidationError) and submit one JSON report. `suggestions`: what the request may spend on
   * suggestions for unknown terms, shared by the reports of a batch.
   */
  accept(body: unknown, client?: string, suggestions?: SuggestionBudget): Promise<AcceptedSeizure>;
  /**
   * Withdraw a report this node sent (its next version is the retraction); NOT_FOUND for one it never sent, CONFLICT
   * (rule ONLY_REPORTS_WITHDRAWN_RULE) for a route or an annual return it sent. `client`:
   * the agency system that asked (its token's client name), kept as the retraction's submittedBy. `digest`: what
   * asked for it (a CSV's row); when the report's latest version is the retraction the same asked for, that is the
   * answer (`duplicate`), and nothing is signed, unless the hub refused it.
   */
  retract(reportId: string, reason: string, client?: string, digest?: string): Promise<RetractedSeizure>;
}

export interface RetractedSeizure {
  reportId: string;
  version: number;
  /** Absent only for a duplicate of a version recorded before the node kept it (2026-12-05). */
  messageId?: string;
  /** The very same withdrawal was made before: this answer repeats it. */
  duplicate?: boolean;
}

export function createSeizureAcceptor(
  deps: Pick<NodeAppDeps, 'country' | 'submitter' | 'reports' | 'regions' | 'clock' | 'onAccepted'> &
    Partial<Pick<NodeAppDeps, 'bookkeeping' | 'logger'>> & {
      /**
       * The hub's receipts: a body re-sent after the hub refused its version is sent again, not answered as before;
       * they say the kind of a record the index does not (`receipts`, for records sent before it kept kinds).
       */
      inbound?: Pick<InboundStore, 'refused'> & Partial<Pick<InboundStore, 'receipts'>>;
    },
): SeizureAcceptor {
  const clock = deps.clock ?? Date.now;
  // Once the envelope is in the outbox the report is taken: what fails after is not answered as a refusal.
  const bookkeeping = deps.bookkeeping ?? createBookkeeping(deps.logger);
  // A report is judged against what was begun on it before (two identical bodies at once: a version and its
  // duplicate), which is recorded only once signed and in the outbox.
  const turns = turnsOf(deps.reports);
  const context = (
    source: Pick<ReportContext, 'channel' | 'client' | 'suggestions'> = {},
  ): ReportContext => ({
    nodeCountry: deps.country,
    now: clock(),
    // Reports may be validated before their turn (a CSV's, all at once as the file arrives): a version reserved then
    // would be overtaken by one a body waiting before it takes in its turn, and the report's last body never become
    // its latest version. `submit` gives the version, in the turn.
    versionOf: (id) => deps.reports.latest(id) + 1,
    idOf: (id) => deps.reports.idOf(id),
    regions: deps.regions,
    channel: source.channel,
    client: source.client,
    suggestions: source.suggestions,
  });
  /** Sign `report` as the next version of its report: called in its turn (but for a new report, with a new id). */
  const submit = async (report: Normalised<SeizureReportRecord>, digest?: string) => {
    const { normalisations } = report;
    const value = asVersion(report.value, deps.reports.next(report.value.reportId));
    const { messageId } = await deps.submitter.submit('SeizureReport', value.reportId, value, {
      ...(digest === undefined ? {} : { bodyDigest: digest }),
      notes: normalisations,
    });
    const ids = { reportId: value.reportId, version: value.version, messageId };
    bookkeeping('the version of a report', ids, () =>
      deps.reports.record(value.reportId, value.version, digest, messageId, undefined, 'SeizureReport'),
    );
    bookkeeping("the normalisations of a report's version", ids, () =>
      deps.reports.noteNormalisations(value.reportId, value.version, normalisations),
    );
    // Taken: a failure to count it is no refusal ("not accepted" of a report in the outbox would have it sent twice).
    bookkeeping('the count of reports accepted', ids, () => deps.onAccepted?.(1));
    return {
      reportId: value.reportId,
      version: value.version,
      messageId,
      status: 'queued' as const,
      normalisations,
    };
  };
  /**
   * The version the very same content made, when it is the report's latest: answered with, not signed again. Unless
   * the hub refused it (the node's certificate revoked and since renewed, a clock set right, a hub's rule mended):
   * then the same content is sent again, as the next version, and `refused` says so.
   */
  const sentBefore = (id: string, digest: string) => {
    const earlier = deps.reports.sameAsLatest(id, digest);
    if (earlier === undefined) return undefined;
    const refused =
      earlier.messageId !== undefined && (deps.inbound?.refused(id, earlier.messageId) ?? false);
    return { ...earlier, refused };
  };
  /**
   * The version a withdrawal withdrew, when the report's latest version is that withdrawal and `digest` made the
   * version withdrawn: sent again, the same content would put the report back. Unless the hub refused the withdrawal
   * (its receipt said rejected): the report was never withdrawn there.
   */
  const withdrawnBefore = (id: string, digest: string) => {
    const withdrawn = deps.reports.sameAsWithdrawn(id, digest);
    const by = withdrawn?.withdrawalMessageId;
    return by !== undefined && deps.inbound?.refused(id, by) ? undefined : withdrawn;
  };
  /**
   * The kind of record `id` is: as the index says, else as the hub's receipts for its versions said (a record sent
   * before the index kept kinds); undefined when neither says.
   */
  const kindOf = (id: string): RecordKind | undefined =>
    deps.reports.kindOf(id) ??
    deps.inbound
      ?.receipts?.(id)
      .map((r) => r.value.subjectType)
      .findLast((t): t is RecordKind => RECORD_KINDS.includes(t as RecordKind));
  /**
   * Submit the report `make` gives, in the turn of the report `id` names (undefined: a new report), unless `digest`
   * (what it is made from) made its latest version: then that version is the answer. `make` runs only to send.
   */
  const submitOnce = async (
    id: string | undefined,
    digest: string | undefined,
    make: () => Normalised<SeizureReportRecord>,
    unnamed?: () => string,
  ): Promise<AcceptedSeizure> => {
    let earlier = id === undefined || digest === undefined ? undefined : sentBefore(id, digest);
    // `unnamed`: the digest of the body without its reportId. A report first sent without one (the node gave it its
    // id, listed in the answer) and sent again with it is the same content: known by that digest too.
    const alias =
      earlier === undefined && id !== undefined && unnamed && deps.reports.latest(id) > 0
        ? unnamed()
        : undefined;
    if (alias !== undefined) earlier = sentBefore(id as string, alias);
    if (earlier === undefined && id !== undefined && digest !== undefined) {
      const withdrawn =
        withdrawnBefore(id, digest) ?? (alias === undefined ? undefined : withdrawnBefore(id, alias));
      if (withdrawn) throw withdrawnRefusal(id, withdrawn);
    }
    if (earlier?.refused) {
      const again = await submit(make(), digest);
      return { ...again, resentAfterRefusal: { version: earlier.version, messageId: earlier.messageId! } };
    }
    if (earlier !== undefined)
      return {
        reportId: id as string,
        version: earlier.version,
        // Absent only for versions recorded before the node kept it (2026-12-05).
        ...(earlier.messageId && { messageId: earlier.messageId }),
        status: 'queued' as const,
        duplicate: true,
        normalisations: deps.reports.normalisationsOf(id as string, earlier.version),
      };
    return submit(make(), digest);
  };
  const retract = async (
    reportId: string,
    reason: string,
    client?: string,
    digest?: string,
  ): Promise<RetractedSeizure> => {
    if (deps.reports.latest(reportId) === 0)
      throw new HubError('NOT_FOUND', `this node has not sent report ${reportId}`);
    // Erased (whatever its kind): answered as such, before the kind's refusal, which would send the agency to a
    // corrected version the node would refuse too.
    const erased = deps.reports.erasedRefusalOf(reportId);
    if (erased) throw erased;
    // The coordinator refuses it (invalid-content): refused here, before a version is spent on it.
    const kind = kindOf(reportId);
    if (kind === 'TraffickingRoute' || kind === 'AnnualSeizureReturn') throw notWithdrawable(reportId, kind);
    const earlier = digest === undefined ? undefined : sentBefore(reportId, digest);
    if (earlier && !earlier.refused)
      return {
        reportId,
        version: earlier.version,
        ...(earlier.messageId && { messageId: earlier.messageId }),
        duplicate: true,
      };
    const version = deps.reports.next(reportId);
    const { messageId } = await deps.submitter.submit(
      'SeizureRetraction',
      reportId,
      { reportId, version, retractedAt: clock(), reason, submittedBy: client ?? null },
      // Kept with it in the outbox, so that the same withdrawal asked again after a crash is still known.
      digest === undefined ? undefined : { bodyDigest: digest },
    );
    bookkeeping('the version withdrawing a report', { reportId, version, messageId }, () =>
      deps.reports.record(reportId, version, digest, messageId, undefined, 'SeizureRetraction'),
    );
    return { reportId, version, messageId };
  };
  return {
    context,
    submit: (report, digest) => {
      const id = report.value.reportId;
      return turns.run(id, () => submitOnce(id, digest, () => report));
    },
    retract: (reportId, reason, client, digest) =>
      turns.run(reportId, () => retract(reportId, reason, client, digest)),
    accept: async (body, client, suggestions) => {
      const given = givenReportId(body);
      const digest = bodyDigest(body);
      // The very same body re-sent (a client that lost our answer) is answered with what it made, not re-sent.
      // As the node holds it, by the spelling the report itself will be given (seizureReportFromJson's idOf).
      const make = () => seizureReportFromJson(body, context({ client, suggestions }));
      // Without an id the report gets a new one: nothing to wait for.
      return given === undefined
        ? submitOnce(undefined, digest, make)
        : turns.run(given, () =>
            submitOnce(deps.reports.idOf(given), digest, make, () => bodyDigest(withoutReportId(body))),
          );
    },
  };
}

const RECORD_KINDS: readonly RecordKind[] = ['SeizureReport', 'TraffickingRoute', 'AnnualSeizureReturn'];

/** `value` as version `version` of its report (what seizureReportFromJson sets from its context's versionOf). */
function asVersion(value: SeizureReportRecord, version: number): SeizureReportRecord {
  return { ...value, version, supersedesVersion: version > 1 ? version - 1 : null };
}

/** The reportId a body gives, as given (trimmed), or undefined. */
function givenReportId(body: unknown): string | undefined {
  const id = (body as { reportId?: unknown } | null)?.reportId;
  return typeof id === 'string' ? id.trim() : undefined;
}

/** A body with a reportId without it (as it was sent when the node gave it its id). */
function withoutReportId(body: unknown): unknown {
  const { reportId: _id, ...rest } = body as Record<string, unknown>;
  return rest;
}

/** The reportId a body gives, in lower case (ids differing in case only are one report), or undefined. */
function reportIdOf(body: unknown): string | undefined {
  return givenReportId(body)?.toLowerCase();
}

/** A record in the outbox: one a request put there, or found there (the same body sent before: a duplicate). */
interface QueuedRecord {
  type: string;
  id: string;
  version?: number;
  messageId: string;
}

/**
 * What a request put in the outbox so far, or found there (its first QUEUED_LISTED records, and how many in all), so
 * that a failure after it (building or sending the answer) is never answered as "nothing was accepted": sent again, a
 * route or a return would be sent twice, and a retry made only of duplicates would be told to send them again.
 */
interface Queued {
  count: number;
  /** Of `count`, those found in the outbox already (duplicates of an earlier sending). */
  found: number;
  records: QueuedRecord[];
}
const QUEUED_LISTED = 100;

function noteQueued(queued: Queued, record: QueuedRecord): void {
  if (queued.count++ < QUEUED_LISTED) queued.records.push(record);
}

/** `submitter`, each record it takes noted in `queued` (the request's own: handed to its routes in res.locals). */
function queuedThrough(submitter: Submitter, queued: Queued): Submitter {
  return {
    async submit(messageType, key, value, extras) {
      const sent = await submitter.submit(messageType, key, value, extras);
      const { version } = (value ?? {}) as { version?: unknown };
      noteQueued(queued, {
        type: messageType,
        id: key,
        ...(typeof version === 'number' && { version }),
        messageId: sent.messageId,
      });
      return sent;
    },
  };
}

/** `acceptor`, each answer it gives as a duplicate noted in `queued` as found there (with its envelope's id). */
function duplicatesNoted(acceptor: SeizureAcceptor, queued: Queued): SeizureAcceptor {
  const found = <T extends { reportId: string; version: number; messageId?: string; duplicate?: boolean }>(
    type: string,
    answer: T,
  ): T => {
    if (answer.duplicate && answer.messageId !== undefined) {
      queued.found++;
      noteQueued(queued, { type, id: answer.reportId, version: answer.version, messageId: answer.messageId });
    }
    return answer;
  };
  return {
    context: (source) => acceptor.context(source),
    submit: async (report, digest) => found('SeizureReport', await acceptor.submit(report, digest)),
    accept: async (body, client, suggestions) =>
      found('SeizureReport', await acceptor.accept(body, client, suggestions)),
    retract: async (reportId, reason, client, digest) =>
      found('SeizureRetraction', await acceptor.retract(reportId, reason, client, digest)),
  };
}

export function createApp(deps: NodeAppDeps): express.Express {
  const app = express();
  const clock = deps.clock ?? Date.now;
  app.disable('x-powered-by');
  // Whatever NODE_ENV says: express's own last-resort handler (an error thrown while this app's handler answered)
  // then answers with the status alone, never with a stack trace (which names the files and folders it ran from).
  app.set('env', 'production');
  app.use(httpRequestMetrics(deps.metrics));
  /**
   * Logged, never thrown: a log stream gone (EPIPE) must not turn an answer into a failure, nor, thrown where an
   * answer has ended, stop the node.
   */
  const logSafely = (level: 'info' | 'error', fields: Record<string, unknown>, message: string) => {
    try {
      deps.logger[level](fields, message);
    } catch {
      // Nothing left to tell it to.
    }
  };
  const logError = (fields: Record<string, unknown>, message: string) => logSafely('error', fields, message);
  const bookkeeping = deps.bookkeeping ?? createBookkeeping(deps.logger, deps.metrics);
  const acceptorDeps = { ...deps, bookkeeping };
  // What is not a request's (the routes' fallback: an app built without this middleware in front of them).
  const submitter = deps.submitter;
  const acceptor = createSeizureAcceptor(acceptorDeps);
  // What each request queued (Queued), noted by a submitter and an acceptor of its own, handed to its routes in
  // res.locals (`submitter`, `acceptor`). Passed explicitly: an AsyncLocalStorage would turn on promise hooks for the
  // whole process, every await of the Kafka consumer and publisher paying for them.
  app.use('/v1', (_req, res, next) => {
    const queued: Queued = { count: 0, found: 0, records: [] };
    const own = queuedThrough(deps.submitter, queued);
    res.locals.queued = queued;
    res.locals.submitter = own;
    res.locals.acceptor = duplicatesNoted(createSeizureAcceptor({ ...acceptorDeps, submitter: own }), queued);
    next();
  });
  /** The request's acceptor (what it queues is noted for its answer). */
  const acceptorOf = (res: Response) => (res.locals.acceptor as SeizureAcceptor | undefined) ?? acceptor;
  // Every request that may change something is logged with how it ended (a refused token too), and by whom when
  // the node asks for tokens: what an agency's system sent and when, at the node.
  app.use('/v1', (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      res.once('finish', () =>
        logSafely(
          'info',
          {
            client: clientOf(res),
            method: req.method,
            path: req.originalUrl,
            status: res.statusCode,
          },
          'request',
        ),
      );
    next();
  });
  if (deps.clientTokens?.length) app.use('/v1', requireClientToken(deps.clientTokens));
  if (deps.clientCertificates)
    app.use('/v1', requireClientCertificate(deps.country, deps.clientCertificates.trust));
  // JSON is UTF-8 (RFC 8259): a body that is not is refused where it stops being so, not read with replacement
  // characters that would be signed as the reports' text.
  app.use(express.json({ limit: '2mb', verify: (_req, _res, bytes, charset) => strictUtf8(bytes, charset) }));
  app.use(opsRouter(deps.metrics, deps.health));
  app.get('/openapi.json', (_req, res) => res.json(nodeOpenApi(deps.country)));
  // A body no parser took (a wrong content type) is refused here, with what to send instead.
  app.use((req: Request, res: Response, next: NextFunction) => {
    // Its path matched as the router matches it: /V1/seizures/csv/ is the CSV route too.
    const csvTypes = csvTypesOf(req.path);
    if (
      req.method !== 'POST' ||
      req.body !== undefined ||
      // CSV, in any of the types spreadsheets and browsers send it as, for the routes that read it (parsed there).
      (csvTypes !== undefined && req.is(csvTypes)) ||
      !hasBody(req)
    )
      return next();
    res.status(415).json({
      error: {
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: `send JSON with content-type: application/json (CSV as text/csv to /v1/seizures/csv); got ${String(req.headers['content-type'] ?? 'no content type').slice(0, 80)}`,
      },
    });
  });

  const acceptSeizure = (body: unknown, res: Response, suggestions?: SuggestionBudget) =>
    acceptorOf(res).accept(body, clientOf(res), suggestions);

  app.use(
    annualRoutes({
      country: deps.country,
      submitter,
      reports: deps.reports,
      regions: deps.regions,
      clock,
      onAccepted: deps.onAccepted,
      bookkeeping,
    }),
  );

  app.use(requestRoutes({ ...deps, submitter, clock, bookkeeping }));
  app.use(retentionRoutes({ ...deps, submitter, clock }));

  app.post('/v1/seizures', async (req, res) => {
    res.status(202).json(await acceptSeizure(req.body, res));
  });

  app.use(csvRouter({ acceptor, logger: deps.logger }));

  app.post('/v1/seizures/batch', async (req, res) => {
    if (!Array.isArray(req.body))
      throw new ValidationError([{ field: '(body)', message: 'must be a JSON array of seizure reports' }]);
    if (req.body.length > 5000)
      throw new ValidationError([{ field: '(body)', message: 'at most 5000 reports per batch' }]);
    const items = req.body as unknown[];
    const results: ({ index: number; status: string } & Record<string, unknown>)[] = new Array(items.length);
    // One budget for the batch: 5,000 reports with a misspelt term must not each cost a pass over a vocabulary.
    const suggestions = new SuggestionBudget();
    // The reports of a batch are accepted together, so that their signatures share one RSA operation (the signer
    // gathers them); a report id given twice waits for its earlier version (waves in the order of the body).
    // A report that fails is answered for on its own: the others of its wave may already be queued.
    let failure: unknown;
    /** The outbox's failure, logged once for the batch (its folder and errno are not in the answer). */
    let outboxFailure: { err: HubError; reports: number } | undefined;
    // A report whose earlier version in this batch failed or was invalid is not sent: its versions would go out of
    // order (the earlier one, sent again once mended, would become the latest).
    const failedIds = new Map<string, { code: string; message: string }>();
    for (const wave of wavesByReportId(items))
      await Promise.all(
        wave.map(async (index) => {
          const given = givenReportId(items[index]);
          const id = given === undefined ? undefined : deps.reports.idOf(given);
          const earlier = id === undefined ? undefined : failedIds.get(id);
          if (earlier) {
            results[index] = {
              index,
              status: 'failed',
              error: {
                code: earlier.code,
                message: `not sent: an earlier version of this report in the batch was not accepted (${earlier.message}); send them again, in order`,
              },
            };
            return;
          }
          try {
            results[index] = { index, ...(await acceptSeizure(items[index], res, suggestions)) };
          } catch (err) {
            if (err instanceof ValidationError) {
              results[index] = { index, status: 'invalid', errors: err.errors };
              if (id !== undefined)
                failedIds.set(id, { code: err.code, message: 'it is invalid: see its errors' });
              return;
            }
            failure ??= err;
            if (err instanceof HubError && err.code === 'OUTBOX_WRITE_FAILED') {
              outboxFailure ??= { err, reports: 0 };
              outboxFailure.reports += 1;
            }
            if (!(err instanceof HubError))
              logError({ err, index }, 'a report of a batch could not be accepted');
            const error =
              err instanceof HubError
                ? { code: err.code, message: err.message }
                : {
                    code: 'INTERNAL',
                    message: 'internal error; this report was not accepted, send it again',
                  };
            if (id !== undefined) failedIds.set(id, error);
            results[index] = { index, status: 'failed', error };
          }
        }),
      );
    if (outboxFailure) logError({ ...outboxFailure }, 'the outbox cannot write');
    const accepted = results.filter((r) => r.status === 'queued').length;
    // Nothing taken (the node may sign nothing now, say): the batch is refused whole, with the reason's status and
    // code, and with every report's outcome, so that the invalid ones are mended before it is sent again.
    if (failure !== undefined && accepted === 0) {
      const error =
        failure instanceof HubError
          ? { status: httpStatusOf(failure), code: failure.code, message: failure.message }
          : {
              status: 500,
              code: 'INTERNAL',
              message: 'internal error; the reports were not accepted, send them again',
            };
      res.status(error.status).json({
        error: { code: error.code, message: error.message },
        accepted,
        rejected: results.length,
        results,
      });
      return;
    }
    res
      .status(accepted === results.length ? 202 : 207)
      .json({ accepted, rejected: results.length - accepted, results });
  });

  app.post('/v1/seizures/:reportId/retract', async (req, res) => {
    const given = String(req.params.reportId);
    if (!UUID.test(given))
      throw new ValidationError([
        { field: 'reportId', message: 'must be a UUID', value: given.slice(0, 60) },
      ]);
    // The report as the node keeps it: ids differing in case only are one report.
    const reportId = deps.reports.idOf(given);
    const reason = readReason(req.body, TEXT_MAX.SeizureRetraction.reason, 'say why the report is withdrawn');
    const { version, messageId } = await acceptorOf(res).retract(reportId, reason, clientOf(res));
    res.status(202).json({ reportId, version, messageId, status: 'queued' });
  });

  app.use(receiptRoutes(deps));

  app.use(alertRoutes(deps));

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'no such endpoint; see /openapi.json' } });
  });
  // Each branch answers first and logs after (logError): a log stream gone must not take the answer with it.
  app.use((thrown: unknown, req: Request, res: Response, _next: NextFunction) => {
    const queued = res.locals.queued as Queued | undefined;
    // The answer was begun (a failure while sending it): it cannot be taken back, nor a second one given.
    if (res.headersSent) {
      if (!res.writableEnded) res.destroy();
      logError({ err: thrown, queued: queued?.count ?? 0 }, 'request failed after its answer was begun');
      return;
    }
    // Something was put in the outbox before the failure (or found there): it is sent, and the answer says so.
    if (queued && queued.count > 0) {
      answerQueuedThenFailed(res, queued);
      logError(
        { err: thrown, queued: queued.count, found: queued.found, records: queued.records },
        'request failed after it queued records',
      );
      return;
    }
    const unread = unreadableRequest(thrown);
    const err = unread?.error ?? notAnObject(thrown, req.path) ?? thrown;
    if (err instanceof ValidationError) {
      res
        .status(unread?.status ?? 400)
        .json({ error: { code: err.code, message: err.message }, errors: err.errors });
      return;
    }
    const e = err as { type?: string; status?: number; message?: string };
    if (e?.type === 'entity.too.large') {
      res.status(413).json({
        error: { code: 'BODY_TOO_LARGE', message: 'the request body exceeds 2 MB; split the batch' },
      });
      return;
    }
    if (e?.type === 'entity.parse.failed') {
      const message = `the body is not valid JSON: ${e.message}`;
      // With the field list every 400 of CONTRACT.md carries, the body as the field.
      res
        .status(400)
        .json({ error: { code: 'MALFORMED_JSON', message }, errors: [{ field: '(body)', message }] });
      return;
    }
    if (err instanceof HubError) {
      res.status(httpStatusOf(err)).json({ error: { code: err.code, message: err.message } });
      // The agency is told to send it again; where and why the outbox failed (its folder, errno) is the operator's.
      if (err.code === 'OUTBOX_WRITE_FAILED') logError({ err }, 'the outbox cannot write');
      return;
    }
    res.status(500).json({
      error: { code: 'INTERNAL', message: 'internal error; the report was not accepted, send it again' },
    });
    logError({ err }, 'request failed');
  });
  return app;
}

/**
 * 500 for a request that failed after it queued records (or found them queued: duplicates): what was queued (they go
 * to the hub), never "not accepted" (sent again, a route, a return or a request would be sent twice), and what may
 * be sent again as what, by the kinds of record queued.
 */
function answerQueuedThenFailed(res: Response, queued: Queued): void {
  const n = queued.count;
  const some = n === 1 ? '1 record of this request was' : `${n} records of this request were`;
  const before = queued.found > 0 ? `, ${queued.found} of them by an earlier sending of the same` : '';
  const listed = n > queued.records.length ? `the first ${queued.records.length} listed` : 'listed';
  const types = new Set(queued.records.map((r) => r.type));
  const resend = [...RESENT].filter(([type]) => types.has(type)).map(([, said]) => said);
  if ([...types].some((t) => !RESENT.has(t)))
    resend.push(
      `${resend.length ? 'anything else' : 'what is'} listed is sent twice if sent again: do not send it again`,
    );
  res.status(500).json({
    error: {
      code: 'INTERNAL',
      message: `internal error after ${some} queued${before} (${listed} in queued): ${n === 1 ? 'it stays' : 'they stay'} queued and go to the hub, so do not take the request as refused; see GET /v1/receipts/{id} before sending anything again. Sent again: ${resend.join('; ')}`,
    },
    queued: queued.records,
    ...(n > queued.records.length && { queuedTotal: n }),
  });
}

/**
 * What becomes of a queued record of each type sent again (answerQueuedThenFailed). Only content the node knows by its
 * id is answered as a duplicate: a seizure report or a request sent without its id is given a new one.
 */
const RESENT: ReadonlyMap<string, string> = new Map([
  [
    'SeizureReport',
    'a seizure report is answered as a duplicate, not sent twice, only when sent unchanged with the reportId listed for it in queued (added to the report when it had none: without it, it is taken as a new report, under a new id); a CSV file sent again unchanged is answered with duplicates (its rows make the same ids)',
  ],
  [
    'SeizureRetraction',
    'a withdrawal asked again is a second withdrawal (one in a CSV file sent again unchanged is answered as a duplicate)',
  ],
  [
    'InformationRequest',
    'an information request is answered as a duplicate only when sent unchanged and its body gave the requestId listed for it in queued (one sent without a requestId goes again as a new request)',
  ],
  ['InformationResponse', 'an answer to a request sent again unchanged is answered as a duplicate'],
]);

/**
 * Whether the request carries a body, as body-parser judges it (type-is's hasBody): announced by its length, or sent
 * in chunks (Transfer-Encoding: chunked, with no length) as streaming clients send it.
 */
function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;
}

/** What the sender put in a header or path, shown back short. */
const shown = (v: unknown) => String(v ?? '').slice(0, 80);

/**
 * A body express.json refused that is JSON all the same, but neither an object nor an array (null, "x", 3, true: it
 * reads only those), as the field error that says what is expected at `path`; undefined for anything else.
 */
function notAnObject(thrown: unknown, path: string): ValidationError | undefined {
  const e = thrown as { type?: unknown; body?: unknown } | null;
  if (e?.type !== 'entity.parse.failed' || typeof e.body !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(e.body);
  } catch {
    return undefined;
  }
  if (typeof value === 'object' && value !== null) return undefined;
  const expected =
    routePath(path) === '/v1/seizures/batch' ? 'a JSON array of seizure reports' : 'a JSON object';
  const got = value === null ? 'null' : `a ${typeof value}`;
  return new ValidationError([
    { field: '(body)', message: `must be ${expected}, got ${got}`, value: shown(e.body) },
  ]);
}

/** Refuse (as a field error) a body read as UTF-8 that is not, naming where it stops being so. */
function strictUtf8(bytes: Buffer, charset: string | null): void {
  if ((charset !== null && charset !== 'utf-8' && charset !== 'utf8') || isUtf8(bytes)) return;
  const at = where(
    bytes,
    firstBadUtf8(bytes),
    'UTF-8',
    (shown) => `the bytes there (${shown}) are not UTF-8`,
  );
  throw new ValidationError(
    [{ field: '(body)', message: undecodableMessage(at, 'send JSON in UTF-8 (RFC 8259)'), value: at.bytes }],
    'the request cannot be read',
  );
}

/**
 * A request that express or body-parser could not read (http-errors with a 4xx status: a charset, a content-encoding,
 * a body that does not inflate, a body cut short, a path of bad %-escapes) as a field error the sender can act on,
 * with the status to answer: 400, or the error's own status when it is not one of body-parser's. Too large and not
 * JSON keep their own codes (BODY_TOO_LARGE, MALFORMED_JSON); anything else is not the sender's to mend.
 */
export function unreadableRequest(thrown: unknown): { status: number; error: ValidationError } | undefined {
  const e = thrown as
    | (Error & { type?: string; status?: unknown; statusCode?: unknown; charset?: string; encoding?: string })
    | null;
  const status = Number(e?.status ?? e?.statusCode);
  if (!(e instanceof Error) || e instanceof HubError || !(status >= 400 && status < 500)) return undefined;
  if (e.type === 'entity.too.large' || e.type === 'entity.parse.failed') return undefined;
  const refuse = (field: string, message: string, value: unknown, answer = 400) => ({
    status: answer,
    error: Object.assign(
      new ValidationError([{ field, message, value: shown(value) }], 'the request cannot be read'),
      { cause: e },
    ),
  });
  if (e.type === 'charset.unsupported')
    return refuse(
      'content-type',
      `charset ${shown(e.charset)} is not supported: send the body in UTF-8 (charset=utf-8, or no charset)`,
      e.charset,
    );
  if (e.type === 'encoding.unsupported')
    return refuse(
      'content-encoding',
      `content-encoding ${shown(e.encoding)} is not supported: send gzip, deflate or br, or none`,
      e.encoding,
    );
  // express's router: a path parameter whose %-escapes are not UTF-8.
  if (e instanceof URIError)
    return refuse(
      '(path)',
      `${e.message}: a %-escape in the path must be of UTF-8 bytes (as encodeURIComponent writes them)`,
      /'(.*)'$/.exec(e.message)?.[1] ?? '',
    );
  // The rest of body-parser's own (a body cut short, a size not as announced) are the sender's to mend.
  if (typeof e.type === 'string' && /^(entity|request|parameters|stream)\./.test(e.type))
    return refuse('(body)', `${e.message}; mend the request and send it again`, e.type);
  // A body that does not decompress as its content-encoding says (zlib's Z_ or brotli's ERR__ error, given a 400 by
  // body-parser).
  const code = String((e as { code?: unknown }).code ?? '');
  if (code.startsWith('Z_') || code.startsWith('ERR__'))
    return refuse(
      '(body)',
      `does not decompress as its content-encoding says (${e.message}): send it so compressed, or uncompressed without content-encoding`,
      code,
    );
  return refuse('(request)', `cannot be read: ${e.message}`, code, status);
}

/**
 * The indexes of `items` in waves: each report id at most once per wave, its repeats in later waves in the order
 * given. Items without a string reportId all go in the first.
 */
export function wavesByReportId(items: unknown[]): number[][] {
  const waves: number[][] = [];
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    const id = reportIdOf(item);
    const wave = id === undefined ? 0 : (seen.get(id) ?? 0);
    if (id !== undefined) seen.set(id, wave + 1);
    (waves[wave] ??= []).push(index);
  });
  return waves;
}
