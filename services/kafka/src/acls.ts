// The broker security profile's ACLs: DESIGN.md's topic table ("written by / read by") as Kafka ACLs, one
// SCRAM principal per national node, the coordinator and the query API of each hub (namespace) on the cluster.
// Pure: provisioning applies the plan.
import kafkajs, { type AclEntry, type AclFilter, type DescribeAclResource } from 'kafkajs';
import type { TopicNames } from './topics';

/** kafkajs' ACL entry (one principal, host, operation and permission on one resource pattern): what a broker holds. */
export type { AclEntry };

// kafkajs is CommonJS and its enums are not detectable as named ESM exports.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

/**
 * The cluster's own principals, one each whatever hubs share the cluster: the super users (`super.users`). `hub-admin`
 * is the cluster operator's (a per-hub admin would be no boundary: whoever may create ACLs may grant itself anything);
 * `hub-broker` is what a broker certificate maps to.
 */
export const PRINCIPALS = {
  admin: 'hub-admin',
  broker: 'hub-broker',
} as const;

/** The principals (SCRAM user names) of one hub's services: its coordinator, its query API, one per national node. */
export interface HubPrincipals {
  coordinator: string;
  queryApi: string;
  node(cc: string): string;
}

/**
 * The principals of the hub whose topics `names` names. Under a namespace they carry it as the hub's consumer groups do
 * (`<ns>.coordinator`, `<ns>.query-api`, `<ns>.node-KZ`): Kafka's principals and SCRAM credentials are the cluster's,
 * so hubs sharing one would otherwise share every principal, each hub's grants adding up on it. Without a namespace,
 * the plain names (`coordinator`, `query-api`, `node-KZ`).
 */
export function hubPrincipals(names: TopicNames): HubPrincipals {
  // names.group(x) is `<ns>.x`, or x without a namespace.
  return {
    coordinator: names.group('coordinator'),
    queryApi: names.group('query-api'),
    node: (cc) => names.group(nodeName(cc)),
  };
}

/** National node `cc`'s principal in the hub of `names` (`node-KZ`, or `<ns>.node-KZ`). */
export function nodePrincipal(names: TopicNames, cc: string): string {
  return hubPrincipals(names).node(cc);
}

/** The principals of these countries' hub services (coordinator, query API, nodes): not the cluster's own. */
export function servicePrincipals(names: TopicNames, countries: string[]): string[] {
  const p = hubPrincipals(names);
  return [p.coordinator, p.queryApi, ...countries.map(p.node)];
}

/** `node-<CC>`: a national node's name, before any namespace (its principal's, and the start of its groups'). */
function nodeName(cc: string): string {
  if (!/^[A-Z]{2}$/.test(cc)) throw new Error(`not an ISO 3166-1 alpha-2 code: ${JSON.stringify(cc)}`);
  return `node-${cc}`;
}

export type AclOperation = 'read' | 'write' | 'describe' | 'describe-configs' | 'idempotent-write';

/** One grant: a principal may do `operations` on a resource (allow only; anything not granted is refused). */
export interface HubAcl {
  principal: string;
  resourceType: 'topic' | 'group' | 'cluster';
  pattern: 'literal' | 'prefixed';
  name: string;
  operations: AclOperation[];
}

export interface RegionMembers {
  id: string;
  members: string[];
}

const CLUSTER = 'kafka-cluster';

const topic = (principal: string, name: string, operations: AclOperation[]): HubAcl => ({
  principal,
  resourceType: 'topic',
  pattern: 'literal',
  name,
  operations,
});
const prefixed = (
  principal: string,
  type: 'topic' | 'group',
  name: string,
  operations: AclOperation[],
): HubAcl => ({
  principal,
  resourceType: type,
  pattern: 'prefixed',
  name,
  operations,
});
const idempotentProducer = (principal: string): HubAcl => ({
  principal,
  resourceType: 'cluster',
  pattern: 'literal',
  name: CLUSTER,
  operations: ['idempotent-write'],
});

