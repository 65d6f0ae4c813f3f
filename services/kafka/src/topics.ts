// Topic names of DESIGN.md's topic table, with an optional namespace prefix shared by groups and the store.

const COUNTRY = /^[A-Z]{2}$/;
/** The coordination node's origin code (HUB_ORIGIN of @hub/envelope, which this package does not depend on). */
const HUB = 'HUB';
const REGION = /^[a-z][a-z0-9-]{1,40}$/;

export interface TopicNames {
  /** Signed envelopes written by national node `cc` only. */
  nodeOut(cc: string): string;
  /** Receipts, alerts and requests for national node `cc`. */
  nodeIn(cc: string): string;
  /**
   * The coordination node's own signed messages (the information requests it makes, origin HUB): written by the
   * coordinator only and read by its intake like a national node's out topic, so that a replay rebuilds them too.
   */
  hubOut: string;
  /** Countersigned, releasable records for the members of `region`. */
  feed(region: string): string;
  quarantine: string;
  /** Compacted: certificates and revocations, keyed by certificate fingerprint. */
  pki: string;
  /** Compacted: the coordinator's signed erasure notices, keyed by subject id; replicas and replays honour them. */
  erasures: string;
  /** Matches every node's out topic (the coordination node's too), so a new country is picked up without a restart. */
  nodeOutPattern: RegExp;
  /** The country of a node topic (HUB for the coordination node's), or undefined when `topic` is not one. */
  countryOf(topic: string): string | undefined;
  /** A consumer-group id under this namespace. */
  group(name: string): string;
  /** What every node topic name (in and out) starts with, for prefixed ACLs. */
  nodeTopicPrefix: string;
  /** What every feed topic name starts with, for prefixed ACLs. */
  feedPrefix: string;
}

export function topicNames(namespace = ''): TopicNames {
  const p = namespace ? `${namespace}.` : '';
  const esc = p.replace(/[.]/g, '\\.').replace(/-/g, '\\-');
  const nodeTopic = new RegExp(`^${esc}hub\\.node\\.(?:([A-Z]{2})\\.(?:out|in)|(HUB)\\.out)$`);
  const checkCountry = (cc: string) => {
    if (!COUNTRY.test(cc)) throw new Error(`not an ISO 3166-1 alpha-2 code: ${JSON.stringify(cc)}`);
    return cc;
  };
  return {
    nodeOut: (cc) => `${p}hub.node.${checkCountry(cc)}.out`,
    nodeIn: (cc) => `${p}hub.node.${checkCountry(cc)}.in`,
    hubOut: `${p}hub.node.${HUB}.out`,
    feed: (region) => {
      if (!REGION.test(region)) throw new Error(`not a region id: ${JSON.stringify(region)}`);
      return `${p}hub.feed.${region}`;
    },
    quarantine: `${p}hub.quarantine`,
    pki: `${p}hub.pki`,
    erasures: `${p}hub.erasures`,
    nodeOutPattern: new RegExp(`^${esc}hub\\.node\\.(?:[A-Z]{2}|${HUB})\\.out$`),
    countryOf: (topic) => {
      const m = nodeTopic.exec(topic);
      return m ? (m[1] ?? m[2]) : undefined;
    },
    group: (name) => `${p}${name}`,
    nodeTopicPrefix: `${p}hub.node.`,
    feedPrefix: `${p}hub.feed.`,
  };
}
