// Unit tier: provisioning (`hub security apply`, `hub security grant`, the secured local stack) keeps a broker's
// ACLs equal to the plan, against a small in-memory broker that holds ACLs as Kafka does: a country removed from a
// region loses that region's feed. The same on a real broker: test/security/acl-revocation.test.ts.
import { createRequire } from 'node:module';
import { expect } from 'chai';
import kafkajs from 'kafkajs';
import { HubError } from '@hub/errors';
import {
  aclEntryKey,
  diffAcls,
  hubAcls,
  hubPrincipals,
  nodePrincipal,
  toAclEntries,
  topicNames,
  wantedAcls,
  type AclEntry,
  type Admin,
  type RegionMembers,
} from '@hub/kafka';
import { createLogger } from '@hub/observability';
import { grantNode, provisionHub } from '@hub/cli/stack/security';

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

/** kafkajs' own reading of a DeleteAcls answer: it throws at the first filter with an error, the rest unread. */
const { parse: parseDeleteAcls } = createRequire(import.meta.url)(
  'kafkajs/src/protocol/requests/deleteAcls/v0/response.js',
) as { parse: (data: unknown) => Promise<unknown> };
/** Kafka's CLUSTER_AUTHORIZATION_FAILED. */
const CLUSTER_AUTHORIZATION_FAILED = 31;

const names = topicNames('t-unit');
const topics = { partitions: 1, replicationFactor: 1 };
const withTm: RegionMembers[] = [
  { id: 'central-asia', members: ['KZ', 'KG', 'TJ', 'UZ', 'TM'] },
  { id: 'south-caucasus', members: ['AM', 'AZ', 'GE'] },
];
const withoutTm: RegionMembers[] = [
  { id: 'central-asia', members: ['KZ', 'KG', 'TJ', 'UZ'] },
  { id: 'south-caucasus', members: ['AM', 'AZ', 'GE'] },
];

/**
 * The part of a broker provisioning talks to: every topic already there (stamped, not compacted), and its ACLs. The
 * deletion of an entry in `refused` fails (the broker's error on its filter), the others' go; the answer is read as
 * kafkajs reads it.
 */
function brokerWithAcls(
  initial: AclEntry[],
  refused: ReadonlySet<string> = new Set(),
): { admin: Admin; acls: Map<string, AclEntry>; deletes: number } {
  const acls = new Map(initial.map((e) => [aclEntryKey(e), e]));
  const state = { acls, deletes: 0 };
  const fake = {
    listTopics: async () => [
      ...['KZ', 'TM'].flatMap((cc) => [names.nodeOut(cc), names.nodeIn(cc)]),
      names.hubOut,
      ...withTm.map((r) => names.feed(r.id)),
      names.quarantine,
      names.pki,
      names.erasures,
    ],
    describeCluster: async () => ({ brokers: [{ nodeId: 1, host: 'localhost', port: 9092 }] }),
    fetchTopicMetadata: async () => ({ topics: [] }),
    describeConfigs: async ({ resources }: { resources: { name: string }[] }) => ({
      resources: resources.map((r) => ({
        resourceName: r.name,
        errorCode: 0,
        configEntries: [
          { configName: 'cleanup.policy', configValue: 'delete', configSource: 1 },
          { configName: 'message.timestamp.type', configValue: 'LogAppendTime', configSource: 1 },
        ],
      })),
    }),
    createAcls: async ({ acl }: { acl: AclEntry[] }) => {
      for (const e of acl) acls.set(aclEntryKey(e), e);
      return true;
    },
    describeAcls: async (filter: { principal?: string }) => ({
      resources: [...acls.values()]
        .filter((e) => filter.principal === undefined || e.principal === filter.principal)
        .map(({ resourceType, resourceName, resourcePatternType, ...acl }) => ({
          resourceType,
          resourceName,
          resourcePatternType,
          acls: [acl],
        })),
    }),
    // Exact filters only (what provisioning sends): anything else would be a test bug, so it is refused.
    deleteAcls: async ({ filters }: { filters: AclEntry[] }) => {
      state.deletes++;
      return parseDeleteAcls({
        throttleTime: 0,
        filterResponses: filters.map((f) => {
          if (refused.has(aclEntryKey(f)))
            return { errorCode: CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, matchingAcls: [] };
          const e = acls.get(aclEntryKey(f));
          acls.delete(aclEntryKey(f));
          return { errorCode: 0, matchingAcls: e ? [{ ...e, errorCode: 0 }] : [] };
        }),
      });
    },
  };
  return {
    admin: fake as unknown as Admin,
    acls,
    get deletes() {
      return state.deletes;
    },
  };
}

