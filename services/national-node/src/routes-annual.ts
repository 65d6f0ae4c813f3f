// POST /v1/annual-returns (a country's yearly seizure totals by drug, World Drug Report annex shape) and
// POST /v1/routes (a trafficking route as the agency understands it).
import { Router } from 'express';
import { annualReturnFromJson, routeReportFromJson } from '@hub/domain';
import { clientOf } from './client-auth';
import type { ReportsIndex } from './reports-index';
import type { Submitter } from './submit';

export function annualRoutes(deps: {
  country: string;
  submitter: Submitter;
  reports: ReportsIndex;
  regions: ReadonlySet<string>;
  clock: () => number;
  onAccepted?: (n: number) => void;
}): Router {
  const router = Router();
  router.post('/v1/annual-returns', async (req, res) => {
    const { value, normalisations } = annualReturnFromJson(req.body, {
      nodeCountry: deps.country,
      now: deps.clock(),
      versionOf: (id) => deps.reports.next(id),
      regions: deps.regions,
      client: clientOf(res),
    });
    const { messageId } = await deps.submitter.submit('AnnualSeizureReturn', value.returnId, value);
    deps.reports.record(value.returnId, value.version, undefined, messageId);
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
    const { value, normalisations } = routeReportFromJson(req.body, {
      nodeCountry: deps.country,
      now: deps.clock(),
      versionOf: (id) => deps.reports.next(id),
      idOf: (id) => deps.reports.idOf(id),
      regions: deps.regions,
      client: clientOf(res),
    });
    const { messageId } = await deps.submitter.submit('TraffickingRoute', value.routeId, value);
    deps.reports.record(value.routeId, value.version, undefined, messageId);
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