/**
 * National node `cc`: writes only its own out topic and its certificate announcements on hub.pki; reads only
 * its own in topic, hub.pki and the feeds of the regions it belongs to; joins only groups named `node-<CC>-...`.
 */
export function nodeAcls(names: TopicNames, cc: string, regions: RegionMembers[]): HubAcl[] {
  const p = nodePrincipal(names, cc);
  return [
    topic(p, names.nodeOut(cc), ['write', 'describe']),
    topic(p, names.nodeIn(cc), ['read', 'describe']),
    topic(p, names.pki, ['read', 'write', 'describe']),
    ...regions
      .filter((r) => r.members.includes(cc))
      .map((r) => topic(p, names.feed(r.id), ['read', 'describe'])),
    prefixed(p, 'group', names.group(`${nodeName(cc)}-`), ['read', 'describe']),
    idempotentProducer(p),
  ];
}

/**
 * The coordinator: reads every node's out topic (prefixed, so a new country needs no grant to be read), writes
 * the in topic of each onboarded country (literal: it must not write as a node), its own out topic (the requests
 * the coordination node makes), the feeds, quarantine, pki and erasures. It reads the configuration of the topics
 * whose records must be kept (the node topics, its own, the feeds, quarantine, pki), so that it warns at start of
 * one that would let them expire or be compacted away (DescribeConfigs only: it changes none).
 */
export function coordinatorAcls(names: TopicNames, countries: string[]): HubAcl[] {
  const p = hubPrincipals(names).coordinator;
  return [
    prefixed(p, 'topic', names.nodeTopicPrefix, ['read', 'describe', 'describe-configs']),
    ...countries.map((cc) => topic(p, names.nodeIn(cc), ['write', 'describe'])),
    topic(p, names.hubOut, ['write', 'describe']),
    prefixed(p, 'topic', names.feedPrefix, ['write', 'describe', 'describe-configs']),
    topic(p, names.quarantine, ['read', 'write', 'describe', 'describe-configs']),
    topic(p, names.pki, ['read', 'write', 'describe', 'describe-configs']),
    topic(p, names.erasures, ['read', 'write', 'describe']),
    prefixed(p, 'group', names.group('coordinator'), ['read', 'describe']),
    idempotentProducer(p),
  ];
}

/** The query API: reads the feeds (it filters them per subscriber) and hub.pki; writes nothing. */
export function queryApiAcls(names: TopicNames): HubAcl[] {
  const p = hubPrincipals(names).queryApi;
  return [
    prefixed(p, 'topic', names.feedPrefix, ['read', 'describe']),
    topic(p, names.pki, ['read', 'describe']),
    prefixed(p, 'group', names.group('query-api-'), ['read', 'describe']),
  ];
}

/** Everything the hub needs for these countries: the coordinator's, the query API's and one set per node. */
export function hubAcls(names: TopicNames, countries: string[], regions: RegionMembers[]): HubAcl[] {
  return [
    ...coordinatorAcls(names, countries),
    ...queryApiAcls(names),
    ...countries.flatMap((cc) => nodeAcls(names, cc, regions)),
  ];
}

const OPERATION: Record<AclOperation, kafkajs.AclOperationTypes> = {
  read: AclOperationTypes.READ,
  write: AclOperationTypes.WRITE,
  describe: AclOperationTypes.DESCRIBE,
  'describe-configs': AclOperationTypes.DESCRIBE_CONFIGS,
  'idempotent-write': AclOperationTypes.IDEMPOTENT_WRITE,
};
const RESOURCE: Record<HubAcl['resourceType'], kafkajs.AclResourceTypes> = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  cluster: AclResourceTypes.CLUSTER,
};

/** The plan as kafkajs `admin.createAcls` entries (one per operation). */
export function toAclEntries(acls: HubAcl[]): AclEntry[] {
  return acls.flatMap((acl) =>
    acl.operations.map((op) => ({
      principal: `User:${acl.principal}`,
      host: '*',
      operation: OPERATION[op],
      permissionType: AclPermissionTypes.ALLOW,
      resourceType: RESOURCE[acl.resourceType],
      resourceName: acl.name,
      resourcePatternType:
        acl.pattern === 'prefixed' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
    })),
  );
}

