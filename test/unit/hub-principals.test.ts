// Unit tier: hubs sharing a Kafka cluster (HUB_NAMESPACE) have principals of their own. Kafka's principals and SCRAM
// credentials are the cluster's: with shared names, one hub's grants would add up on the other's services, and one
// hub's bootstrap would set the other's passwords.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, namespacedPrincipal } from '@hub/config';
import { PRINCIPALS, hubAcls, hubPrincipals, toAclEntries, topicNames } from '@hub/kafka';
import { PkiStore } from '@hub/pki';
import { loadRegions } from '@hub/schemas';
import { localPrincipals } from '@hub/cli/stack/stack';

const regions = loadRegions();
const principalsOf = (namespace: string, countries: string[]) =>
  new Set(hubAcls(topicNames(namespace), countries, regions).map((a) => a.principal));

describe('principals of hubs sharing a cluster (HUB_NAMESPACE)', () => {
  it('gives two hubs on one cluster no principal in common, each carrying its namespace', () => {
    const a = principalsOf('hub-a', ['KZ', 'KG']);
    const b = principalsOf('hub-b', ['KZ', 'KG']);
    expect([...a].filter((p) => b.has(p))).to.deep.equal([]);
    expect([...a]).to.have.members([
      'hub-a.coordinator',
      'hub-a.query-api',
      'hub-a.node-KZ',
      'hub-a.node-KG',
    ]);
    expect([...b].every((p) => p.startsWith('hub-b.'))).to.equal(true);
    // The same for every entry the broker is given.
    const entries = (ns: string) =>
      toAclEntries(hubAcls(topicNames(ns), ['KZ'], regions)).map((e) => e.principal);
    expect(entries('hub-a').filter((p) => entries('hub-b').includes(p))).to.deep.equal([]);
  });

  it("keeps today's names without a namespace, so an existing deployment's principals stay", () => {
    expect([...principalsOf('', ['KZ'])]).to.have.members(['coordinator', 'query-api', 'node-KZ']);
    expect(PRINCIPALS).to.deep.equal({ admin: 'hub-admin', broker: 'hub-broker' });
  });

  it("names no principal a client certificate's distinguished name could map to", () => {
    // The brokers map a certificate to hub-broker (OU=hub-kafka-broker) or to its whole DN (DEFAULT), which has '='.
    for (const p of [...principalsOf('hub-a', ['KZ']), ...principalsOf('', ['KZ'])])
      expect(p, p).to.match(/^[a-z0-9.-]+[A-Z]{0,2}$/);
  });

  it('connects each service of a namespaced secured local stack as its own namespace’s principal', () => {
    const home = mkdtempSync(join(tmpdir(), 'hub-principals-'));
    try {
      new PkiStore(join(home, 'pki')).initCa({ bits: 2048 });
      mkdirSync(join(home, 'run'), { recursive: true });
      mkdirSync(join(home, 'secrets', 'kafka'), { recursive: true });
      writeFileSync(
        join(home, 'run', 'stack.json'),
        JSON.stringify({
          kafka: { brokers: ['127.0.0.1:39092'], version: '4.1.1', security: 'sasl_ssl' },
          mongo: { url: 'mongodb://127.0.0.1:37017/', version: '', kind: 'ferretdb' },
        }),
      );
      const names = topicNames('hub-b');
      for (const p of [PRINCIPALS.admin, hubPrincipals(names).coordinator, hubPrincipals(names).node('KZ')])
        writeFileSync(join(home, 'secrets', 'kafka', `${p}.password`), `pw-of-${p}\n`);
      const as = (principal?: string) =>
        loadConfig({ HUB_HOME: home, HUB_NAMESPACE: 'hub-b' }, { kafkaPrincipal: principal }).kafka.security;
      expect(as('coordinator')).to.include({
        username: 'hub-b.coordinator',
        password: 'pw-of-hub-b.coordinator',
      });
      expect(as('node-KZ')).to.include({ username: 'hub-b.node-KZ', password: 'pw-of-hub-b.node-KZ' });
      // The cluster's super user is no hub's: commands that are not a service still go as hub-admin.
      expect(as()).to.include({ username: 'hub-admin' });
      expect(() => as('node-UZ')).to.throw(
        /hub-b\.node-UZ\.password cannot be read.*Add UZ to HUB_DEMO_COUNTRIES/,
      );
      // The configuration names a principal exactly as the ACLs do.
      expect(namespacedPrincipal('hub-b', 'query-api')).to.equal(hubPrincipals(names).queryApi);
      expect(namespacedPrincipal('', 'node-KZ')).to.equal(hubPrincipals(topicNames('')).node('KZ'));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("refuses a namespace whose consumer groups a hub without one is granted (its coordinator's, its query API's)", () => {
    // The plain hub's coordinator holds the groups beginning with `coordinator`, its query API those beginning with
    // `query-api-` (prefixed grants): a namespace `coordinator-eu` would put every group of its hub among them.
    for (const namespace of ['coordinator-eu', 'coordinator', 'query-api-eu'])
      expect(() => loadConfig({ HUB_HOME: '/nonexistent', HUB_NAMESPACE: namespace }), namespace)
        .to.throw(`HUB_NAMESPACE=${namespace} must not begin with "coordinator" or "query-api-"`)
        .with.property('code', 'CONFIG_INVALID');
    // Those it accepts: no group their hub's services join is covered by a group grant of the plain hub.
    const plainGroups = hubAcls(topicNames(''), ['KZ'], regions).filter((a) => a.resourceType === 'group');
    for (const namespace of ['eu', 'node-eu', 'query-api', 'hub-b']) {
      expect(loadConfig({ HUB_HOME: '/nonexistent', HUB_NAMESPACE: namespace }).namespace).to.equal(
        namespace,
      );
      const names = topicNames(namespace);
      const groups = ['coordinator', 'coordinator-pki-1', 'query-api-feed-central-asia-1', 'node-KZ-inbound'];
      for (const g of groups.map((x) => names.group(x)))
        expect(
          plainGroups.filter((a) => a.pattern === 'prefixed' && g.startsWith(a.name)).map((a) => a.name),
          g,
        ).to.deep.equal([]);
    }
  });

  it("has a second hub's stack up on the same broker make credentials for its own principals only", () => {
    // provisionSecured makes those missing from the broker's list: hub a's are all there, hub-admin among them.
    const a = localPrincipals({ namespace: 'hub-a', demoCountries: ['KZ', 'UZ'] });
    const b = localPrincipals({ namespace: 'hub-b', demoCountries: ['KZ', 'UZ'] });
    const missing = b.filter((p) => !a.includes(p));
    expect(missing).to.have.members([
      'hub-b.coordinator',
      'hub-b.query-api',
      'hub-b.node-KZ',
      'hub-b.node-UZ',
    ]);
    expect(a.filter((p) => b.includes(p))).to.deep.equal([PRINCIPALS.admin]);
  });
});
