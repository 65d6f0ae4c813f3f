// Regional feeds: each accepted record, countersigned by the coordinator (its own envelope around the originator's
// unchanged bytes, naming the regions it is for), goes to hub.feed.<region> for every region all of whose members
// may see it under its handling.
// A region's feed is readable by every member, so a record goes there only if nobody in it would be refused.
import type { TopicNames } from '@hub/kafka';
import type { Region } from '@hub/schemas';
import { mayRead, TLP_RANK, type Handled } from '@hub/store';
import type { AlertRecord } from './correlate';
import { storedHandling } from './documents';
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
 * version's history entry, persist.ts; of a feed decision, feedDecisions). Without them (a version stored before
 * they were recorded), the feeds are those the handling allows now.
 */
export type PublishedHandling = Handled & { feeds?: string[] };

/**
 * The feeds a withdrawal or an erasure of a record published under `h` goes to: those it went to (where recorded),
 * and those the handling allows now. The recorded ones, whatever regions.json says now; the others too, because a
 * region may have been started afresh under a new id, or a country moved to another region, since (README): the
 * readers who had the record under the old id may read the new one, and every member of a region the handling allows
 * now may read the record anyway, so telling them leaks nothing.
 */
export function publishedFeeds(h: PublishedHandling, regions: Region[]): string[] {
  const now = releasableRegions(h, regions);
  return Array.isArray(h.feeds) ? [...new Set([...h.feeds, ...now])] : now;
}

/**
 * The feeds a version goes out to under `h`: those its feed decision recorded when it was stored (the same as its
 * history entry's), so that a chunk answered from its locked stage after a restart across a change of regions.json
 * sends where the history says it went (and its withdrawal, which goes to the history's feeds, follows it there). Not
 * a recorded region that is still in regions.json but has a member now that may not read the record (one added
 * since): a record published now is judged against the members it has now. (One no longer in regions.json keeps its
 * topic, which no node reads any more.)
 */
export function versionFeeds(h: PublishedHandling, regions: Region[]): string[] {
  const now = releasableRegions(h, regions);
  if (!Array.isArray(h.feeds)) return now;
  const known = new Set(regions.map((r) => r.id));
  return h.feeds.filter((f) => !known.has(f) || now.includes(f));
}

/**
 * A version's own handling (not its report's as stored now, which a later version may have widened), with its origin
 * and the feeds it goes to by `regions` (those its history entry records, persist.ts); undefined for a message that
 * has no handling of its own (a withdrawal).
 */
export function ownHandling(a: Accepted, regions: Region[]): PublishedHandling | undefined {
  const own = a.value.handling;
  if (a.envelope.messageType === 'SeizureRetraction' || !own || typeof own !== 'object') return undefined;
  const h: Handled = {
    originCountry: a.envelope.origin,
    ...storedHandling(own as Record<string, unknown>, regions),
  };
  return { ...h, feeds: releasableRegions(h, regions) };
}

/** Where a chunk's handlings record that a version goes on the feeds (feedDecisions), under its own handling. */
export const feedKey = (a: Accepted) => `feed:${a.subjectId}:${a.envelope.messageId}`;

/**
 * Which versions of a chunk go on the feeds, each under its own handling with the feeds decided now (ownHandling),
 * keyed by feedKey: recorded with the chunk's handlings in its locked stage (resume.ts), so that a chunk answered from
 * there after a crash sends the same. Only a version that is its subject's current one once the batch is stored
 * (persist.ts, `feedable`): an older version re-driven from quarantine or re-sent after a later one, or after its
 * report's withdrawal, would put on the feeds what the originator has replaced or withdrawn, and no later record would
 * undo it. Of those, the versions this batch claimed; one this very message had claimed before (a node re-sending its
 * log, a re-drive of a copy accepted since) went out then and is not sent again (its receipt is, the same as before),
 * unless the chunk may be the redelivery of a chunk stored and never answered (`redelivered`: coordinator.ts).
 */
export function feedDecisions(
  accepted: Accepted[],
  feedable: Map<Accepted, 'new' | 'again'>,
  redelivered: boolean,
  regions: Region[],
): Map<string, PublishedHandling> {
  return new Map(
    accepted.flatMap((a) => {
      const how = feedable.get(a);
      const h = how === 'new' || (how === 'again' && redelivered) ? ownHandling(a, regions) : undefined;
      return h ? [[feedKey(a), h] as const] : [];
    }),
  );
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
      const regions = (a.envelope.messageType === 'SeizureRetraction' ? publishedFeeds : versionFeeds)(
        handling,
        deps.regions,
      ).filter((r) => !covered.has(r));
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