const CLI_OPERATION: Record<AclOperation, string> = {
  read: 'Read',
  write: 'Write',
  describe: 'Describe',
  'describe-configs': 'DescribeConfigs',
  'idempotent-write': 'IdempotentWrite',
};

/**
 * The same grant as arguments of Kafka's `kafka-acls.sh`: `--add` it (the production bootstrap script), or
 * `--remove` it (`--force`: the script has no one to answer kafka-acls.sh's question; removing a grant that is not
 * there changes nothing, so the line can run again).
 */
export function toAclCommandArgs(acl: HubAcl, action: 'add' | 'remove' = 'add'): string[] {
  const resource = acl.resourceType === 'cluster' ? ['--cluster'] : [`--${acl.resourceType}`, acl.name];
  return [
    ...(action === 'add' ? ['--add'] : ['--remove', '--force']),
    '--allow-principal',
    `User:${acl.principal}`,
    ...acl.operations.flatMap((op) => ['--operation', CLI_OPERATION[op]]),
    ...resource,
    ...(acl.pattern === 'prefixed' ? ['--resource-pattern-type', 'prefixed'] : []),
  ];
}

/**
 * The feed grants these countries' nodes must not hold: READ and DESCRIBE on the feed of each region they are not
 * a member of. Rendered as `kafka-acls.sh --remove` lines, they take away what an earlier rendering granted to a
 * country since removed from a region (its node would otherwise go on reading that region's feed). A region dropped
 * from the configuration altogether is not known here: `diffAcls` against the live cluster's grants (`hub security
 * apply` as hub-admin) finds them.
 */
export function unentitledFeedAcls(
  names: TopicNames,
  countries: string[],
  regions: RegionMembers[],
): HubAcl[] {
  return countries.flatMap((cc) =>
    regions
      .filter((r) => !r.members.includes(cc))
      .map((r) => topic(nodePrincipal(names, cc), names.feed(r.id), ['read', 'describe'])),
  );
}

// Diffing the grants the configuration wants against those a broker holds (kafkajs describeAcls), so that applying
// the plan also takes away what it no longer gives: a country removed from a region must stop reading its feed.

/**
 * A hub service's principal, of any namespace or none (HUB_NAMESPACE's rule): `User:[<ns>.]node-<CC>`,
 * `User:[<ns>.]coordinator`, `User:[<ns>.]query-api`. Groups: 1 the namespace, 2 the service, 3 a node's country.
 */
const SERVICE_PRINCIPAL = /^User:(?:([a-z0-9][a-z0-9-]{0,40})\.)?(node-([A-Z]{2})|coordinator|query-api)$/;

/** One ACL entry as a string that is equal for equal entries (every field that Kafka compares). */
export function aclEntryKey(e: AclEntry): string {
  return [
    e.principal,
    e.host,
    e.operation,
    e.permissionType,
    e.resourceType,
    e.resourcePatternType,
    e.resourceName,
  ].join('|');
}

/** A describeAcls filter for every ACL on the broker, or every one of `principal` (`User:<ns>.node-KZ`). */
export function aclFilterOfEvery(principal?: string): AclFilter {
  return {
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
    ...(principal === undefined ? {} : { principal }),
  };
}

/** A describeAcls answer as one entry per (resource, principal, host, operation, permission). */
export function aclEntriesOf(described: { resources: DescribeAclResource[] }): AclEntry[] {
  return described.resources.flatMap((r) =>
    r.acls.map((a) => ({
      principal: a.principal,
      host: a.host,
      operation: a.operation,
      permissionType: a.permissionType,
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      resourcePatternType: r.resourcePatternType,
    })),
  );
}

