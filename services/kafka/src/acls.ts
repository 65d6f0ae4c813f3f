// The broker security profile's ACLs: DESIGN.md's topic table ("written by / read by") as Kafka ACLs, one
// SCRAM principal per national node, the coordinator and the query API. Pure: provisioning applies the plan.
import kafkajs, { type AclEntry } from 'kafkajs';
import type { TopicNames } from './topics';

// kafkajs is CommonJS and its enums are not detectable as named ESM exports.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

/** The Kafka principals (SCRAM user names) of the hub. `hub-admin` and `hub-broker` are super users. */
export const PRINCIPALS = {
  admin: 'hub-admin',
  broker: 'hub-broker',
  coordinator: 'coordinator',
  queryApi: 'query-api',
} as const;

export function nodePrincipal(cc: string): string {
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
  const p = nodePrincipal(cc);
  return [
    topic(p, names.nodeOut(cc), ['write', 'describe']),
    topic(p, names.nodeIn(cc), ['read', 'describe']),
    topic(p, names.pki, ['read', 'write', 'describe']),
    ...regions
      .filter((r) => r.members.includes(cc))
      .map((r) => topic(p, names.feed(r.id), ['read', 'describe'])),
    prefixed(p, 'group', names.group(`${p}-`), ['read', 'describe']),
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
  const p = PRINCIPALS.coordinator;
  return [
    prefixed(p, 'topic', names.nodeTopicPrefix, ['read', 'describe', 'describe-configs']),
    ...countries.map((cc) => topic(p, names.nodeIn(cc), ['write', 'describe'])),
    topic(p, names.hubOut, ['write', 'describe']),
    prefixed(p, 'topic', names.feedPrefix, ['write', 'describe', 'describe-configs']),
    topic(p, names.quarantine, ['read', 'write', 'describe', 'describe-configs']),
    topic(p, names.pki, ['read', 'write', 'describe', 'describe-configs']),
    topic(p, names.erasures, ['read', 'write', 'describe']),
    prefixed(p, 'group', names.group(p), ['read', 'describe']),
    idempotentProducer(p),
  ];
}

/** The query API: reads the feeds (it filters them per subscriber) and hub.pki; writes nothing. */
export function queryApiAcls(names: TopicNames): HubAcl[] {
  const p = PRINCIPALS.queryApi;
  return [
    prefixed(p, 'topic', names.feedPrefix, ['read', 'describe']),
    topic(p, names.pki, ['read', 'describe']),
    prefixed(p, 'group', names.group(`${p}-`), ['read', 'describe']),
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

/** The same grant as arguments of Kafka's `kafka-acls.sh --add` (for the production bootstrap script). */
export function toAclCommandArgs(acl: HubAcl): string[] {
  const resource = acl.resourceType === 'cluster' ? ['--cluster'] : [`--${acl.resourceType}`, acl.name];
  return [
    '--add',
    '--allow-principal',
    `User:${acl.principal}`,
    ...acl.operations.flatMap((op) => ['--operation', CLI_OPERATION[op]]),
    ...resource,
    ...(acl.pattern === 'prefixed' ? ['--resource-pattern-type', 'prefixed'] : []),
  ];
}
