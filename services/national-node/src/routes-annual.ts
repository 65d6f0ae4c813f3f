// POST /v1/annual-returns: a country's yearly seizure totals by drug (World Drug Report annex shape).
import { Router } from 'express';
import { annualReturnFromJson } from '@hub/domain';
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
    });
    const { messageId } = await deps.submitter.submit('AnnualSeizureReturn', value.returnId, value);
    deps.reports.record(value.returnId, value.version);
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
  return router;
}
