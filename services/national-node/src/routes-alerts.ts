// The cross-border alerts naming this country that the coordinator sent this node: newest first, a page at a time,
// since a node receives them for as long as it runs. One naming a record erased since (this country's or another's:
// the coordinator orders both erased) is no longer shown nor counted; it keeps its place, so that cursors hold.
import { Router } from 'express';
import { isErased, type InboundStore } from './inbox-store';
import { newestFirst, queryReader } from './query';

const ALERT = 'CrossBorderAlert';

export function alertRoutes(deps: { inbound: InboundStore }): Router {
  const router = Router();
  router.get('/v1/alerts', (req, res) => {
    const query = queryReader(req.query as Record<string, unknown>, ['limit', 'cursor']);
    const alerts = deps.inbound.ofType(ALERT);
    const page = query.page(alerts.length);
    query.check();
    const { page: shown, nextCursor } = newestFirst(alerts, page, (a) => !isErased(a));
    res.json({
      total: alerts.length - deps.inbound.erasedOfType(ALERT),
      alerts: shown.map((a) => a.value),
      ...(nextCursor && { nextCursor }),
    });
  });
  return router;
}
