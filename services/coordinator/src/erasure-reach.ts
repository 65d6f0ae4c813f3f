// Where a record's erasure notice goes: hub.erasures (every coordinator instance, and a replay), the originator's
// node, each regional feed a version of the record went on, and the node of every country a cross-border alert
// named the record to (one that may read it: correlate.ts, alertFor), so that it drops that alert. An alert's own
// feeds are among the record's (an alert goes only where every report it names may be read: feeds.ts), which hear
// of the erasure already.
import type { TopicNames } from '@hub/kafka';
import type { Region } from '@hub/schemas';
import { COLLECTIONS, mayRead, type Store } from '@hub/store';
import type { Filter } from 'mongodb';
import { publishedFeeds, type PublishedHandling } from './feeds';

/** A stored alert as an erasure reads it: the reports it names, and the countries it was sent to. */
export interface AlertNaming {
  _id: string;
  matched?: { reportId?: unknown }[];
  countries?: unknown;
}

/**
 * The stored alerts naming any of `ids`, in one find by `matched.reportId` for all of them: on FerretDB every find
 * reads the whole collection, whatever it asks for (a query per id, as findEach makes for a few, is a read each).
 */
export async function alertsNaming(store: Store, ids: readonly string[]): Promise<AlertNaming[]> {
  if (ids.length === 0) return [];
  return store
    .collection<AlertNaming>(COLLECTIONS.alerts)
    .find({ 'matched.reportId': { $in: [...new Set(ids)] } } as Filter<AlertNaming>, {
      projection: { matched: 1, countries: 1 },
    })
    .toArray();
}

/**
 * Per record of `ids`, the countries the alerts naming it were sent to: each alert to every country of its
 * `countries`, the set the coordinator sends it to (coordinator.ts, addFeedsAndAlerts). An alert not marked
 * published counts too: a crash between its send and the mark leaves it sent and unmarked.
 */
export function alertRecipients(
  alerts: readonly AlertNaming[],
  ids: readonly string[],
): Map<string, Set<string>> {
  const out = new Map(ids.map((id) => [id, new Set<string>()]));
  for (const alert of alerts) {
    const countries = Array.isArray(alert.countries)
      ? alert.countries.filter((c): c is string => typeof c === 'string')
      : [];
    for (const m of alert.matched ?? []) {
      const sentTo = typeof m.reportId === 'string' ? out.get(m.reportId) : undefined;
      if (sentTo) for (const c of countries) sentTo.add(c);
    }
  }
  return out;
}

/**
 * The topics a record's erasure notice goes to, each once (the originator is also among the countries of every
 * alert naming its record). Of the countries alerts went to, only those the alert named the record to.
 */
export function erasureTopics(
  names: TopicNames,
  regions: Region[],
  record: {
    originCountry: string;
    /**
     * The handling of each version it was published under, with the feeds it went to where the history recorded
     * them (versionHandlings, persist.ts): those feeds are told, and those regions.json would choose now.
     */
    handlings: Omit<PublishedHandling, 'originCountry'>[];
    /** The countries the alerts naming it were sent to (alertRecipients). */
    alertedCountries: Iterable<string>;
  },
): string[] {
  // A country an alert went to was told of the record only if it may read some version of it (correlate.ts,
  // alertFor): one its copy withheld it from is not told of its erasure either, which would name it.
  const toldOf = (country: string) =>
    record.handlings.some((h) =>
      mayRead({ country, clearance: 'RED' }, { originCountry: record.originCountry, ...h }),
    );
  const feeds = record.handlings.flatMap((h) =>
    publishedFeeds({ originCountry: record.originCountry, ...h }, regions),
  );
  return [
    ...new Set([
      names.erasures,
      names.nodeIn(record.originCountry),
      ...[...record.alertedCountries].filter(toldOf).map((c) => names.nodeIn(c)),
      ...feeds.map((r) => names.feed(r)),
    ]),
  ];
}
