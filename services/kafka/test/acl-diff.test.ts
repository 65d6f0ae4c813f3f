// Diffing the ACL plan against what a broker holds (src/acls.ts): what applying the plan creates, and which node
// grants it takes away because the configuration no longer gives them. Pure, no broker.
import { expect } from 'chai';
import kafkajs from 'kafkajs';
import {
  aclEntriesOf,
  aclEntryKey,
  diffAcls,
  hubAcls,
  isManagedNodeGrant,
  nodesHoldingGrants,
  toAclCommandArgs,
  toAclEntries,
  topicNames,
  unentitledFeedAcls,
  wantedAcls,
  type AclEntry,
  type RegionMembers,
} from '../src/index';

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

const names = topicNames('t1');
const before: RegionMembers[] = [
  { id: 'central-asia', members: ['KZ', 'KG', 'TJ', 'UZ', 'TM'] },
  { id: 'balkan-route', members: ['TR', 'BG'] },
];
// TM removed from central-asia in regions.json.
const after: RegionMembers[] = [
  { id: 'central-asia', members: ['KZ', 'KG', 'TJ', 'UZ'] },
  { id: 'balkan-route', members: ['TR', 'BG'] },
];
const countries = ['KZ', 'TM'];

/** One entry, an ALLOW of `principal` on a literal topic unless told otherwise. */
const entry = (principal: string, resourceName: string, overrides: Partial<AclEntry> = {}): AclEntry => ({
  principal,
  host: '*',
  operation: AclOperationTypes.READ,
  permissionType: AclPermissionTypes.ALLOW,
  resourceType: AclResourceTypes.TOPIC,
  resourceName,
  resourcePatternType: ResourcePatternTypes.LITERAL,
  ...overrides,
});
const keys = (entries: AclEntry[]) => entries.map(aclEntryKey);

