// `hub security certs|passwords|client-tokens|render|acls|apply|grant|rotate`: the broker security profile (TLS from the hub CA,
// SASL/SCRAM-SHA-512 per principal, ACLs from DESIGN.md's topic table).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { kafkaSecretsDir, loadConfig, repoRoot, type HubConfig } from '@hub/config';
import { HubError } from '@hub/errors';
import { createKafka, hubAcls, nodePrincipal, topicNames, type Admin, type HubAcl } from '@hub/kafka';
import { createLogger } from '@hub/observability';
import { PkiStore } from '@hub/pki';
import { loadRegions } from '@hub/schemas';
import { ensureClientTokenFile, ensurePasswordFile } from '../../stack/secrets';
import { grantNode, provisionHub, writeBrokerTls } from '../../stack/security';
import { rotateLocalKafkaPasswords } from '../../stack/stack';
import {
  bootstrapScript,
  externalAddresses,
  productionBrokerProperties,
  productionPrincipals,
} from '../../stack/security-production';
import type { Command } from '../command';
import { parse, say } from '../command';

const USAGE = `hub security certs <hostname>[=<public-name>,...]... [--out DIR]
hub security passwords [--countries CC,...] [--out DIR]
hub security client-tokens [--countries CC,...] [--out DIR]
hub security render [--countries CC,...] [--brokers HOST,...] [--external HOST:PORT,...] [--out DIR]
hub security acls [--countries CC,...]
hub security apply [--countries CC,...]
hub security grant <CC>
hub security rotate <principal>...|all

certs      a TLS keystore (broker.pem: key, certificate, CA) and truststore (ca.crt) issued by the hub CA for each
           broker hostname (and 127.0.0.1, localhost), into DIR/<hostname>/ (default $HUB_HOME/secrets/brokers);
           names after '=' go into the same certificate (a broker's public name or address, which national nodes
           elsewhere reach it by: kafka-1=kafka-1.hub.example.org, or kafka-1=203.0.113.5)
passwords  a random password per principal (hub-admin, coordinator, query-api, node-<CC>; under HUB_NAMESPACE
           <ns>.coordinator, ...), one 0600 file each in DIR (default $HUB_HOME/secrets/kafka); existing ones are kept
client-tokens
           a random token per national node for the agencies' systems, DIR/<CC>.tokens (0600; default
           $HUB_HOME/secrets/nodes); existing files are kept. A node reads it from HUB_NODE_TOKEN_FILE, a line
           '<token>' or '<client> <token>' (the name its log gives that system's requests); to replace a token,
           add the new one as a line, move the agencies to it, then remove the old line
render     the production profile: DIR/kafka/server-<n>.properties for each broker and
           DIR/security/bootstrap-security.sh (SCRAM credentials, topics, ACLs); default DIR infra/production.
           --external: each broker's public HOST:PORT, in the order of --brokers, that its EXTERNAL listener
           (SASL_SSL) advertises to national nodes outside the compose project (default: placeholders
           <broker>.hub.example.org:19092, :19093, ... that a deployment must replace)
acls       print the ACLs of the topic table for these countries (namespace: HUB_NAMESPACE)
apply      on the configured cluster, as hub-admin: create the hub's topics and every ACL for these countries, and
           remove the national nodes' grants the configuration no longer gives (a region's feed after leaving it)
grant      on the configured cluster, as hub-admin: onboard one country (its topics, its ACLs, the coordinator's
           write to its in topic); its SCRAM credential comes from 'render' + the bootstrap script, or kafka-configs
rotate     on the secured local broker (hub stack up --secure): a new random password for each principal named
           (node-<CC>, coordinator, query-api, hub-admin; 'all': every one), changed on the running broker, then in
           its file in $HUB_HOME/secrets/kafka. The services read the file again at each new connection to a
           broker, so they take the new password without a restart (connections open stay authenticated). On a
           cluster: kafka-configs.sh --alter --entity-type users, then the new password into HUB_KAFKA_PASSWORD_FILE

Countries default to HUB_DEMO_COUNTRIES. apply and grant need HUB_KAFKA_SECURITY=sasl_ssl,
HUB_KAFKA_USERNAME=hub-admin and its HUB_KAFKA_PASSWORD_FILE.`;

const countryList = (raw: string | undefined, config: HubConfig): string[] => {
  const list = raw
    ? raw
        .split(',')
        .map((c) => c.trim().toUpperCase())
        .filter(Boolean)
    : config.demoCountries;
  for (const cc of list)
    if (!/^[A-Z]{2}$/.test(cc))
      throw new HubError('USAGE', `not an ISO alpha-2 country code: ${cc}\nusage: ${USAGE}`);
  return list;
};

function describeAcl(a: HubAcl): string {
  const resource =
    a.resourceType === 'cluster'
      ? 'cluster'
      : `${a.resourceType} ${a.name}${a.pattern === 'prefixed' ? '*' : ''}`;
  return `${a.principal.padEnd(12)} ${a.operations.join(',').padEnd(22)} ${resource}`;
}

