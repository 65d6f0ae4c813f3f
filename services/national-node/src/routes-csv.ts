// POST /v1/seizures/csv (and POST /v1/seizures/batch with a CSV body): IDS-shaped rows → signed reports.
// Every valid report is submitted even when others in the file are refused; the answer names each refused
// cell by line and column. Rows imported again (a client that lost the answer, an inbox file left by a crash) are
// known by the report they make: answered with the version they made (`duplicate`), not signed again. A file of more
// rows than one request takes is refused whole before any is read as a report; the answer is bounded (csvAnswer).
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { HubError, ValidationError } from '@hub/errors';
import {
  CsvParser,
  FieldReader,
  readHandling,
  RELEASABLE_TO_SEPARATORS,
  splitList,
  validateCsvReports,
  type CsvDefaults,
  type CsvError,
  type CsvRow,
  type ParsedCsv,
} from '@hub/domain';
import { TEXT_MAX } from '@hub/schemas';
import type { Logger } from '@hub/observability';
import type { SeizureAcceptor } from './app';
import { clientOf } from './client-auth';
import { csvReportDigest, csvRetractionDigest } from './report-digest';
import { decodeCsvBytes, undecodableMessage } from './text-bytes';
import { httpStatusOf } from './error-status';
import { ERASED_RULE, WITHDRAWN_RULE } from './reports-index';
import { queryReader } from './query';

export const CSV_MEDIA_TYPES = ['text/csv', 'application/csv', 'text/plain', 'application/vnd.ms-excel'];
/**
 * The types each CSV route reads as CSV. The batch endpoint takes JSON arrays too, and a JSON array sent without a
 * content type goes as text/plain (fetch's default for a string): not read as CSV there, but refused 415.
 */
export const CSV_TYPES_OF: Record<string, string[]> = {
  '/v1/seizures/csv': CSV_MEDIA_TYPES,
  '/v1/seizures/batch': CSV_MEDIA_TYPES.filter((t) => t !== 'text/plain'),
};
export const CSV_MAX_BYTES = 20 * 1024 * 1024;
/**
 * Data rows one request takes: 5,000 reports (a JSON batch's most) of ten rows each. Counted before anything is
 * validated, so that a file of a million short rows is refused at once rather than held and answered row by row.
 */
export const CSV_MAX_ROWS = 50_000;
/**
 * Problems an answer lists (all are counted, in `errorsTotal`): 50,000 bad rows of five bad cells each, every one
 * listed, made an answer of tens of MB that the node could not build.
 */
export const CSV_ERRORS_LISTED = 1000;
/** Characters of a cell, or of a column's name, an answer echoes: enough to find it in the file. */
export const CSV_ECHO_MAX = 100;
/** Characters of a problem's message an answer gives (a few quote the file's cells). */
const MESSAGE_MAX = 500;
/** Reports signed and written to the outbox at once (the outbox shares one fsync between them). */
const CONCURRENCY = 32;

/**
 * The types the CSV route at `path` reads (undefined: no CSV route there), the path matched as the router matches
 * routes: in any letter case, with a trailing slash or without.
 */
export function csvTypesOf(path: string): string[] | undefined {
  const route = routePath(path);
  return Object.hasOwn(CSV_TYPES_OF, route) ? CSV_TYPES_OF[route] : undefined;
}

/** A request's path as the routes are written: in lower case, without a trailing slash (the router ignores both). */
export function routePath(path: string): string {
  return path.toLowerCase().replace(/(.)\/$/, '$1');
}

export interface CsvReportResult {
  reference: string | null;
  reportId: string;
  /** Lines of the file holding this report's rows. */
  lines: number[];
  status: 'queued' | 'invalid' | 'failed';
  version?: number;
  messageId?: string;
  /** The row withdrew the report its reference made before (a SeizureRetraction was queued). */
  retracted?: boolean;
  /**
   * The very same rows made the report's latest version before (the file imported again: after a crash, or by a
   * client that lost the answer): nothing new was queued, and version and messageId are that version's.
   */
  duplicate?: boolean;
  /** The same rows made a version the hub refused (its receipt said rejected): sent again as this version. */
  resentAfterRefusal?: { version: number; messageId: string };
  errors?: CsvError[];
}

