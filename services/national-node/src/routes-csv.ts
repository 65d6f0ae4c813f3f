// POST /v1/seizures/csv (and POST /v1/seizures/batch with a CSV body): IDS-shaped rows → signed reports.
// Every valid report is submitted even when others in the file are refused; the answer names each refused
// cell by line and column.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { HubError, ValidationError } from '@hub/errors';
import { validateCsvReports, type CsvDefaults, type CsvError } from '@hub/domain';
import type { Logger } from '@hub/observability';
import type { SeizureAcceptor } from './app';
import { clientOf } from './client-auth';

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
/** Reports signed and written to the outbox at once (the outbox shares one fsync between them). */
const CONCURRENCY = 32;

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
}

export interface CsvImportOptions {
  /** How the file arrived, kept as the reports' reportingChannel: `csv` (HTTP) or `inbox`. */
  channel: string;
  /** The agency system that sent the file (its token's client name), kept as the reports' submittedBy. */
  client?: string;
  defaults?: CsvDefaults;
}

export type CsvImporter = (text: string, options: CsvImportOptions) => Promise<CsvImportResult>;

/** Validate a CSV and submit its valid reports through the same path as the JSON API. */
export function createCsvImporter(deps: { acceptor: SeizureAcceptor; logger: Logger }): CsvImporter {
  return async (text, options) => {
    const validation = validateCsvReports(text, deps.acceptor.context(options), {
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
    let next = 0;
    const worker = async () => {
      while (next < validation.reports.length) {
        const i = next++;
        const outcome = validation.reports[i];
        const result = results[i] as CsvReportResult;
        if (!outcome?.ok) continue;
        try {
          if (outcome.retraction) {
            const retracted = await deps.acceptor.retract(
              outcome.reportId,
              outcome.retraction.reason,
              options.client,
            );
            result.version = retracted.version;
            result.messageId = retracted.messageId;
            result.retracted = true;
            continue;
          }
          const accepted = await deps.acceptor.submit(outcome.report);
          result.version = accepted.version;
          result.messageId = accepted.messageId;
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
          deps.logger.error({ err, reportId: outcome.reportId }, 'a CSV report could not be made durable');
          const error = {
            line: outcome.lines[0] as number,
            column: '',
            value: '',
            message: 'the report could not be written to the outbox; nothing of it was sent: import it again',
          };
          result.status = 'failed';
          result.errors = [error];
          failures.push(error);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const accepted = results.filter((r) => r.status === 'queued').length;
    return {
      accepted,
      rejected: results.length - accepted,
      rows: validation.rows,
      results,
      errors: [...validation.errors, ...failures].sort((a, b) => a.line - b.line),
      ignoredColumns: validation.ignoredColumns,
    };
  };
}

function isCsv(req: Request): boolean {
  return Boolean(req.is(CSV_TYPES_OF[req.path] ?? CSV_MEDIA_TYPES));
}

function defaultsFrom(query: Request['query']): CsvDefaults {
  const pick = (k: string) => (typeof query[k] === 'string' && query[k] !== '' ? query[k] : undefined);
  const defaults: CsvDefaults = {};
  for (const k of ['agency', 'tlp', 'releasableTo', 'evaluation'] as const) {
    const v = pick(k);
    if (v !== undefined) defaults[k] = v;
  }
  return defaults;
}

/**
 * The CSV routes. Query parameters `agency`, `tlp`, `releasableTo`, `evaluation` stand in for columns the file
 * lacks (IDS workbooks carry no agency or handling). 202 when every report was queued, else 207.
 */
export function csvRouter(deps: { acceptor: SeizureAcceptor; logger: Logger }): Router {
  const router = express.Router();
  const importCsv = createCsvImporter(deps);
  const body = express.text({ type: CSV_MEDIA_TYPES, limit: CSV_MAX_BYTES });

  const handle = async (req: Request, res: Response) => {
    if (!isCsv(req) || typeof req.body !== 'string')
      throw new ValidationError([
        {
          field: '(body)',
          message: `send the file with Content-Type: text/csv (got ${req.get('content-type')})`,
        },
      ]);
    const result = await importCsv(req.body, {
      channel: 'csv',
      client: clientOf(res),
      defaults: defaultsFrom(req.query),
    });
    deps.logger.info(
      { accepted: result.accepted, rejected: result.rejected, rows: result.rows },
      'CSV import',
    );
    res.status(result.rejected === 0 && result.errors.length === 0 ? 202 : 207).json(result);
  };

  router.post('/v1/seizures/csv', body, handle);
  // The batch endpoint of CONTRACT.md takes a CSV too; JSON arrays go on to the app's own route.
  router.post(
    '/v1/seizures/batch',
    (req, _res, next) => next(isCsv(req) ? undefined : 'router'),
    body,
    handle,
  );
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const e = err as { type?: string };
    if (e?.type === 'entity.too.large') {
      res.status(413).json({
        error: {
          code: 'BODY_TOO_LARGE',
          message: 'the CSV exceeds 20 MB; split it into whole reports (hub import does this for you)',
        },
      });
      return;
    }
    next(err);
  });
  return router;
}