async function asAdmin<T>(config: HubConfig, fn: (admin: Admin) => Promise<T>): Promise<T> {
  if (config.kafka.security?.username !== 'hub-admin')
    throw new HubError(
      'USAGE',
      'this needs the hub-admin principal: set HUB_KAFKA_SECURITY=sasl_ssl, HUB_KAFKA_USERNAME=hub-admin and HUB_KAFKA_PASSWORD_FILE',
    );
  const kafka = createKafka({
    brokers: config.kafka.brokers,
    clientId: 'hub-security',
    security: config.kafka.security,
    logger: createLogger('hub-security', { level: 'warn' }),
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export const securityCommand: Command = {
  name: 'security',
  summary: 'the broker security profile: TLS certificates, SCRAM passwords, ACLs, production files',
  usage: USAGE,
  async run(args) {
    const [verb, ...rest] = args;
    const config = loadConfig();
    const log = say('security');
    const options = {
      countries: { type: 'string' },
      out: { type: 'string' },
      brokers: { type: 'string' },
      external: { type: 'string' },
    } as const;
    const { values, positionals } = parse(rest, options, USAGE);
    const countries = countryList(values.countries, config);
    const regions = loadRegions();

    if (verb === 'certs') {
      if (positionals.length === 0)
        throw new HubError('USAGE', `name at least one broker hostname\nusage: ${USAGE}`);
      const pki = new PkiStore(join(config.hubHome, 'pki'));
      const out = resolve(values.out ?? join(config.hubHome, 'secrets', 'brokers'));
      for (const arg of positionals) {
        const [host = '', publicNames = ''] = arg.split('=', 2);
        if (!host) throw new HubError('USAGE', `name the broker before '=': ${arg}\nusage: ${USAGE}`);
        const names = [host, ...publicNames.split(',').map((n) => n.trim())].filter(Boolean);
        const files = writeBrokerTls(pki, join(out, host), names);
        log(`${names.join(', ')}: ${files.keystore} (0600), ${files.truststore}`);
      }
      return 0;
    }
    if (verb === 'passwords') {
      const out = resolve(values.out ?? kafkaSecretsDir(config.hubHome));
      for (const principal of productionPrincipals(countries, config.namespace))
        log(ensurePasswordFile(out, principal));
      return 0;
    }
    if (verb === 'client-tokens') {
      const out = resolve(values.out ?? join(config.hubHome, 'secrets', 'nodes'));
      for (const cc of countries) log(ensureClientTokenFile(out, cc));
      return 0;
    }
    if (verb === 'render') {
      const out = resolve(values.out ?? join(repoRoot, 'infra', 'production'));
      const brokers = (values.brokers ?? 'kafka-1,kafka-2,kafka-3').split(',').map((b) => b.trim());
      const external = values.external?.split(',').map((a) => a.trim());
      const plan = {
        brokers,
        ...(external ? { external } : {}),
        countries,
        regions,
        partitions: 3,
        replicationFactor: Math.min(3, brokers.length),
        ...(config.namespace ? { namespace: config.namespace } : {}),
      };
      externalAddresses(plan); // refused with the reason before any file is written
      mkdirSync(join(out, 'kafka'), { recursive: true });
      mkdirSync(join(out, 'security'), { recursive: true });
      brokers.forEach((_, i) => {
        const file = join(out, 'kafka', `server-${i + 1}.properties`);
        writeFileSync(file, productionBrokerProperties(plan, i + 1));
        log(file);
      });
      const script = join(out, 'security', 'bootstrap-security.sh');
      writeFileSync(script, bootstrapScript(plan), { mode: 0o755 });
      log(script);
      return 0;
    }
    if (verb === 'acls') {
      const acls = hubAcls(topicNames(config.namespace), countries, regions);
      process.stdout.write(`${acls.map(describeAcl).join('\n')}\n`);
      return 0;
    }
    const plan = {
      names: topicNames(config.namespace),
      regions,
      topics: { partitions: 3, replicationFactor: config.kafka.replicationFactor },
    };
    if (verb === 'apply') {
      const r = await asAdmin(config, (admin) => provisionHub(admin, { ...plan, countries }));
      log(
        `created ${r.topics.length} topics; ${r.acls} ACL entries in place for ${countries.join(', ')}; ` +
          `removed ${r.removed.length} the configuration no longer grants`,
      );
      return 0;
    }
    if (verb === 'rotate') {
      if (positionals.length === 0)
        throw new HubError(
          'USAGE',
          `name the principals (like node-KZ coordinator), or 'all'\nusage: ${USAGE}`,
        );
      await rotateLocalKafkaPasswords(config, positionals.includes('all') ? [] : positionals, log);
      return 0;
    }
    if (verb === 'grant') {
      const cc = (positionals[0] ?? '').toUpperCase();
      if (!/^[A-Z]{2}$/.test(cc))
        throw new HubError('USAGE', `give the country as an ISO alpha-2 code\nusage: ${USAGE}`);
      const r = await asAdmin(config, (admin) => grantNode(admin, plan, cc));
      log(
        `${cc}: created ${r.topics.length} topics; ${r.acls} ACL entries in place for ${nodePrincipal(plan.names, cc)}; ` +
          `removed ${r.removed.length} the configuration no longer grants`,
      );
      return 0;
    }
    process.stderr.write(`usage: ${USAGE}\n`);
    return 2;
  },
};
