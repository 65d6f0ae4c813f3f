// The production brokers' listeners: the services of the compose project on SASL_SSL, the brokers on INTERNAL and
// national nodes in their own data centres on EXTERNAL, at the public addresses `hub security render --external`
// was given, which compose publishes.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { repoRoot } from '@hub/config';
import { loadRegions } from '@hub/schemas';
import {
  PORTS,
  bootstrapScript,
  externalAddresses,
  placeholderExternal,
  productionBrokerProperties,
} from '../../scripts/src/stack/security-production';
import { hubSync } from '../support/cli';

const production = join(repoRoot, 'infra', 'production');
const brokers = ['kafka-1', 'kafka-2', 'kafka-3'];
const plan = { brokers, countries: ['KZ'], regions: loadRegions(), partitions: 3, replicationFactor: 3 };
const publicNames = ['k1.hub.gov.example:19092', 'k2.hub.gov.example:19093', 'k3.hub.gov.example:19094'];

/** A server.properties as a map of its settings. */
function settings(properties: string): Map<string, string> {
  return new Map(
    properties
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
  );
}
/** `NAME://host:port,...` as NAME → host:port. */
const listenersOf = (value = ''): Map<string, string> =>
  new Map(value.split(',').map((l) => l.split('://') as [string, string]));

describe('production brokers: listeners for the compose project and for national nodes elsewhere', () => {
  it('gives every broker SASL_SSL, INTERNAL and EXTERNAL, each advertised and mapped to its security', () => {
    brokers.forEach((broker, i) => {
      const s = settings(productionBrokerProperties({ ...plan, external: publicNames }, i + 1));
      const listeners = listenersOf(s.get('listeners'));
      const advertised = listenersOf(s.get('advertised.listeners'));
      const [publicHost, publicPort] = publicNames[i]!.split(':');
      expect(listeners.get('SASL_SSL'), broker).to.equal(`:${PORTS.client}`);
      expect(listeners.get('INTERNAL'), broker).to.equal(`:${PORTS.internal}`);
      expect(listeners.get('CONTROLLER'), broker).to.equal(`:${PORTS.controller}`);
      expect(listeners.get('EXTERNAL'), broker).to.equal(`:${publicPort}`);
      // In the project by the container's name; outside it by the public name given.
      expect(advertised.get('SASL_SSL'), broker).to.equal(`${broker}:${PORTS.client}`);
      expect(advertised.get('INTERNAL'), broker).to.equal(`${broker}:${PORTS.internal}`);
      expect(advertised.get('EXTERNAL'), broker).to.equal(`${publicHost}:${publicPort}`);
      expect(advertised.has('CONTROLLER'), broker).to.equal(false);
      const map = listenersOf(s.get('listener.security.protocol.map')?.replace(/:/g, '://'));
      expect(map.get('SASL_SSL'), broker).to.equal('SASL_SSL');
      expect(map.get('EXTERNAL'), broker).to.equal('SASL_SSL');
      expect(map.get('INTERNAL'), broker).to.equal('SSL');
      expect(map.get('CONTROLLER'), broker).to.equal('SSL');
      // Both SCRAM listeners have the server side's login module; only INTERNAL and CONTROLLER want certificates.
      const jaas = s.get('listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config');
      expect(jaas).to.contain('ScramLoginModule required');
      expect(s.get('listener.name.external.scram-sha-512.sasl.jaas.config'), broker).to.equal(jaas);
      expect(s.has('listener.name.external.ssl.client.auth'), broker).to.equal(false);
    });
  });

  it('has placeholders by default, which name no real host', () => {
    expect(placeholderExternal(brokers)).to.deep.equal([
      'kafka-1.hub.example.org:19092',
      'kafka-2.hub.example.org:19093',
      'kafka-3.hub.example.org:19094',
    ]);
    const s = settings(productionBrokerProperties(plan, 2));
    expect(listenersOf(s.get('advertised.listeners')).get('EXTERNAL')).to.equal(
      'kafka-2.hub.example.org:19093',
    );
    expect(bootstrapScript(plan)).to.contain(
      'HUB_KAFKA_BROKERS=kafka-1.hub.example.org:19092,kafka-2.hub.example.org:19093,kafka-3.hub.example.org:19094',
    );
  });

  it('refuses public addresses it cannot use, saying why', () => {
    const refused = (external: string[]) => () => externalAddresses({ brokers, external });
    expect(refused(publicNames.slice(0, 2))).to.throw(/names 2 addresses for 3 brokers/);
    expect(refused(['k1:19092', 'k2:9093', 'k3:19094'])).to.throw(/port 9093 of k2:9093 is already taken/);
    expect(refused(['k1:19092', 'k2:19092', 'k3:19094'])).to.throw(/port 19092 of k2:19092 is already taken/);
    expect(refused(['k1', 'k2:19093', 'k3:19094'])).to.throw(/k1 is not host:port/);
    expect(refused(['k1:70000', 'k2:19093', 'k3:19094'])).to.throw(/k1:70000 is not host:port/);
    expect(refused(['bad name:19092', 'k2:19093', 'k3:19094'])).to.throw(/is not host:port/);
  });

  it('`hub security render --external` writes the public names into each broker, and refuses a wrong list', () => {
    const out = mkdtempSync(join(tmpdir(), 'hub-render-external-'));
    try {
      const env = { ...process.env, HUB_HOME: out };
      const ok = hubSync(
        ['security', 'render', '--countries', 'KZ', '--external', publicNames.join(','), '--out', out],
        env,
      );
      expect(ok.status, ok.stderr).to.equal(0);
      brokers.forEach((_, i) => {
        const s = settings(readFileSync(join(out, 'kafka', `server-${i + 1}.properties`), 'utf8'));
        expect(listenersOf(s.get('advertised.listeners')).get('EXTERNAL')).to.equal(publicNames[i]);
      });
      const bad = hubSync(['security', 'render', '--external', 'k1:19092', '--out', join(out, 'x')], env);
      expect(bad.status).to.equal(2);
      expect(bad.stderr).to.contain('--external names 1 addresses for 3 brokers');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('has the committed properties rendered with the placeholders, and compose publishes each public port', () => {
    const script = readFileSync(join(production, 'security', 'bootstrap-security.sh'), 'utf8');
    const countries = /Countries: ([A-Z,]+)/.exec(script)?.[1]?.split(',') ?? [];
    expect(countries).to.include('KZ');
    expect(script).to.equal(bootstrapScript({ ...plan, countries }));
    type Compose = { services: Record<string, { ports?: string[] }> };
    const compose = load(readFileSync(join(production, 'docker-compose.yml'), 'utf8')) as Compose;
    brokers.forEach((broker, i) => {
      const committed = readFileSync(join(production, 'kafka', `server-${i + 1}.properties`), 'utf8');
      expect(committed, `server-${i + 1}.properties`).to.equal(
        productionBrokerProperties({ ...plan, countries }, i + 1),
      );
      const port = listenersOf(settings(committed).get('listeners')).get('EXTERNAL')?.slice(1);
      expect(port, broker).to.match(/^\d+$/);
      expect(compose.services[broker]?.ports, broker).to.deep.equal([`${port}:${port}`]);
    });
    // The services of the project stay on the in-project listener.
    const env = (compose.services['coordinator-1'] as { environment?: Record<string, string> }).environment;
    expect(env?.HUB_KAFKA_BROKERS).to.equal('kafka-1:9092,kafka-2:9092,kafka-3:9092');
  });
});