/** Whether a topic or group pattern covers any resource of this namespace that the hub gives its services. */
function coversHubResource(names: TopicNames, e: AclEntry): boolean {
  const prefixed = e.resourcePatternType === ResourcePatternTypes.PREFIXED;
  const literal = e.resourcePatternType === ResourcePatternTypes.LITERAL;
  if (!prefixed && !literal) return false;
  // A literal '*' is Kafka's wildcard: every resource of its type. A topic or group one covers this namespace's (and
  // every country's topics: the hub takes it away); one on another type (a transactional id, a user) is not the hub's.
  const wildcard = literal && e.resourceName === '*';
  const name = e.resourceName;
  if (e.resourceType === AclResourceTypes.TOPIC) {
    if (wildcard) return true;
    const families = [names.nodeTopicPrefix, names.feedPrefix];
    const singles = [names.pki, names.quarantine, names.erasures];
    if (families.some((f) => name.startsWith(f)) || singles.includes(name)) return true;
    // A prefix shorter than the hub's own (`hub.`, say) covers them too.
    return prefixed && [...families, ...singles].some((t) => t.startsWith(name));
  }
  if (e.resourceType === AclResourceTypes.GROUP) return wildcard || coversHubGroup(names, name, prefixed);
  return false;
}

/**
 * Whether a group name (literal) or prefix covers a consumer group of this namespace's services: the coordinator's
 * (`coordinator...`: its intake group among them), the query API's (`query-api-...`) or a node's (`node-<CC>-...`).
 * A node in one of them could join it and take its partitions. Under a namespace every name tested starts with its
 * own `<ns>.`, so another namespace's groups are never counted. Without one, a name with a dot is another
 * namespace's (`coordinator-eu.coordinator` starts with `coordinator` too): a namespace has no dot, and neither has
 * any group the hub makes (service and replay names, region ids, country codes, hex).
 */
function coversHubGroup(names: TopicNames, name: string, prefixed: boolean): boolean {
  const namespaced = names.group('') !== '';
  if (!namespaced && name.includes('.')) return false;
  const services = [names.group('coordinator'), names.group('query-api-')];
  const nodes = names.group('node-');
  // Inside a family: `coordinator`, `coordinator-pki-...`, `query-api-feed-...`, `node-KG-inbound`.
  if (services.some((f) => name.startsWith(f))) return true;
  const country = name.startsWith(nodes) ? name.slice(nodes.length) : undefined;
  if (country !== undefined && /^[A-Z]{2}-/.test(country)) return true;
  if (!prefixed) return false;
  // A prefix covering a whole family (`coord`, `node-`, `n`), or the groups of some country (`node-K`, `node-KG`).
  return [...services, nodes].some((f) => f.startsWith(name)) || /^[A-Z]{0,2}$/.test(country ?? '-');
}

/**
 * Whether the hub manages this entry, and so may take it away: an ALLOW on a topic or consumer group of this
 * namespace held by a national node's principal of any namespace (`User:node-<CC>`, `User:<ns>.node-<CC>`), or by
 * another namespace's coordinator or query API (hubs sharing a cluster cannot reach each other's; until 2026-12-07 every
 * hub's services were the same principals, which may still hold what an earlier plan gave them here). Never this
 * namespace's coordinator's or query API's, never an operator's own, never a DENY (removing one would widen access),
 * never the cluster (the idempotent-write grant every producer needs), never another namespace's resources.
 */
export function isManagedNodeGrant(names: TopicNames, e: AclEntry): boolean {
  const service = SERVICE_PRINCIPAL.exec(e.principal)?.[2];
  if (service === undefined) return false;
  // This namespace's own coordinator or query API: its grants beyond the plan are the operator's choice.
  const ownService = !service.startsWith('node-') && e.principal === `User:${names.group(service)}`;
  return !ownService && e.permissionType === AclPermissionTypes.ALLOW && coversHubResource(names, e);
}

