// The broker security profile, provisioned: TLS with a server certificate from the hub CA, SASL/SCRAM-SHA-512
// with one principal per service, StandardAuthorizer with no access unless an ACL grants it, and the ACLs that
// enforce DESIGN.md's topic table (services/kafka/src/acls.ts), kept equal to it: grants it no longer gives a
// national node are taken away. Used by tests and by `hub security`.
import { isIP } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KafkaSecurity } from '@hub/config';
import { HubError } from '@hub/errors';
import {
  PRINCIPALS,
  coordinatorAcls,
  createKafka,
  ensureTopics,
  keepEveryPkiRecord,
  stampOnArrival,
  aclEntriesOf,
  aclEntryKey,
  aclFilterOfEvery,
  describeAclEntry,
  diffAcls,
  hubTopicConfigs,
  nodeAcls,
  nodePrincipal,
  nodeTopicConfigs,
  toAclEntries,
  wantedAcls,
  type AclEntry,
  type Admin,
  type HubAcl,
  type Kafka,
  type RegionMembers,
  type TopicNames,
  type TopicPlan,
} from '@hub/kafka';
import { createLogger, type Logger } from '@hub/observability';
import { BROKER_OU, PkiStore, issueServerCertificate } from '@hub/pki';
import { commonServerProperties, startKafka, type KafkaLayout, type KafkaProcesses } from './kafka';
import { probeKafka } from './probes';
import { run, startDetached, waitStarted } from './proc';
import { newSecret, passwordFile, principalPassword, replaceSecretFile, writeSecretFile } from './secrets';

export interface BrokerTlsFiles {
  /** PEM keystore: the broker's private key, then its certificate and the CA's (ssl.keystore.type=PEM). */
  keystore: string;
  /** PEM truststore: the hub CA certificates (the current one and those a rollover replaced; ssl.truststore.type=PEM). */
  truststore: string;
}

const RENEW_BEFORE_MS = 30 * 86400000;

/**
 * The broker's TLS files in `dir`, issued by the hub CA for 127.0.0.1, localhost and `hostnames`. An existing
 * certificate is kept while it is from the current CA, names every hostname and has 30 days left.
 */
export function writeBrokerTls(pki: PkiStore, dir: string, hostnames: string[] = []): BrokerTlsFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = { keystore: join(dir, 'broker.pem'), truststore: join(dir, 'ca.crt') };
  const caPem = pki.caCertPem();
  if (existsSync(files.keystore) && existsSync(files.truststore)) {
    const current = new X509Certificate(readFileSync(files.keystore, 'utf8'));
    const ca = new X509Certificate(pki.currentCaPem());
    const fresh =
      current.checkIssued(ca) &&
      current.verify(ca.publicKey) &&
      Date.parse(current.validTo) - Date.now() > RENEW_BEFORE_MS &&
      // One issued before the brokers' unit was BROKER_OU would no longer be taken by the other brokers.
      current.subject.split('\n').includes(`OU=${BROKER_OU}`) &&
      hostnames.every((h) => (isIP(h) ? current.checkIP(h) : current.checkHost(h)) !== undefined);
    if (fresh && readFileSync(files.truststore, 'utf8') === caPem) return files;
  }
  // An address (a broker reached by its public IP) goes into the certificate as an IP, which TLS checks it against.
  const issued = issueServerCertificate(pki.ca(), {
    role: 'broker',
    hostnames: [...hostnames.filter((h) => isIP(h) === 0), 'localhost'],
    ips: hostnames.filter((h) => isIP(h) !== 0),
  });
  writeSecretFile(
    files.keystore,
    `${issued.privateKeyPem.trim()}\n${issued.certificatePem.trim()}\n${pki.currentCaPem().trim()}\n`,
  );
  writeFileSync(files.truststore, caPem);
  return files;
}

