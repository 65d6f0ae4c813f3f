// Regional feeds: each accepted record, countersigned by the coordinator (its own envelope around the originator's
// unchanged bytes, naming the regions it is for), goes to hub.feed.<region> for every region all of whose members
// may see it under its handling.
// A region's feed is readable by every member, so a record goes there only if nobody in it would be refused.
import type { TopicNames } from '@hub/kafka';
import type { Region } from '@hub/schemas';
import { mayRead, TLP_RANK, type Handled } from '@hub/store';
import type { AlertRecord } from './correlate';
import type { Accepted } from './outcome';
import type { Outgoing } from './outgoing';
import { derivedUuid } from './replies';
import { isRequestMessage } from './requests';

/** Regions whose every member may read a record with this handling. */
export function releasableRegions(handling: Handled, regions: Region[]): string[] {
  // A region with no members (one being set up) gets nothing: "every member may read it" says nothing of who
  // reads its feed, and would let RED records through.
  return regions
    .filter(
      (r) =>
        r.members.length > 0 && r.members.every((m) => mayRead({ country: m, clearance: 'RED' }, handling)),
    )
    .map((r) => r.id);
}

/**
 * A handling a record went out under, with the feeds it went to where the store recorded them (the `feeds` of a
 * version's history entry, persist.ts): a withdrawal or an erasure goes to those, whatever regions.json says now.
 * Without them (a version stored before they were recorded), the feeds are those the handling allows now.
 */
export type PublishedHandling = Handled & { feeds?: string[] };

/** The feeds a record published under `h` went to (see PublishedHandling). */
export function publishedFeeds(h: PublishedHandling, regions: Region[]): string[] {
  return Array.isArray(h.feeds) ? h.feeds : releasableRegions(h, regions);
}

/** Adds to `out` each record and alert for every region's feed it may go to. */
export function feedMessages(
  accepted: Accepted[],
  alerts: AlertRecord[],
  out: Outgoing,
  deps: {
    regions: Region[];
    names: TopicNames;
    now: number;
    /**
     * The handling each record goes out under: a version's own (not its report's as stored now, which a later
     * version may have widened); for a retraction, that of every version of its report with the feeds each went
     * to, so that it reaches every feed any version went to. Empty: no feed (a version that is not, or no longer,
     * its subject's current one, or one claimed before: see coordinator.ts, feedDecisions).
     */
    handlingsOf: (a: Accepted) => PublishedHandling[];
    alertHandling: (alert: AlertRecord) => Handled[];
  },
): void {
  // One countersignature per record for all the feeds it goes to (the record names them): a CLEAR report goes to
  // every region, and signing it once per region made the feeds most of the coordinator's RSA work.
  const push = (regions: string[], key: string, type: string, value: unknown, seed: string) =>
    out.sign(
      regions.map((r) => deps.names.feed(r)),
      key,
      type,
      value,
      derivedUuid(seed),
    );
  for (const a of accepted) {
    // A renewal is bookkeeping between the originator and the coordinator, and a request or its answer is between
    // two countries: neither is a record for the region.
    if (a.envelope.messageType === 'RetentionRenewal' || isRequestMessage(a.envelope.messageType)) continue;
    // Each region once, under the least restricted handling that reached it (most readers there may read it).
    const covered = new Set<string>();
    const handlings = [...deps.handlingsOf(a)].sort((x, y) => TLP_RANK[x.tlp] - TLP_RANK[y.tlp]);
    for (const handling of handlings) {
      const regions = publishedFeeds(handling, deps.regions).filter((r) => !covered.has(r));
      const [first] = regions;
      if (!first) continue;
      push(
        regions,
        a.subjectId,
        'FeedRecord',
        {
          originalEnvelope: a.record.bytes,
          messageType: a.envelope.messageType,
          subjectId: a.subjectId,
          version: a.subjectVersion,
          originCountry: a.envelope.origin,
          region: first,
          regions,
          acceptedAt: deps.now,
          // What a reader of the feed filters by for each subscriber (a retraction has no handling of its own).
          subjectHandling: { tlp: handling.tlp, releasableTo: handling.releasableTo ?? [] },
        },
        covered.size ? `feed:${a.envelope.messageId}:${first}` : `feed:${a.envelope.messageId}`,
      );
      for (const r of regions) covered.add(r);
    }
  }
  for (const alert of alerts) {
    // An alert names reports: it goes only where every one of them may be seen.
    const each = deps.alertHandling(alert).map((h) => releasableRegions(h, deps.regions));
    const regions = deps.regions.map((r) => r.id).filter((id) => each.every((ids) => ids.includes(id)));
    if (regions.length)
      push(regions, alert.alertId, 'CrossBorderAlert', alert, `feed-alert:${alert.alertId}`);
  }
}
