// POST /v1/annual-returns (a country's yearly seizure totals by drug, World Drug Report annex shape) and
// POST /v1/routes (a trafficking route as the agency understands it).
import { Router } from 'express';
import { annualReturnFromJson, routeReportFromJson } from '@hub/domain';
import { clientOf } from './client-auth';
import { turnsOf } from './report-turns';
import type { ReportsIndex } from './reports-index';
import { createBookkeeping, submitterOf, type Bookkeeping, type Submitter } from './submit';

export function annualRoutes(deps: {
  country: string;
  submitter: Submitter;
  reports: ReportsIndex;
  regions: ReadonlySet<string>;
  clock: () => number;
  onAccepted?: (n: number) => void;
  /** Once a record is in the outbox its version is written down here: a failure is not answered as a refusal. */
  bookkeeping?: Bookkeeping;
}): Router {
  const router = Router();
  const bookkeeping = deps.bookkeeping ?? createBookkeeping(undefined);
  const turns = turnsOf(deps.reports);
  /**
   * `normalise` read once to find the record's id (reserving nothing), then again in the record's turn with its version
   * reserved, and sent: two bodies of one record at once are numbered and signed in the order they are taken. `type`:
   * the kind of record, kept in the version index (a withdrawal of a route or a return is refused by it).
   */
  const inTurn = async <T extends { version: number }>(
    type: 'TraffickingRoute' | 'AnnualSeizureReturn',
    normalise: (versionOf: (id: string) => number) => { value: T; normalisations: unknown },
    idOf: (value: T) => string,
    send: (value: T) => Promise<{ messageId: string }>,
  ) => {
    // Its normalisations are the first reading's (a route id given in capitals is noted there only).
    const first = normalise((i) => deps.reports.latest(i) + 1);
    const id = idOf(first.value);
    return turns.run(id, async () => {
      const { value } = normalise((i) => deps.reports.next(i));
      const { messageId } = await send(value);
      bookkeeping('the version of a record', { recordId: id, version: value.version, messageId }, () =>
        deps.reports.record(id, value.version, undefined, messageId, undefined, type),
      );
      return { value, normalisations: first.normalisations, messageId };
    });
  };
  router.post('/v1/annual-returns', async (req, res) => {
    const { value, normalisations, messageId } = await inTurn(
      'AnnualSeizureReturn',
      (versionOf) =>
        annualReturnFromJson(req.body, {
          nodeCountry: deps.country,
          now: deps.clock(),
          versionOf,
          regions: deps.regions,
          client: clientOf(res),
        }),
      (v) => v.returnId,
      (v) => submitterOf(res, deps.submitter).submit('AnnualSeizureReturn', v.returnId, v),
    );
    deps.onAccepted?.(1);
    res.status(202).json({
      returnId: value.returnId,
      version: value.version,
      country: value.country,
      year: value.year,
      rows: value.rows.length,
      messageId,
      status: 'queued',
      normalisations,
    });
  });
  router.post('/v1/routes', async (req, res) => {
    // A new route's id is made by the first reading: the second reads it as given.
    let body = req.body as unknown;
    const { value, normalisations, messageId } = await inTurn(
      'TraffickingRoute',
      (versionOf) => {
        const read = routeReportFromJson(body, {
          nodeCountry: deps.country,
          now: deps.clock(),
          versionOf,
          idOf: (id) => deps.reports.idOf(id),
          regions: deps.regions,
          client: clientOf(res),
        });
        if (body && typeof body === 'object' && !Array.isArray(body))
          body = { ...(body as Record<string, unknown>), routeId: read.value.routeId };
        return read;
      },
      (v) => v.routeId,
      (v) => submitterOf(res, deps.submitter).submit('TraffickingRoute', v.routeId, v),
    );
    deps.onAccepted?.(1);
    res.status(202).json({
      routeId: value.routeId,
      version: value.version,
      legs: value.legs.length,
      messageId,
      status: 'queued',
      normalisations,
    });
  });
  return router;
}