export interface SecureListeners {
  /** SASL_SSL with SCRAM-SHA-512: every client (national nodes, coordinator, query API, hub-admin). */
  client: number;
  /** SSL with a required client certificate: broker to broker, and Kafka's own tools run with a broker certificate. */
  internal: number;
  /** The KRaft controller: SSL with a required client certificate, like `internal`. */
  controller: number;
  host?: string;
}

/**
 * The security settings every broker of the profile shares (local and infra/production), as server.properties
 * lines. A client certificate from the hub CA with OU=hub-kafka-broker maps to the super user hub-broker (the
 * cluster's, whatever hubs share it); any other certificate (a national node's, say) maps to its distinguished name,
 * which no ACL names and no hub principal can equal (a DN has '=', which principals never have).
 */
export function securityProperties(tls: BrokerTlsFiles): string[] {
  return [
    'listener.security.protocol.map=SASL_SSL:SASL_SSL,INTERNAL:SSL,CONTROLLER:SSL',
    'inter.broker.listener.name=INTERNAL',
    'controller.listener.names=CONTROLLER',
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    // The server side of SCRAM needs its login module; credentials live in the cluster metadata, not here.
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.internal.ssl.client.auth=required',
    'listener.name.controller.ssl.client.auth=required',
    `ssl.principal.mapping.rules=RULE:^CN=[^,]+,OU=${BROKER_OU},.*$/${PRINCIPALS.broker}/,DEFAULT`,
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${tls.keystore}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${tls.truststore}`,
    'ssl.enabled.protocols=TLSv1.3,TLSv1.2',
    'ssl.endpoint.identification.algorithm=https',
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'allow.everyone.if.no.acl.found=false',
    `super.users=User:${PRINCIPALS.admin};User:${PRINCIPALS.broker}`,
  ];
}

/** server.properties of a combined KRaft broker+controller in the security profile. Holds no secret. */
export function secureServerProperties(
  layout: KafkaLayout,
  listeners: SecureListeners,
  tls: BrokerTlsFiles,
): string {
  const host = listeners.host ?? '127.0.0.1';
  return [
    '# Written by the hub security profile (scripts/src/stack/security.ts).',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${host}:${listeners.controller}`,
    `listeners=SASL_SSL://${host}:${listeners.client},INTERNAL://${host}:${listeners.internal},CONTROLLER://${host}:${listeners.controller}`,
    `advertised.listeners=SASL_SSL://${host}:${listeners.client},INTERNAL://${host}:${listeners.internal}`,
    ...securityProperties(tls),
    ...commonServerProperties(layout),
    '',
  ].join('\n');
}

/** The client security of `principal` against a broker trusting the hub CA, password from $HUB_HOME/secrets. */
export function principalSecurity(hubHome: string, principal: string, caPem: string): KafkaSecurity {
  return {
    protocol: 'sasl_ssl',
    mechanism: 'scram-sha-512',
    username: principal,
    password: principalPassword(hubHome, principal),
    passwordFile: passwordFile(hubHome, principal),
    caPem,
  };
}