/** A logger whose lines the test reads. */
function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('hub-security', {
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines };
}

const tmFeed = (operation: number): string =>
  aclEntryKey({
    principal: 'User:t-unit.node-TM',
    host: '*',
    operation,
    permissionType: AclPermissionTypes.ALLOW,
    resourceType: AclResourceTypes.TOPIC,
    resourceName: names.feed('central-asia'),
    resourcePatternType: ResourcePatternTypes.LITERAL,
  });

describe('provisioning keeps the broker ACLs equal to the plan', () => {
  it('`hub security apply` takes away the feed of a region a country has left, and logs each removal', async () => {
    const broker = brokerWithAcls(toAclEntries(hubAcls(names, ['KZ', 'TM'], withTm)));
    expect([...broker.acls.keys()]).to.include(tmFeed(AclOperationTypes.READ));
    const { logger, lines } = recordingLogger();

    const r = await provisionHub(
      broker.admin,
      { names, countries: ['KZ', 'TM'], regions: withoutTm, topics },
      logger,
    );

    const held = [...broker.acls.keys()];
    expect(held).not.to.include(tmFeed(AclOperationTypes.READ));
    expect(held).not.to.include(tmFeed(AclOperationTypes.DESCRIBE));
    // Everything else the plan gives stays, KZ's read of the same feed among it.
    for (const e of toAclEntries(hubAcls(names, ['KZ', 'TM'], withoutTm)))
      expect(held, aclEntryKey(e)).to.include(aclEntryKey(e));
    expect(held).to.have.length(toAclEntries(hubAcls(names, ['KZ', 'TM'], withoutTm)).length);
    expect(r.removed.map(aclEntryKey)).to.have.members([
      tmFeed(AclOperationTypes.READ),
      tmFeed(AclOperationTypes.DESCRIBE),
    ]);
    const removals = lines.filter((l) => l.event === 'acl.removed');
    expect(
      removals.map((l) => `${String(l.principal)} ${String(l.operation)} ${String(l.resource)}`),
    ).to.have.members([
      `User:t-unit.node-TM READ ${names.feed('central-asia')}`,
      `User:t-unit.node-TM DESCRIBE ${names.feed('central-asia')}`,
    ]);
  });

  it('deletes nothing when the broker already holds the plan', async () => {
    const broker = brokerWithAcls(toAclEntries(hubAcls(names, ['KZ', 'TM'], withTm)));
    const { logger, lines } = recordingLogger();
    const r = await provisionHub(
      broker.admin,
      { names, countries: ['KZ', 'TM'], regions: withTm, topics },
      logger,
    );
    expect(r.removed).to.deep.equal([]);
    expect(broker.deletes).to.equal(0);
    expect(lines.filter((l) => l.event === 'acl.removed')).to.deep.equal([]);
  });

  it('`hub security grant TM` takes away its feed of the region it left, and no other node’s', async () => {
    // KZ holds a grant it no longer should (balkan-route-like: a region it is not in); granting TM leaves it alone.
    const kzStray: AclEntry = {
      principal: 'User:t-unit.node-KZ',
      host: '*',
      operation: AclOperationTypes.READ,
      permissionType: AclPermissionTypes.ALLOW,
      resourceType: AclResourceTypes.TOPIC,
      resourceName: names.feed('south-caucasus'),
      resourcePatternType: ResourcePatternTypes.LITERAL,
    };
    const broker = brokerWithAcls([...toAclEntries(hubAcls(names, ['KZ', 'TM'], withTm)), kzStray]);
    const { logger } = recordingLogger();
    const r = await grantNode(broker.admin, { names, regions: withoutTm, topics }, 'TM', logger);
    const held = [...broker.acls.keys()];
    expect(held).not.to.include(tmFeed(AclOperationTypes.READ));
    expect(held).to.include(aclEntryKey(kzStray));
    expect(r.removed.map(aclEntryKey)).to.have.members([
      tmFeed(AclOperationTypes.READ),
      tmFeed(AclOperationTypes.DESCRIBE),
    ]);
  });
  it('logs each removal that took when the broker refuses another, and names the one still held', async () => {
    // TM left central-asia: its READ and DESCRIBE of the feed go. The broker refuses the DESCRIBE's deletion, and
    // kafkajs throws at it; the READ, gone all the same, is logged, and the error names the DESCRIBE still held.
    const broker = brokerWithAcls(
      toAclEntries(hubAcls(names, ['KZ', 'TM'], withTm)),
      new Set([tmFeed(AclOperationTypes.DESCRIBE)]),
    );
    const { logger, lines } = recordingLogger();

    let failure: unknown;
    try {
      await provisionHub(
        broker.admin,
        { names, countries: ['KZ', 'TM'], regions: withoutTm, topics },
        logger,
      );
    } catch (err) {
      failure = err;
    }

    expect(failure).to.be.instanceOf(HubError);
    const err = failure as HubError;
    expect(err.code).to.equal('KAFKA_SECURITY_FAILED');
    expect(err.message).to.contain('1 of 2 removed');
    expect(err.message).to.contain(
      `still held: User:t-unit.node-TM DESCRIBE TOPIC ${names.feed('central-asia')}: `,
    );
    expect(err.message).not.to.contain(`User:t-unit.node-TM READ`);
    const held = [...broker.acls.keys()];
    expect(held).not.to.include(tmFeed(AclOperationTypes.READ));
    expect(held).to.include(tmFeed(AclOperationTypes.DESCRIBE));
    const removals = lines.filter((l) => l.event === 'acl.removed');
    expect(
      removals.map((l) => `${String(l.principal)} ${String(l.operation)} ${String(l.resource)}`),
    ).to.deep.equal([`User:t-unit.node-TM READ ${names.feed('central-asia')}`]);
  });

  it("takes away a node's grants on the coordinator's, the query API's and other nodes' consumer groups", async () => {
    // A node reading `coordinator` could join the coordinator's intake group and stall its partitions.
    const group = (name: string, pattern: number): AclEntry => ({
      principal: `User:${nodePrincipal(names, 'KZ')}`,
      host: '*',
      operation: AclOperationTypes.READ,
      permissionType: AclPermissionTypes.ALLOW,
      resourceType: AclResourceTypes.GROUP,
      resourceName: names.group(name),
      resourcePatternType: pattern,
    });
    const stray = [
      group('coordinator', ResourcePatternTypes.LITERAL),
      group('coordinator', ResourcePatternTypes.PREFIXED),
      group('query-api-', ResourcePatternTypes.PREFIXED),
      group('node-KG', ResourcePatternTypes.PREFIXED), // every group of node KG (`node-KG-inbound`, ...)
      group('node-K', ResourcePatternTypes.PREFIXED), // KG's, KZ's, ...
    ];
    // Not this namespace's groups: another hub's on the same broker, and a name no hub group has.
    const elsewhere = [
      {
        ...group('x', ResourcePatternTypes.PREFIXED),
        resourceName: topicNames('t-other').group('coordinator'),
      },
      group('node-KG', ResourcePatternTypes.LITERAL),
    ];
    const plan = toAclEntries(hubAcls(names, ['KZ', 'TM'], withTm));
    const broker = brokerWithAcls([...plan, ...stray, ...elsewhere]);

    const r = await provisionHub(
      broker.admin,
      { names, countries: ['KZ', 'TM'], regions: withTm, topics },
      recordingLogger().logger,
    );

    expect(r.removed.map(aclEntryKey)).to.have.members(stray.map(aclEntryKey));
    const held = [...broker.acls.keys()];
    for (const e of stray) expect(held, aclEntryKey(e)).not.to.include(aclEntryKey(e));
    for (const e of [...plan, ...elsewhere]) expect(held, aclEntryKey(e)).to.include(aclEntryKey(e));
  });

  it("leaves alone the consumer-group grants of a namespace beginning with a service's name, applying a hub without one", () => {
    // `coordinator-eu.coordinator` starts with `coordinator`: read as the plain hub's, the plain hub's apply deleted
    // the other hub's group grants and that hub's apply made them again, each undoing the other.
    const plain = topicNames('');
    for (const namespace of ['coordinator-eu', 'query-api-eu', 'coordinator']) {
      const other = topicNames(namespace);
      const held = [
        ...toAclEntries(hubAcls(plain, ['KZ', 'KG'], withTm)),
        ...toAclEntries(hubAcls(other, ['KZ', 'KG'], withTm)),
      ];
      const d = diffAcls(plain, wantedAcls(plain, ['KZ', 'KG'], withTm, held), held);
      expect(d.remove.map(aclEntryKey), namespace).to.deep.equal([]);
      expect(d.add.map(aclEntryKey), namespace).to.deep.equal([]);
    }
    // A node of the plain hub granted a group of its own namespace's coordinator still loses it.
    const held = [
      ...toAclEntries(hubAcls(plain, ['KZ'], withTm)),
      {
        principal: 'User:node-KZ',
        host: '*',
        operation: AclOperationTypes.READ,
        permissionType: AclPermissionTypes.ALLOW,
        resourceType: AclResourceTypes.GROUP,
        resourceName: 'coordinator-pki',
        resourcePatternType: ResourcePatternTypes.PREFIXED,
      },
    ];
    const d = diffAcls(plain, wantedAcls(plain, ['KZ'], withTm, held), held);
    expect(d.remove.map((e) => e.resourceName)).to.deep.equal(['coordinator-pki']);
  });

  it("takes away what another hub's principals (or those of before namespaced principals) hold in this namespace", async () => {
    // Until 2026-12-07 every hub on a cluster used the same principals: hub t-unit's grants went to User:node-KZ and
    // User:coordinator, which hub t-other's services (same names, same credentials) used too.
    const on = (principal: string, topic: string): AclEntry => ({
      principal,
      host: '*',
      operation: AclOperationTypes.READ,
      permissionType: AclPermissionTypes.ALLOW,
      resourceType: AclResourceTypes.TOPIC,
      resourceName: topic,
      resourcePatternType: ResourcePatternTypes.LITERAL,
    });
    const other = topicNames('t-other');
    const stale = [
      on('User:node-KZ', names.nodeIn('KZ')),
      on('User:coordinator', names.nodeOut('KZ')),
      on('User:query-api', names.feed('central-asia')),
      on(`User:${nodePrincipal(other, 'KZ')}`, names.nodeIn('KZ')),
      on(`User:${hubPrincipals(other).coordinator}`, names.quarantine),
    ];
    // The other hub's grants on its own topics, and this hub's own services' grants beyond the plan, stay.
    const kept = [
      on(`User:${nodePrincipal(other, 'KZ')}`, other.nodeIn('KZ')),
      on(`User:${hubPrincipals(other).coordinator}`, other.quarantine),
      on(`User:${hubPrincipals(names).queryApi}`, names.quarantine),
    ];
    const plan = toAclEntries(hubAcls(names, ['KZ'], withTm));
    const broker = brokerWithAcls([...plan, ...stale, ...kept]);

    const r = await provisionHub(
      broker.admin,
      { names, countries: ['KZ'], regions: withTm, topics },
      recordingLogger().logger,
    );

    expect(r.removed.map(aclEntryKey)).to.have.members(stale.map(aclEntryKey));
    const held = [...broker.acls.keys()];
    for (const e of [...plan, ...kept]) expect(held, aclEntryKey(e)).to.include(aclEntryKey(e));
  });
});
