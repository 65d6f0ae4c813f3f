// The digests by which the node knows content it was given before (a client that lost its answer, a CSV imported
// again after a crash): kept with the version the content made, so that the very same content is answered with that
// version instead of being signed again as the next one.
import { createHash } from 'node:crypto';
import type { SeizureReportRecord } from '@hub/domain';
import { ValidationError } from '@hub/errors';
import { stableJson } from '@hub/schemas';

/** The digest of `text` as the reports index keeps it (32 hex digits, no spaces). */
export function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/**
 * The digest by which the same JSON body sent again is known; a body too deeply nested to serialise is refused.
 * `what`: what such a body is, as the refusal names it.
 */
export function bodyDigest(body: unknown, what = 'a report'): string {
  let text: string;
  try {
    text = JSON.stringify(body) ?? '';
  } catch (err) {
    // JSON.parse takes nesting that JSON.stringify overflows the stack on (thousands of levels in an unknown field).
    if (!(err instanceof RangeError)) throw err;
    throw new ValidationError([
      {
        field: '(body)',
        message: `is nested too deeply to be read (${what} is a few levels deep): leave out the deeply nested field`,
      },
    ]);
  }
  return digestOf(text);
}

/**
 * The digest of the report a CSV's rows made: of all it says but what the import adds to it (its version, when the
 * node took it, the channel and client it came by, which a JSON body's digest leaves out too). The same rows with the
 * same stand-ins (agency, tlp, ...) give the same digest, imported again over HTTP or through the inbox; a changed cell
 * or stand-in that reaches the report does not. Of the report, not of the cells: its cells may be spelt another way
 * (a date as 01.04.2026 or 2026-04-01) and still say the same. Prefixed, so that it never equals a JSON body's.
 */
export function csvReportDigest(report: SeizureReportRecord): string {
  const {
    version: _version,
    supersedesVersion: _supersedes,
    reportedAt: _reportedAt,
    reportingChannel: _channel,
    submittedBy: _client,
    ...content
  } = report;
  return digestOf(`csv report\n${stableJson(content)}`);
}

/** The digest of a CSV row that withdraws its report: the same row imported again withdraws it once. */
export function csvRetractionDigest(reason: string): string {
  return digestOf(`csv retraction\n${reason}`);
}
