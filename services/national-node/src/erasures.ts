// The coordinator's erasure orders at the node: the inbox applies each to what it holds (inbox-store.ts); here they
// reach the version index, for this country's records (their normalisation notes forgotten, a re-post answered), and
// the log, for every order (one for another country's record, sent because its alerts named that record, drops those
// alerts and is not listed at /v1/retention/erasures).
import type { Logger } from '@hub/observability';
import type { ErasureOrder } from './erasure-order';
import type { InboundStore } from './inbox-store';
import type { ReportsIndex } from './reports-index';

export interface ErasureFollower {
  /** Rewrites the notes file without what erasures since the last call forgot (errors are logged: tried again next). */
  compact(): void;
}

/**
 * Applies the orders the inbox holds to `reports` now (read back at start), and each one the inbox takes from now on.
 * Run before the inbox takes anything new.
 */
export function followErasures(deps: {
  inbound: InboundStore;
  reports: ReportsIndex;
  country: string;
  logger: Logger;
}): ErasureFollower {
  const { inbound, reports, country, logger } = deps;
  const own = (order: ErasureOrder) => order.originCountry === country;
  const compact = () => {
    try {
      reports.compactNotes();
    } catch (err) {
      logger.warn(
        { err },
        'the normalisation notes of erased records could not be rewritten out yet; tried again',
      );
    }
  };

  const orders = inbound.erasureOrders();
  for (const order of orders) if (own(order)) reports.erase(order);
  compact();
  if (inbound.rewriteError)
    logger.error(
      { err: inbound.rewriteError },
      'the inbox file still holds content of erased records: its rewrite failed (tried again at the next start)',
    );
  if (orders.length)
    logger.info(
      {
        own: orders.filter(own).length,
        othersApplied: orders.filter((o) => !own(o)).length,
        inboxLinesRewritten: inbound.rewrittenAtStart,
      },
      'erasure orders read back and applied',
    );

  let othersApplied = 0;
  inbound.onErasure((order, erased) => {
    const at = { erasureId: order.erasureId, subjectId: order.subjectId, versionsUpTo: order.versionsUpTo };
    // Their lines keep the content in the file until the node restarts (inbox-store.ts says why).
    const untilRestart = inbound.erasedLinesInFile;
    if (own(order)) {
      reports.erase(order);
      logger.info(
        { ...at, ...erased, inboxLinesUntilRestart: untilRestart },
        'record erased at this node: its receipts, normalisation notes and the alerts naming it',
      );
      return;
    }
    othersApplied++;
    logger.info(
      { ...at, originCountry: order.originCountry, alerts: erased.alerts, othersApplied },
      "another country's record erased: the alerts naming it dropped (the order is not listed at this node)",
    );
  });
  return { compact };
}