export interface CsvImportResult {
  /** Reports queued and refused. */
  accepted: number;
  rejected: number;
  rows: number;
  results: CsvReportResult[];
  errors: CsvError[];
  ignoredColumns: string[];
  /**
   * Nothing was queued, and every report that could have been failed for this one reason of the node's (its
   * certificate expired, say): the import is refused whole with it, as a JSON batch is. Not part of the answer's body.
   */
  refusal?: HubError;
}

export interface CsvImportOptions {
  /** How the file arrived, kept as the reports' reportingChannel: `csv` (HTTP) or `inbox`. */
  channel: string;
  /** The agency system that sent the file (its token's client name), kept as the reports' submittedBy. */
  client?: string;
  defaults?: CsvDefaults;
}

export type CsvImporter = (text: string, options: CsvImportOptions) => Promise<CsvImportResult>;

/**
 * Validate a CSV and submit its valid reports through the same path as the JSON API. The CSV is its text, or the
 * text parsed already (the HTTP routes count its rows first).
 */
export function createCsvImporter(deps: {
  acceptor: SeizureAcceptor;
  logger: Logger;
}): (csv: string | ParsedCsv, options: CsvImportOptions) => Promise<CsvImportResult> {
  return async (csv, options) => {
    const validation = validateCsvReports(csv, deps.acceptor.context(options), {
      defaults: options.defaults,
    });
    const results: CsvReportResult[] = validation.reports.map((r) => ({
      reference: r.reference,
      reportId: r.reportId,
      lines: r.lines,
      status: r.ok ? 'queued' : 'invalid',
      ...(r.ok ? {} : { errors: r.errors }),
    }));
    const failures: CsvError[] = [];
    /** The node's reasons for the reports it could not take: one HubError for all of them refuses the import whole. */
    const reasons: unknown[] = [];
    let next = 0;
    const worker = async () => {
      while (next < validation.reports.length) {
        const i = next++;
        const outcome = validation.reports[i];
        const result = results[i] as CsvReportResult;
        if (!outcome?.ok) continue;
        try {
          // With the digest of what the rows say, so that the same rows imported again (a file left in the inbox by
          // a crash, a client that lost our answer) are answered with the version they made, not signed again.
          if (outcome.retraction) {
            const { reason } = outcome.retraction;
            const retracted = await deps.acceptor.retract(
              outcome.reportId,
              reason,
              options.client,
              csvRetractionDigest(reason),
            );
            Object.assign(result, sentAs(retracted), { retracted: true });
            continue;
          }
          const accepted = await deps.acceptor.submit(outcome.report, csvReportDigest(outcome.report.value));
          Object.assign(result, sentAs(accepted));
        } catch (err) {
          if (err instanceof HubError && err.code === 'NOT_FOUND') {
            const error = {
              line: outcome.lines[0] as number,
              column: 'Retraction Reason',
              value: outcome.reference ?? '',
              message:
                'no report with this Seizure Reference was sent by this node, so there is nothing to withdraw',
            };
            result.status = 'invalid';
            result.errors = [error];
            failures.push(error);
            continue;
          }
          const erasureId = erasedAtReview(err);
          if (erasureId !== undefined) {
            // The row's id is made of the country and its Seizure Reference (or its content, without one): the fix is
            // in that cell, not an id the operator never saw.
            const again = outcome.reference === null ? 'a' : 'a new';
            const error = {
              line: outcome.lines[0] as number,
              column: 'Seizure Reference',
              value: outcome.reference ?? '',
              message: outcome.retraction
                ? `erased at retention review (erasure ${erasureId}): the hub and this node keep nothing of it, so there is nothing to withdraw`
                : `erased at retention review (erasure ${erasureId}): give it ${again} Seizure Reference to report it again`,
            };
            result.status = 'invalid';
            result.errors = [error];
            failures.push(error);
            continue;
          }
          const withdrawn = withdrawnBefore(err);
          if (withdrawn !== undefined) {
            // The rows of the version a withdrawal withdrew, imported again: the fix is in the rows (a changed cell
            // is the report's next version), not in the id the operator never saw; and it is no failure of the node.
            const error = {
              line: outcome.lines[0] as number,
              column: 'Seizure Reference',
              value: outcome.reference ?? '',
              message: `withdrawn (its version ${withdrawn.withdrawnAt}); these rows are the very content of its version ${withdrawn.version}, the one withdrawn: not sent again; to reinstate it on purpose, change a cell (a line in Notes saying why will do)`,
            };
            result.status = 'invalid';
            result.errors = [error];
            failures.push(error);
            continue;
          }
          reasons.push(err);
          // The node's own reason (its certificate expired, the outbox full) says what to do and when.
          const error = {
            line: outcome.lines[0] as number,
            column: '',
            value: '',
            message:
              err instanceof HubError
                ? `not sent (${err.code}): ${err.message}`
                : 'not sent (INTERNAL): an internal error of the node; nothing of this report was sent: import it again',
          };
          result.status = 'failed';
          result.errors = [error];
          failures.push(error);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    logReasons(deps.logger, reasons);
    const accepted = results.filter((r) => r.status === 'queued').length;
    const refusal = accepted === 0 ? sameHubError(reasons) : undefined;
    return {
      accepted,
      rejected: results.length - accepted,
      rows: validation.rows,
      results,
      errors: [...validation.errors, ...failures].sort((a, b) => a.line - b.line),
      ignoredColumns: validation.ignoredColumns,
      ...(refusal && { refusal }),
    };
  };
}

/**
 * The node's reasons for the reports it could not take, once each (a file of 50,000 rows meeting a full disk is one
 * event, not 50,000): what the agencies were not told (the outbox's folder, the errno) is for the operator here.
 */
function logReasons(logger: Logger, reasons: unknown[]): void {
  const byCode = new Map<string, { err: unknown; reports: number }>();
  for (const err of reasons) {
    const code = err instanceof HubError ? err.code : 'INTERNAL';
    const seen = byCode.get(code);
    if (seen) seen.reports += 1;
    else byCode.set(code, { err, reports: 1 });
  }
  for (const [code, { err, reports }] of byCode)
    logger.error({ err, code, reports }, 'CSV reports could not be accepted');
}

/** What a report's result says of the version it went out as (or, for a duplicate, the one it made before). */
function sentAs(
  answer: Pick<CsvReportResult, 'version' | 'messageId' | 'duplicate' | 'resentAfterRefusal'>,
): Partial<CsvReportResult> {
  return {
    version: answer.version,
    ...(answer.messageId !== undefined && { messageId: answer.messageId }),
    ...(answer.duplicate && { duplicate: true }),
    ...(answer.resentAfterRefusal && { resentAfterRefusal: answer.resentAfterRefusal }),
  };
}

/** The erasure's id when `err` refuses a record erased at retention review (ReportsIndex.next), else undefined. */
function erasedAtReview(err: unknown): string | undefined {
  if (!(err instanceof HubError) || err.code !== 'CONFLICT') return undefined;
  const { rule, erasureId } = err.details;
  return rule === ERASED_RULE ? String(erasureId) : undefined;
}

/**
 * The version withdrawn and the withdrawal's version when `err` refuses the very content of a withdrawn version sent
 * again (ReportsIndex's withdrawnRefusal), else undefined.
 */
function withdrawnBefore(err: unknown): { version: number; withdrawnAt: number } | undefined {
  if (!(err instanceof HubError) || err.code !== 'CONFLICT') return undefined;
  const { rule, version, withdrawnAt } = err.details;
  return rule === WITHDRAWN_RULE ? { version: Number(version), withdrawnAt: Number(withdrawnAt) } : undefined;
}

/** The first of `reasons` when they are all HubErrors of one code and message (none: undefined). */
function sameHubError(reasons: unknown[]): HubError | undefined {
  const [first] = reasons;
  if (!(first instanceof HubError)) return undefined;
  const same = reasons.every(
    (r) => r instanceof HubError && r.code === first.code && r.message === first.message,
  );
  return same ? first : undefined;
}

/** The longest Seizure Reference a report takes: a longer one is refused, and echoed short. */
const REFERENCE_MAX = TEXT_MAX.SeizureReport.caseReference;
/** Ignored columns an answer names (a header of a million unknown names is not echoed whole). */
const IGNORED_LISTED = 100;

/** An import's answer: bounded (csvAnswer), saying what it left out. */
export type CsvAnswer = Omit<CsvImportResult, 'refusal'> & {
  /** Problems found, when more than the answer lists. */
  errorsTotal?: number;
  errorsNote?: string;
  /** Ignored columns, when more than the answer names. */
  ignoredColumnsTotal?: number;
};

/** `text` cut to `max` characters, saying how long it was (a surrogate pair is never cut in two). */
export function shortened(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? max - 1 : max;
  return `${text.slice(0, end)}… (${text.length} characters)`;
}

/** A problem as an answer gives it: the cell, its column's name and the message short. */
function shortError(e: CsvError): CsvError {
  return {
    ...e,
    column: shortened(e.column, CSV_ECHO_MAX),
    value: shortened(e.value, CSV_ECHO_MAX),
    message: shortened(e.message, MESSAGE_MAX),
  };
}

/**
 * The answer to an import, a few MB at most whatever the file: every report's outcome, and the first
 * CSV_ERRORS_LISTED problems (by line in `errors`; in the results, those of the first reports that have any), each cell
 * echoed at most CSV_ECHO_MAX characters. When there are more, `errorsTotal` counts them and `errorsNote` says so.
 */
export function csvAnswer(result: Omit<CsvImportResult, 'refusal'>): CsvAnswer {
  let budget = CSV_ERRORS_LISTED;
  const results = result.results.map(({ errors, ...r }): CsvReportResult => {
    const shown = { ...r, reference: r.reference === null ? null : shortened(r.reference, REFERENCE_MAX) };
    const listed = (errors ?? []).slice(0, budget);
    budget -= listed.length;
    return listed.length ? { ...shown, errors: listed.map(shortError) } : shown;
  });
  const total = result.errors.length;
  const ignored = result.ignoredColumns;
  return {
    ...result,
    results,
    errors: result.errors.slice(0, CSV_ERRORS_LISTED).map(shortError),
    ignoredColumns: ignored.slice(0, IGNORED_LISTED).map((c) => shortened(c, CSV_ECHO_MAX)),
    ...(total > CSV_ERRORS_LISTED && {
      errorsTotal: total,
      errorsNote: `the first ${CSV_ERRORS_LISTED} of ${total} problems are listed (by line in errors; in results, those of the first reports refused); every report's status is given: mend the rows and send the file again to see the rest (the reports queued are answered as duplicates, not sent again)`,
    }),
    ...(ignored.length > IGNORED_LISTED && { ignoredColumnsTotal: ignored.length }),
  };
}

/** Characters of the body the parser takes at a time, so that the rows are counted as they come. */
const PARSE_SLICE = 1024 * 1024;

/**
 * The file parsed, or, when it has more data rows than `maxRows`, the line of the first one past them: parsing
 * stops there, and nothing of the file is validated.
 */
function parsedWithin(text: string, maxRows: number): ParsedCsv | { overAt: number } {
  const parser = new CsvParser();
  // The header and up to maxRows rows.
  const records: CsvRow[] = [];
  const take = (rows: CsvRow[]): number | undefined => {
    for (const r of rows) {
      if (records.length > maxRows) return r.line;
      records.push(r);
    }
    return undefined;
  };
  for (let at = 0; at < text.length; at += PARSE_SLICE) {
    const overAt = take(parser.push(text.slice(at, at + PARSE_SLICE)));
    if (overAt !== undefined) return { overAt };
  }
  const overAt = take(parser.end());
  if (overAt !== undefined) return { overAt };
  return { separator: parser.separator ?? ',', header: records[0], rows: records.slice(1) };
}

/** 413 BODY_TOO_LARGE: nothing of the file was imported, `why`. */
function refuseTooLarge(res: Response, why: string): void {
  res.status(413).json({
    error: {
      code: 'BODY_TOO_LARGE',
      message: `${why}: nothing of it was imported; split it into files of whole reports (the rows of a Seizure Reference in one file) and send each (hub import does this for you)`,
    },
  });
}

function isCsv(req: Request): boolean {
  return Boolean(req.is(csvTypesOf(req.path) ?? CSV_MEDIA_TYPES));
}

/** The charset the content type declares, in lower case, or undefined. */
function declaredCharset(req: Request): string | undefined {
  const m = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(req.get('content-type') ?? '');
  return m?.[1] ? m[1].toLowerCase() : undefined;
}

/**
 * The CSV text of a body read as bytes (no charset declared, or UTF-8): UTF-8, or UTF-16 by its byte-order mark;
 * anything else refused, naming where, rather than read with replacement characters.
 */
function csvText(bytes: Buffer): string {
  const decoded = decodeCsvBytes(bytes);
  if ('text' in decoded) return decoded.text;
  throw new ValidationError(
    [
      {
        field: '(body)',
        message: undecodableMessage(
          decoded.undecodable,
          'send the file in UTF-8 (Excel: Save As, "CSV UTF-8"), or say which encoding it is in, e.g. Content-Type: text/csv; charset=windows-1251',
        ),
        value: decoded.undecodable.bytes,
      },
    ],
    'the CSV cannot be read',
  );
}

/** The query parameters that stand in for columns the file lacks. */
const DEFAULT_PARAMETERS = ['agency', 'tlp', 'releasableTo', 'evaluation'] as const;
type DefaultParameter = (typeof DEFAULT_PARAMETERS)[number];

/**
 * The defaults the query gives for columns the file lacks. An unknown parameter (a misspelt `releasable`) or one
 * given twice is refused by name, as at the node's list routes: ignored, the reports would be signed with handling
 * other than the one asked for. So is a value a report could not take (tlp=AMBR): taken, every report of the file
 * would be refused for it, blamed on a cell of a column the file does not have. An empty value gives no default.
 * `regions`: the region ids releasableTo may name.
 */
function defaultsFrom(query: Record<string, unknown>, regions: ReadonlySet<string>): CsvDefaults {
  const reader = queryReader(query, DEFAULT_PARAMETERS);
  const defaults: CsvDefaults = {};
  for (const k of DEFAULT_PARAMETERS) {
    if (query[k] === undefined) continue;
    const v = reader.text(k);
    if (v === undefined)
      reader.refuse(
        k,
        k === 'releasableTo'
          ? 'is given more than once: give it once, the countries separated by commas (releasableTo=KZ,KG)'
          : 'is given more than once: give it once',
      );
    else if (v !== '') defaults[k] = v;
  }
  for (const { parameter, message } of defaultProblems(defaults, regions)) reader.refuse(parameter, message);
  reader.check();
  return defaults;
}

/**
 * What the report readers refuse of `defaults`, by the parameter that gave it: each is checked by the rule its field
 * of a report is (readHandling, the agency's length), not by a copy of it.
 */
function defaultProblems(
  defaults: CsvDefaults,
  regions: ReadonlySet<string>,
): { parameter: DefaultParameter; message: string }[] {
  const r = new FieldReader();
  // Split as a Releasable To cell is (csv/ids.ts), so that each entry is judged as the reports would have it.
  const releasableTo =
    defaults.releasableTo === undefined
      ? undefined
      : splitList(defaults.releasableTo, RELEASABLE_TO_SEPARATORS);
  readHandling(
    r,
    { handling: { tlp: defaults.tlp, releasableTo, evaluation: defaults.evaluation } },
    regions,
  );
  r.string({ agency: defaults.agency }, 'agency', 'agency', { max: TEXT_MAX.SeizureReport.agency });
  return r.errors.flatMap(({ field, message, value }) => {
    const parameter = DEFAULT_PARAMETERS.find((p) => field === p || field.startsWith(`handling.${p}`));
    // No tlp default is no problem here: the file's TLP column gives it, or its absence is said of the file.
    if (parameter === undefined || defaults[parameter] === undefined) return [];
    // An entry of the list is named, the parameter's value being the whole list.
    const entry = parameter === 'releasableTo' && value !== undefined ? `'${String(value)}': ` : '';
    return [{ parameter, message: `${entry}${message}` }];
  });
}

/**
 * The CSV routes. Query parameters `agency`, `tlp`, `releasableTo`, `evaluation` stand in for columns the file
 * lacks (IDS workbooks carry no agency or handling); any other, one given twice, or a value no report could take, is
 * refused (400) before the file is read. 202 when every report was queued, else 207.
 */
export function csvRouter(deps: { acceptor: SeizureAcceptor; logger: Logger }): Router {
  const router = express.Router();
  const { regions } = deps.acceptor.context();
  // The query is judged before the file is read: its defaults are the same for every report.
  const queryDefaults = (req: Request, res: Response, next: NextFunction) => {
    res.locals.csvDefaults = defaultsFrom(req.query as Record<string, unknown>, regions);
    next();
  };
  // A body in a charset it declares (windows-1251, say) is decoded as declared; one without (or in UTF-8) is read as
  // bytes and decoded strictly here: body-parser would take it for UTF-8 and replace what is not.
  const declared = express.text({ type: CSV_MEDIA_TYPES, limit: CSV_MAX_BYTES });
  const undeclared = express.raw({ type: CSV_MEDIA_TYPES, limit: CSV_MAX_BYTES });
  const body = (req: Request, res: Response, next: NextFunction) => {
    const charset = declaredCharset(req);
    return (charset === undefined || charset === 'utf-8' || charset === 'utf8' ? undeclared : declared)(
      req,
      res,
      next,
    );
  };

  const handle = async (req: Request, res: Response) => {
    const given: unknown = req.body;
    // A body of another type reaches this route only as JSON (the app's JSON parser took it): false. null: no body.
    if (req.is(csvTypesOf(req.path) ?? CSV_MEDIA_TYPES) === false) {
      res.status(415).json({
        error: {
          code: 'UNSUPPORTED_MEDIA_TYPE',
          message: `send the file with Content-Type: text/csv (got ${shortened(req.get('content-type') ?? '', CSV_ECHO_MAX)}); a JSON array of reports goes to /v1/seizures/batch`,
        },
      });
      return;
    }
    if (!(typeof given === 'string' || Buffer.isBuffer(given)))
      throw new ValidationError([
        {
          field: '(body)',
          message: 'is missing: send the CSV file as the body, with Content-Type: text/csv',
        },
      ]);
    const text = typeof given === 'string' ? given : csvText(given);
    const parsed = parsedWithin(text, CSV_MAX_ROWS);
    if ('overAt' in parsed) {
      refuseTooLarge(
        res,
        `the CSV has more than ${CSV_MAX_ROWS} rows (line ${parsed.overAt} holds row ${CSV_MAX_ROWS + 1}), and at most ${CSV_MAX_ROWS} are taken in one request`,
      );
      return;
    }
    const defaults = res.locals.csvDefaults as CsvDefaults;
    // The request's own acceptor, when the app gives one (res.locals): it notes what the import queued, for the
    // answer to a failure after it.
    const acceptor = (res.locals.acceptor as SeizureAcceptor | undefined) ?? deps.acceptor;
    const importCsv = createCsvImporter({ acceptor, logger: deps.logger });
    const { refusal, ...result } = await importCsv(parsed, {
      channel: 'csv',
      client: clientOf(res),
      defaults,
    });
    deps.logger.info(
      { accepted: result.accepted, rejected: result.rejected, rows: result.rows },
      'CSV import',
    );
    // Refused whole for one reason of the node's: its status and code (503 CERTIFICATE_INVALID: send it again once
    // the node can sign), with every report's outcome, so that the rows to mend are known before it is sent again.
    if (refusal) {
      res
        .status(httpStatusOf(refusal))
        .json({ error: { code: refusal.code, message: refusal.message }, ...csvAnswer(result) });
      return;
    }
    res.status(result.rejected === 0 && result.errors.length === 0 ? 202 : 207).json(csvAnswer(result));
  };

  router.post('/v1/seizures/csv', queryDefaults, body, handle);
  // The batch endpoint of CONTRACT.md takes a CSV too; JSON arrays go on to the app's own route.
  router.post(
    '/v1/seizures/batch',
    (req, _res, next) => next(isCsv(req) ? undefined : 'router'),
    queryDefaults,
    body,
    handle,
  );
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const e = err as { type?: string; charset?: unknown };
    if (e?.type === 'entity.too.large') {
      refuseTooLarge(
        res,
        `the CSV exceeds ${CSV_MAX_BYTES / 1024 / 1024} MB (and one request takes at most ${CSV_MAX_ROWS} rows)`,
      );
      return;
    }
    // body-parser reads any charset iconv-lite knows: one it does not is named, with those spreadsheets save in.
    if (e?.type === 'charset.unsupported') {
      const charset = shortened(String(e.charset ?? ''), CSV_ECHO_MAX);
      next(
        new ValidationError(
          [
            {
              field: 'content-type',
              value: charset,
              message: `charset '${charset}' is not one the node reads: send the file in UTF-8 (charset=utf-8, or none), or declare the charset it is in, e.g. windows-1251, koi8-r, cp866, windows-1252, iso-8859-1 or utf-16le`,
            },
          ],
          'the CSV cannot be read',
        ),
      );
      return;
    }
    next(err);
  });
  return router;
}