/** The countries whose nodes (this namespace's principals) hold grants the hub manages in this namespace. */
export function nodesHoldingGrants(names: TopicNames, existing: AclEntry[]): string[] {
  const countries = existing.flatMap((e) => {
    const cc = SERVICE_PRINCIPAL.exec(e.principal)?.[3];
    // Another namespace's node, or one named before principals carried the namespace, is due nothing here.
    const ours = cc !== undefined && e.principal === `User:${nodePrincipal(names, cc)}`;
    return ours && isManagedNodeGrant(names, e) ? [cc] : [];
  });
  return [...new Set(countries)].sort();
}

/**
 * What `hub security apply` wants on a broker that holds `existing`: every grant of `countries` (DESIGN.md's topic
 * table), and, of each other node holding grants in this namespace (onboarded with `hub security grant`, or named
 * in an earlier apply), the grants it holds that the configuration still entitles it to. Those are kept, not given
 * afresh: an apply for some countries neither strips nor widens another's access, but still takes away a feed of a
 * region that country has left.
 */
export function wantedAcls(
  names: TopicNames,
  countries: string[],
  regions: RegionMembers[],
  existing: AclEntry[],
): AclEntry[] {
  const others = nodesHoldingGrants(names, existing).filter((cc) => !countries.includes(cc));
  const held = new Set(existing.map(aclEntryKey));
  const entitled = toAclEntries([
    ...others.flatMap((cc) => nodeAcls(names, cc, regions)),
    ...coordinatorAcls(names, others).filter((a) => others.some((cc) => a.name === names.nodeIn(cc))),
  ]).filter((e) => held.has(aclEntryKey(e)));
  return [...toAclEntries(hubAcls(names, countries, regions)), ...entitled];
}

export interface AclDiff {
  /** Wanted, not held: to create. */
  add: AclEntry[];
  /** Held, managed by the hub (isManagedNodeGrant), not wanted: to delete. */
  remove: AclEntry[];
}

/**
 * The entries to create and to delete so that a broker holding `existing` holds `wanted`, touching only the grants
 * the hub manages in this namespace (isManagedNodeGrant); `principals` (`User:<ns>.node-KZ`) narrows the removals to
 * those principals.
 */
export function diffAcls(
  names: TopicNames,
  wanted: AclEntry[],
  existing: AclEntry[],
  principals?: string[],
): AclDiff {
  const held = new Set(existing.map(aclEntryKey));
  const want = new Set(wanted.map(aclEntryKey));
  const add = [...new Map(wanted.map((e) => [aclEntryKey(e), e])).values()].filter(
    (e) => !held.has(aclEntryKey(e)),
  );
  const remove = existing.filter(
    (e) =>
      !want.has(aclEntryKey(e)) &&
      isManagedNodeGrant(names, e) &&
      (principals === undefined || principals.includes(e.principal)),
  );
  return { add, remove };
}

// kafkajs' enums are plain objects (name to number) at run time, though typed as TypeScript enums.
const namesOf = (values: object): Map<number, string> =>
  new Map(
    Object.entries(values)
      .filter((e): e is [string, number] => typeof e[1] === 'number')
      .map(([name, value]) => [value, name]),
  );
const OPERATION_NAME = namesOf(AclOperationTypes);
const RESOURCE_NAME = namesOf(AclResourceTypes);
const PATTERN_NAME = namesOf(ResourcePatternTypes);
const PERMISSION_NAME = namesOf(AclPermissionTypes);

/** An entry in words, for logs: principal, permission, operation, resource (type, pattern, name), host. */
export function describeAclEntry(e: AclEntry): {
  principal: string;
  permission: string;
  operation: string;
  resourceType: string;
  pattern: string;
  resource: string;
  host: string;
} {
  return {
    principal: e.principal,
    permission: PERMISSION_NAME.get(e.permissionType) ?? String(e.permissionType),
    operation: OPERATION_NAME.get(e.operation) ?? String(e.operation),
    resourceType: RESOURCE_NAME.get(e.resourceType) ?? String(e.resourceType),
    pattern: PATTERN_NAME.get(e.resourcePatternType) ?? String(e.resourcePatternType),
    resource: e.resourceName,
    host: e.host,
  };
}
