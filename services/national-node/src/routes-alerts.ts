// The cross-border alerts naming this country that the coordinator sent this node: newest first, a page at a time,
// since a node receives them for as long as it runs.
import { Router } from 'express';
import type { InboundStore } from './inbox-store';
import { newestFirst, queryReader } from './query';

export function alertRoutes(deps: { inbound: InboundStore }): Router {
  const router = Router();
  router.get('/v1/alerts', (req, res) => {
    const query = queryReader(req.query as Record<string, unknown>, ['limit', 'cursor']);
    const alerts = deps.inbound.ofType('CrossBorderAlert');
    const page = query.page(alerts.length);
    query.check();
    const { page: shown, nextCursor } = newestFirst(alerts, page);
    res.json({ total: alerts.length, alerts: shown.map((a) => a.value), ...(nextCursor && { nextCursor }) });
  });
  return router;
}
