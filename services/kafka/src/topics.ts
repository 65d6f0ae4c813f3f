// Topic names of DESIGN.md's topic table, with an optional namespace prefix shared by groups and the store.

const COUNTRY = /^[A-Z]{2}$/;
const REGION = /^[a-z][a-z0-9-]{1,40}$/;

export interface TopicNames {
  /** Signed envelopes written by national node `cc` only. */
  nodeOut(cc: string): string;
  /** Receipts, alerts and requests for national node `cc`. */
  nodeIn(cc: string): string;
  /** Countersigned, releasable records for the members of `region`. */
  feed(region: string): string;
  quarantine: string;
  /** Compacted: certificates and revocations, keyed by certificate fingerprint. */
  pki: string;
  /** Compacted: the coordinator's signed erasure notices, keyed by subject id; replicas and replays honour them. */
  erasures: string;
  /** Matches every node's out topic, so a new country is picked up without a restart. */
  nodeOutPattern: RegExp;
  /** The country of a node topic, or undefined when `topic` is not one. */
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
  const nodeTopic = new RegExp(`^${esc}hub\\.node\\.([A-Z]{2})\\.(out|in)$`);
  const checkCountry = (cc: string) => {
    if (!COUNTRY.test(cc)) throw new Error(`not an ISO 3166-1 alpha-2 code: ${JSON.stringify(cc)}`);
    return cc;
  };
  return {
    nodeOut: (cc) => `${p}hub.node.${checkCountry(cc)}.out`,
    nodeIn: (cc) => `${p}hub.node.${checkCountry(cc)}.in`,
    feed: (region) => {
      if (!REGION.test(region)) throw new Error(`not a region id: ${JSON.stringify(region)}`);
      return `${p}hub.feed.${region}`;
    },
    quarantine: `${p}hub.quarantine`,
    pki: `${p}hub.pki`,
    erasures: `${p}hub.erasures`,
    nodeOutPattern: new RegExp(`^${esc}hub\\.node\\.[A-Z]{2}\\.out$`),
    countryOf: (topic) => nodeTopic.exec(topic)?.[1],
    group: (name) => `${p}${name}`,
    nodeTopicPrefix: `${p}hub.node.`,
    feedPrefix: `${p}hub.feed.`,
  };
}