/** Java client properties for Kafka's own tools on the INTERNAL listener, authenticated by a broker certificate. */
export function brokerClientProperties(tls: BrokerTlsFiles): string {
  return [
    'security.protocol=SSL',
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${tls.keystore}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${tls.truststore}`,
    '',
  ].join('\n');
}

/** The processes and probes of a secured start: the real ones, or a test's stand-ins. */
export interface SecureStartProcesses extends KafkaProcesses {
  /** Whether the broker answers on its INTERNAL listener to the broker certificate. */
  internalReady(internal: string[], tls: BrokerTlsFiles): Promise<boolean>;
  /** Whether `security`'s principal signs in on the client listener (SASL_SSL). */
  clientReady(brokers: string[], security: KafkaSecurity): Promise<boolean>;
}

const liveStartProcesses: SecureStartProcesses = {
  run,
  startDetached,
  internalReady: probeInternal,
  clientReady: async (brokers, security) => (await probeKafka(brokers, security)).ok,
};

export interface SecureBrokerOptions {
  /** Cached broker jars, data dir, config dir and log file (kafkaLayout). */
  layout: KafkaLayout;
  /** HUB_HOME with the hub PKI (pki/) and the principals' passwords (secrets/kafka/). */
  hubHome: string;
  listeners: SecureListeners;
  /** More DNS names for the broker certificate. */
  hostnames?: string[];
  /** Principals given SCRAM credentials on a new storage, besides hub-admin. */
  principals?: string[];
  heapMb?: number;
  marker?: string;
  readyTimeoutMs?: number;
  /** Called with the broker's pid as soon as it runs, before it is ready (to record it for a later stop). */
  onStart?: (pid: number) => void;
  /**
   * Called with each principal once its credential is made, not before: a start interrupted midway leaves a record
   * of those the broker holds.
   */
  onCredential?: (principal: string) => void;
  /** Default: the real ones. */
  processes?: SecureStartProcesses;
}

export interface SecureBroker {
  pid: number;
  brokers: string[];
  /** The INTERNAL listener, for Kafka's tools with a broker certificate. */
  internal: string[];
  caPem: string;
  tls: BrokerTlsFiles;
  /** Client security for one principal. */
  security(principal: string): KafkaSecurity;
}

/**
 * Start a secured broker and wait until hub-admin gets in. The storage is formatted without credentials (a password
 * on the format command line is anyone's to read in /proc/<pid>/cmdline); once the broker answers on INTERNAL, the
 * SCRAM credentials of `principals` and hub-admin are made there with the broker certificate (super user hub-broker),
 * each password through a 0600 file (addScramUsers). hub-admin's comes last: when it signs in, the broker has them
 * all (a restart of a storage made before), and nothing is made again.
 */
export async function startSecureKafka(options: SecureBrokerOptions): Promise<SecureBroker> {
  const processes = options.processes ?? liveStartProcesses;
  const pki = new PkiStore(join(options.hubHome, 'pki'));
  pki.initCa();
  const tls = writeBrokerTls(pki, join(options.layout.configDir, 'tls'), options.hostnames);
  const caPem = pki.caCertPem();
  const properties = secureServerProperties(options.layout, options.listeners, tls);
  const pid = await startKafka(options.layout, options.listeners.client, options.listeners.controller, {
    properties,
    heapMb: options.heapMb,
    marker: options.marker ?? 'kafka-secure',
    processes,
  });
  options.onStart?.(pid);
  const host = options.listeners.host ?? '127.0.0.1';
  const brokers = [`${host}:${options.listeners.client}`];
  const broker: SecureBroker = {
    pid,
    brokers,
    internal: [`${host}:${options.listeners.internal}`],
    caPem,
    tls,
    security: (principal) => principalSecurity(options.hubHome, principal, caPem),
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 90000);
  const wait = (ready: () => Promise<boolean>) =>
    waitStarted(
      'the secured Kafka broker',
      pid,
      ready,
      Math.max(deadline - Date.now(), 1000),
      options.layout.logFile,
    );
  await wait(() => processes.internalReady(broker.internal, tls));
  const admin = broker.security(PRINCIPALS.admin);
  if (!(await processes.clientReady(brokers, admin))) {
    const others = (options.principals ?? []).filter((p) => p !== PRINCIPALS.admin);
    await addScramUsers({
      libs: options.layout.libs,
      internal: broker.internal,
      hubHome: options.hubHome,
      tls,
      principals: [...new Set(others), PRINCIPALS.admin],
      run: processes.run,
      onMade: options.onCredential,
    });
  }
  await wait(() => processes.clientReady(brokers, admin));
  return broker;
}

/** The key and the certificates of a PEM keystore (writeBrokerTls's broker.pem), as Node's TLS takes them. */
function keystoreParts(pem: string): { key: string; cert: string } {
  const key = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/.exec(pem)?.[0];
  const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (!key || certs.length === 0)
    throw new HubError('KAFKA_SECURITY_FAILED', 'the broker keystore holds no private key or no certificate');
  return { key, cert: certs.join('\n') };
}

/**
 * Whether a broker answers on its INTERNAL listener (TLS with a required client certificate) to the broker
 * certificate: the listener the SCRAM credentials are made on, before any exists.
 */
export async function probeInternal(internal: string[], tls: BrokerTlsFiles): Promise<boolean> {
  const kafka = createKafka({
    brokers: internal,
    clientId: 'hub-probe',
    logger: createLogger('hub-probe', { level: 'silent' }),
    connectionTimeoutMs: 5000,
    retries: 0,
    ssl: {
      ...keystoreParts(readFileSync(tls.keystore, 'utf8')),
      ca: [readFileSync(tls.truststore, 'utf8')],
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    return (await admin.describeCluster()).brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** A kafkajs client for `security`'s principal, logging only errors. */
export function secureKafka(brokers: string[], security: KafkaSecurity, clientId = 'hub-security'): Kafka {
  return createKafka({
    brokers,
    clientId,
    security,
    logger: createLogger(clientId, { level: 'silent' }),
    connectionTimeoutMs: 5000,
  });
}

export interface ScramTarget {
  libs: string;
  /** The INTERNAL listener(s). */
  internal: string[];
  hubHome: string;
  tls: BrokerTlsFiles;
  principals: string[];
  /** Runs Kafka's ConfigCommand; default proc's `run`. */
  run?: typeof run;
  /** Called with each principal once the broker has its credential (before the next is made). */
  onMade?: (principal: string) => void;
}

/**
 * Create or update SCRAM-SHA-512 credentials on a running cluster, with the passwords of $HUB_HOME/secrets (or those
 * given). kafkajs has no API for it, so this runs Kafka's ConfigCommand from the cached jars on the INTERNAL listener
 * with the broker certificate (the same way infra/production's bootstrap does); the password goes through a 0600
 * file, not argv.
 */
export async function addScramUsers(
  options: ScramTarget,
  passwords: (principal: string) => string = (p) => principalPassword(options.hubHome, p),
): Promise<void> {
  const dir = join(options.tls.keystore, '..');
  const commandConfig = join(dir, 'tools-client.properties');
  writeSecretFile(commandConfig, brokerClientProperties(options.tls));
  for (const principal of options.principals) {
    const file = join(dir, `.scram-${principal}.properties`);
    const password = passwords(principal);
    // A properties file: the value is what `--add-config` takes between the brackets.
    writeSecretFile(file, `SCRAM-SHA-512=iterations=8192,password=${password}\n`);
    try {
      const r = await (options.run ?? run)('java', [
        '-Xmx128m',
        '-cp',
        `${options.libs}/*`,
        'kafka.admin.ConfigCommand',
        '--bootstrap-server',
        options.internal.join(','),
        '--command-config',
        commandConfig,
        '--alter',
        '--entity-type',
        'users',
        '--entity-name',
        principal,
        '--add-config-file',
        file,
      ]);
      if (r.code !== 0)
        throw new HubError(
          'KAFKA_SECURITY_FAILED',
          `setting the SCRAM credential of ${principal} failed:\n${(r.stdout + r.stderr).split(password).join('[redacted]').slice(-2000)}`,
        );
      options.onMade?.(principal);
    } finally {
      rmSync(file, { force: true });
    }
  }
}

/**
 * Give each principal a new random password: first on the broker, then in its file in $HUB_HOME/secrets/kafka
 * (replaced whole, 0600). Services that read the file (HUB_KAFKA_PASSWORD_FILE) use the new password at their next
 * connection to a broker; connections already open stay authenticated. A principal whose credential could not be
 * changed keeps its file, so nothing is left holding a password the broker does not know.
 */
export async function rotateScramPasswords(options: ScramTarget): Promise<void> {
  for (const principal of options.principals) {
    const password = newSecret();
    await addScramUsers({ ...options, principals: [principal] }, () => password);
    replaceSecretFile(passwordFile(options.hubHome, principal), `${password}\n`);
  }
}

/** Apply ACLs as a super user. Creating an ACL that exists is a no-op for Kafka, so this is idempotent. */
export async function applyAcls(admin: Admin, acls: HubAcl[]): Promise<number> {
  const entries = toAclEntries(acls);
  await admin.createAcls({ acl: entries });
  return entries.length;
}

/** Every ACL the broker holds (or those of one principal), one entry per operation. */
async function heldAcls(admin: Admin, principal?: string): Promise<AclEntry[]> {
  return aclEntriesOf(await admin.describeAcls(aclFilterOfEvery(principal)));
}

export interface AclReconciliation {
  /** Entries the configuration wants, now all in place. */
  wanted: number;
  /** Entries created by this run (the others were there). */
  added: number;
  /** Node grants the configuration no longer gives, deleted by this run. */
  removed: AclEntry[];
}

/**
 * As a super user, make the broker's grants those `want` computes from what it holds: create the wanted entries it
 * lacks, then delete the grants it manages in this namespace (a node's; another hub's services': isManagedNodeGrant)
 * that are not wanted (diffAcls), each one logged. Without the deletions, a country removed from a region would go
 * on reading that region's feed from the broker. `principal` (`User:<ns>.node-KZ`) narrows both the look-up and the
 * deletions to one node.
 */
export async function reconcileAcls(
  admin: Admin,
  names: TopicNames,
  want: (held: AclEntry[]) => AclEntry[],
  options: { logger: Logger; principal?: string },
): Promise<AclReconciliation> {
  const held = await heldAcls(admin, options.principal);
  const wanted = want(held);
  const diff = diffAcls(
    names,
    wanted,
    held,
    options.principal === undefined ? undefined : [options.principal],
  );
  // Grants first, removals after: a node keeps what it is entitled to throughout.
  if (diff.add.length > 0) await admin.createAcls({ acl: diff.add });
  if (diff.remove.length === 0) return { wanted: wanted.length, added: diff.add.length, removed: [] };
  const { removed, remaining, cause } = await deleteNodeGrants(admin, diff.remove, options.principal);
  // Every removal that took is logged, even when others failed: the log is the record of access taken away.
  for (const entry of removed)
    options.logger.warn(
      { event: 'acl.removed', ...describeAclEntry(entry) },
      'ACL removed: the configuration no longer grants it',
    );
  if (remaining.length > 0)
    throw new HubError(
      'KAFKA_SECURITY_FAILED',
      `removing ACLs the configuration no longer grants failed (${removed.length} of ${diff.remove.length} removed, ` +
        `each logged as acl.removed); still held: ${remaining
          .map(({ entry, reason }) => `${aclLine(entry)}: ${reason}`)
          .join('; ')}`,
      { cause },
    );
  return { wanted: wanted.length, added: diff.add.length, removed };
}

/** An ACL entry in an error message: who, what, on which resource. */
function aclLine(entry: AclEntry): string {
  const d = describeAclEntry(entry);
  return `${d.principal} ${d.operation} ${d.resourceType} ${d.resource}`;
}

/** What a DeleteAcls of node grants did: the grants gone, those still held (and why), and the error if one came. */
interface GrantDeletion {
  removed: AclEntry[];
  remaining: { entry: AclEntry; reason: string }[];
  cause?: unknown;
}

/**
 * Deletes these grants (exact filters, one each) and finds which went. kafkajs throws as soon as any filter of the
 * answer has an error, the others' results unread, so then the broker's grants are read again (DescribeAcls): those
 * still held failed, the rest went.
 */
async function deleteNodeGrants(
  admin: Admin,
  entries: AclEntry[],
  principal?: string,
): Promise<GrantDeletion> {
  let answer;
  try {
    answer = await admin.deleteAcls({ filters: entries });
  } catch (cause) {
    const why = (cause as Error).message;
    let held: Set<string>;
    try {
      held = new Set((await heldAcls(admin, principal)).map(aclEntryKey));
    } catch (again) {
      throw new HubError(
        'KAFKA_SECURITY_FAILED',
        `removing ACLs the configuration no longer grants failed (${why}), and reading the broker's ACLs again to ` +
          `find which went failed too (${(again as Error).message}): run it again; none of the ${entries.length} ` +
          `removals is known to have taken (${entries.map(aclLine).join('; ')})`,
        { cause },
      );
    }
    return {
      removed: entries.filter((e) => !held.has(aclEntryKey(e))),
      remaining: entries.filter((e) => held.has(aclEntryKey(e))).map((entry) => ({ entry, reason: why })),
      cause,
    };
  }
  // An admin that answers rather than throws: each filter's own error code (and its matches').
  const reasons = entries.map((_, i) => {
    const r = answer.filterResponses[i];
    if (r === undefined) return 'no answer for this filter';
    if (r.errorCode !== 0) return r.errorMessage || `error ${r.errorCode}`;
    const m = r.matchingAcls.find((a) => a.errorCode !== 0);
    return m ? m.errorMessage || `error ${m.errorCode}` : undefined;
  });
  return {
    removed: entries.filter((_, i) => reasons[i] === undefined),
    remaining: entries.flatMap((entry, i) => {
      const reason = reasons[i];
      return reason === undefined ? [] : [{ entry, reason }];
    }),
  };
}

/** Where provisioning logs each ACL it removes, unless its caller gives a logger: stderr, beside the CLI's output. */
const securityLogger = (): Logger => createLogger('hub-security', { stderr: true });

export interface HubPlan {
  names: TopicNames;
  countries: string[];
  regions: RegionMembers[];
  topics: TopicPlan;
}

/**
 * As hub-admin: create every hub topic (the national nodes may not create topics) and every ACL for these
 * countries, the coordinator and the query API; and take away the node grants the configuration no longer gives
 * (a feed of a region a country has left, say) and what other hubs' principals hold in this namespace, logging each. Other nodes holding grants in this namespace keep
 * those still due to them (wantedAcls).
 */
export async function provisionHub(
  admin: Admin,
  plan: HubPlan,
  logger: Logger = securityLogger(),
): Promise<{ topics: string[]; acls: number; removed: AclEntry[] }> {
  const wanted = [
    ...hubTopicConfigs(
      plan.names,
      plan.regions.map((r) => r.id),
      plan.topics,
    ),
    ...plan.countries.flatMap((cc) => nodeTopicConfigs(plan.names, cc, plan.topics)),
  ];
  const topics = await ensureTopics(admin, wanted);
  // A hub.pki made before 2026-12-07 was compacted, letting any node erase a revocation: kept whole now.
  await keepEveryPkiRecord(admin, plan.names);
  // Topics made before 2026-12-07 kept their producers' times: they carry the brokers' append time now.
  await stampOnArrival(admin, wanted);
  const acls = await reconcileAcls(
    admin,
    plan.names,
    (held) => wantedAcls(plan.names, plan.countries, plan.regions, held),
    { logger },
  );
  return { topics, acls: acls.wanted, removed: acls.removed };
}

/**
 * Onboard one country on a running secured cluster: its topics, its ACLs and the coordinator's write to its in
 * topic; grants its node holds that the configuration no longer gives (a region it has left) are taken away.
 */
export async function grantNode(
  admin: Admin,
  plan: Omit<HubPlan, 'countries'>,
  cc: string,
  logger: Logger = securityLogger(),
): Promise<{ topics: string[]; acls: number; removed: AclEntry[] }> {
  const topics = await ensureTopics(admin, nodeTopicConfigs(plan.names, cc, plan.topics));
  const grants = toAclEntries([
    ...nodeAcls(plan.names, cc, plan.regions),
    ...coordinatorAcls(plan.names, [cc]).filter((a) => a.name === plan.names.nodeIn(cc)),
  ]);
  const acls = await reconcileAcls(admin, plan.names, () => grants, {
    logger,
    principal: `User:${nodePrincipal(plan.names, cc)}`,
  });
  return { topics, acls: acls.wanted, removed: acls.removed };
}