describe('ACL diff: the plan against what the broker holds', () => {
  const heldBefore = toAclEntries(hubAcls(names, countries, before));

  it("takes away node TM's read and describe on the feed of the region it left, and nothing else", () => {
    const diff = diffAcls(names, wantedAcls(names, countries, after, heldBefore), heldBefore);
    const feed = names.feed('central-asia');
    expect(keys(diff.remove)).to.have.members(
      keys([
        entry('User:t1.node-TM', feed),
        entry('User:t1.node-TM', feed, { operation: AclOperationTypes.DESCRIBE }),
      ]),
    );
    expect(diff.add).to.deep.equal([]);
  });

  it('keeps the feed of the members that stay, and adds nothing when the broker holds the plan', () => {
    const diff = diffAcls(names, wantedAcls(names, countries, before, heldBefore), heldBefore);
    expect(diff).to.deep.equal({ add: [], remove: [] });
    const leaving = diffAcls(names, wantedAcls(names, countries, after, heldBefore), heldBefore);
    expect(keys(leaving.remove)).not.to.include(
      aclEntryKey(entry('User:t1.node-KZ', names.feed('central-asia'))),
    );
  });

  it('creates what the plan wants and the broker lacks, each entry once', () => {
    const wanted = toAclEntries(hubAcls(names, ['KZ'], after));
    const diff = diffAcls(names, [...wanted, ...wanted], []);
    expect(keys(diff.add)).to.deep.equal(keys(wanted));
    expect(diff.remove).to.deep.equal([]);
  });

  it('keeps the entitled grants of a node onboarded outside this apply, takes away its stale feed, grants it nothing', () => {
    // UZ was onboarded with `hub security grant UZ`; the apply names KZ only.
    const held = toAclEntries(hubAcls(names, ['KZ', 'UZ'], before));
    const region: RegionMembers[] = [{ id: 'central-asia', members: ['KZ'] }, after[1]!];
    const diff = diffAcls(names, wantedAcls(names, ['KZ'], region, held), held);
    expect(keys(diff.remove)).to.have.members(
      keys([
        entry('User:t1.node-UZ', names.feed('central-asia')),
        entry('User:t1.node-UZ', names.feed('central-asia'), { operation: AclOperationTypes.DESCRIBE }),
      ]),
    );
    expect(diff.add).to.deep.equal([]);
    // Its own topics stay.
    const wantedNow = keys(wantedAcls(names, ['KZ'], region, held));
    expect(wantedNow).to.include(aclEntryKey(entry('User:t1.node-UZ', names.nodeIn('UZ'))));
    expect(wantedNow).to.include(
      aclEntryKey(entry('User:t1.coordinator', names.nodeIn('UZ'), { operation: AclOperationTypes.WRITE })),
    );
  });

  it('does not give a node the grants of its entitlement that it does not hold', () => {
    // UZ holds only a stale feed grant (the rest taken away by hand, say): the apply for KZ removes that, adds none.
    const held = [entry('User:t1.node-UZ', names.feed('balkan-route'))];
    const diff = diffAcls(names, wantedAcls(names, ['KZ'], after, held), held);
    expect(keys(diff.remove)).to.deep.equal(keys(held));
    expect(diff.add.filter((e) => e.principal === 'User:t1.node-UZ')).to.deep.equal([]);
  });

  it('takes away any other grant of a node on the hub topics and groups of this namespace', () => {
    const stray = [
      entry('User:t1.node-TM', names.nodeOut('KZ'), { operation: AclOperationTypes.WRITE }),
      entry('User:t1.node-TM', names.nodeIn('TM'), { operation: AclOperationTypes.ALTER }),
      entry('User:t1.node-TM', names.quarantine),
      entry('User:t1.node-TM', names.feedPrefix, { resourcePatternType: ResourcePatternTypes.PREFIXED }),
      // A prefix shorter than the hub's own still covers its topics, and so does Kafka's literal wildcard.
      entry('User:t1.node-TM', 't1.hub.', { resourcePatternType: ResourcePatternTypes.PREFIXED }),
      entry('User:t1.node-TM', '*'),
      entry('User:t1.node-TM', names.group('node-KZ-'), {
        resourceType: AclResourceTypes.GROUP,
        resourcePatternType: ResourcePatternTypes.PREFIXED,
      }),
      // From another host only: still a node's read of a hub topic.
      entry('User:t1.node-TM', names.feed('balkan-route'), { host: '10.0.0.5' }),
    ];
    const held = [...heldBefore, ...stray];
    const diff = diffAcls(names, wantedAcls(names, countries, before, held), held);
    for (const e of stray) expect(keys(diff.remove), aclEntryKey(e)).to.include(aclEntryKey(e));
    expect(diff.remove).to.have.length(stray.length);
  });

  it("never touches the coordinator's, the query API's or an operator's grants, a DENY, the cluster or another namespace", () => {
    const others = [
      entry('User:t1.coordinator', names.feed('south-caucasus')),
      entry('User:t1.query-api', names.nodeIn('KZ')),
      entry('User:monitoring', names.feed('central-asia')),
      entry('User:t1.node-TM', names.feed('central-asia'), { permissionType: AclPermissionTypes.DENY }),
      entry('User:t1.node-TM', 'kafka-cluster', {
        resourceType: AclResourceTypes.CLUSTER,
        operation: AclOperationTypes.ALTER,
      }),
      // The same node's grants in another namespace (another hub on the same broker), or outside any.
      entry('User:t1.node-TM', topicNames('t2').feed('central-asia')),
      entry('User:t1.node-TM', topicNames('').feed('central-asia')),
      entry('User:t1.node-TM', topicNames('t2').group('node-TM-'), {
        resourceType: AclResourceTypes.GROUP,
        resourcePatternType: ResourcePatternTypes.PREFIXED,
      }),
      entry('User:t1.node-TM', 'other-app.events'),
      entry('User:t1.node-TM', 'txn-1', { resourceType: AclResourceTypes.TRANSACTIONAL_ID }),
    ];
    for (const e of others) expect(isManagedNodeGrant(names, e), aclEntryKey(e)).to.equal(false);
    const held = [...heldBefore, ...others];
    const diff = diffAcls(names, wantedAcls(names, countries, after, held), held);
    for (const e of others) expect(keys(diff.remove), aclEntryKey(e)).not.to.include(aclEntryKey(e));
  });

  it("reads Kafka's literal wildcard as a hub resource on topics and groups only", () => {
    // A '*' topic gives a node every country's topics, a '*' group every node's groups: the hub takes them away.
    const hubs = [
      entry('User:t1.node-TM', '*'),
      entry('User:t1.node-TM', '*', { resourceType: AclResourceTypes.GROUP }),
    ];
    // A node's wildcard on a transactional id, a delegation token or a user (Kafka's USER resource type, 7, which
    // kafkajs does not name) covers nothing of the hub's: another application's, never taken away.
    const notHubs = [
      entry('User:t1.node-TM', '*', {
        resourceType: AclResourceTypes.TRANSACTIONAL_ID,
        operation: AclOperationTypes.WRITE,
      }),
      entry('User:t1.node-TM', '*', { resourceType: AclResourceTypes.DELEGATION_TOKEN }),
      entry('User:t1.node-TM', '*', { resourceType: 7 as AclEntry['resourceType'] }),
    ];
    for (const e of hubs) expect(isManagedNodeGrant(names, e), aclEntryKey(e)).to.equal(true);
    for (const e of notHubs) expect(isManagedNodeGrant(names, e), aclEntryKey(e)).to.equal(false);
    const held = [...heldBefore, ...hubs, ...notHubs];
    const diff = diffAcls(names, wantedAcls(names, countries, before, held), held);
    for (const e of hubs) expect(keys(diff.remove), aclEntryKey(e)).to.include(aclEntryKey(e));
    for (const e of notHubs) expect(keys(diff.remove), aclEntryKey(e)).not.to.include(aclEntryKey(e));
    expect(diff.remove).to.have.length(hubs.length);
  });

  it('narrows the removals to the principals named (hub security grant <CC>)', () => {
    const held = [
      entry('User:t1.node-TM', names.feed('balkan-route')),
      entry('User:t1.node-KZ', names.feed('balkan-route')),
    ];
    const diff = diffAcls(names, [], held, ['User:t1.node-TM']);
    expect(keys(diff.remove)).to.deep.equal(keys([held[0]!]));
  });

  it('finds the nodes holding grants in this namespace only', () => {
    const held = [
      ...toAclEntries(hubAcls(names, ['KZ'], after)),
      entry('User:t1.node-UZ', names.nodeIn('UZ')),
      entry('User:t1.node-TJ', topicNames('t2').nodeIn('TJ')),
    ];
    expect(nodesHoldingGrants(names, held)).to.deep.equal(['KZ', 'UZ']);
  });

  it('reads a describeAcls answer as one entry per operation', () => {
    const described = {
      resources: [
        {
          resourceType: AclResourceTypes.TOPIC,
          resourceName: names.feed('central-asia'),
          resourcePatternType: ResourcePatternTypes.LITERAL,
          acls: [
            {
              principal: 'User:t1.node-TM',
              host: '*',
              operation: AclOperationTypes.READ,
              permissionType: AclPermissionTypes.ALLOW,
            },
            {
              principal: 'User:t1.node-TM',
              host: '*',
              operation: AclOperationTypes.DESCRIBE,
              permissionType: AclPermissionTypes.ALLOW,
            },
          ],
        },
      ],
    };
    expect(keys(aclEntriesOf(described))).to.deep.equal(
      keys([
        entry('User:t1.node-TM', names.feed('central-asia')),
        entry('User:t1.node-TM', names.feed('central-asia'), { operation: AclOperationTypes.DESCRIBE }),
      ]),
    );
  });
});

describe('ACL plan for the production bootstrap: removals', () => {
  it('names the feed of every region a country is not a member of', () => {
    const plain = topicNames('');
    const revoked = unentitledFeedAcls(plain, ['KZ', 'TM'], after);
    expect(revoked.map((a) => `${a.principal} ${a.name} ${a.operations.join(',')}`)).to.have.members([
      'node-KZ hub.feed.balkan-route read,describe',
      'node-TM hub.feed.central-asia read,describe',
      'node-TM hub.feed.balkan-route read,describe',
    ]);
  });

  it('renders a removal as kafka-acls.sh --remove --force, the grant as --add', () => {
    const [acl] = unentitledFeedAcls(topicNames(''), ['TM'], after);
    expect(toAclCommandArgs(acl!, 'remove')).to.deep.equal([
      '--remove',
      '--force',
      '--allow-principal',
      'User:node-TM',
      '--operation',
      'Read',
      '--operation',
      'Describe',
      '--topic',
      'hub.feed.central-asia',
    ]);
    expect(toAclCommandArgs(acl!)[0]).to.equal('--add');
  });
});
