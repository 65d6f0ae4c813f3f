// Starting real services in-process for integration tests, each on an ephemeral port.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@hub/config';
import { startCoordinator, type CoordinatorOptions, type RunningCoordinator } from '@hub/coordinator';
import { createSigner, HUB_ORIGIN } from '@hub/envelope';
import { createKafka, ensureTopics, nodeTopicConfigs, topicNames, type Producer } from '@hub/kafka';
import { startNationalNode, type NationalNodeOptions, type RunningNationalNode } from '@hub/national-node';
import { PkiStore } from '@hub/pki';
import { loadSchemaRegistry } from '@hub/schemas';
import { startQueryApi, loadKeyRing, mintToken, authDir, type Clearance, type Role } from '@hub/query-api';
import { connectStore, type Store } from '@hub/store';
import { createTestEnv, waitUntil, type TestEnv } from './env';

/** CONTRACT.md's minimal seizure report (docs/examples/minimal-report.json), a fresh copy each call. */
export function minimalReport(): Record<string, unknown> {
  return JSON.parse(
    readFileSync(join(repoRoot, 'docs', 'examples', 'minimal-report.json'), 'utf8'),
  ) as Record<string, unknown>;
}

export function testPki(env: TestEnv, countries: string[]): PkiStore {
  const pki = new PkiStore(join(env.config.hubHome, 'pki'));
  pki.initCa({ bits: 2048 });
  for (const cc of [...countries, HUB_ORIGIN])
    if (!pki.hasIdentity(cc))
      pki.issue({ country: cc, agency: cc === HUB_ORIGIN ? 'Coordination centre' : `${cc} customs` });
  return pki;
}

export interface TestHub {
  coordinator: RunningCoordinator;
  nodes: Record<string, RunningNationalNode>;
  apiUrl: string;
  token(role: Role, country: string, clearance?: Clearance, ttlSeconds?: number): string;
  close(): Promise<void>;
}

export async function startTestHub(
  env: TestEnv,
  countries: string[],
  coordinatorOptions: Partial<CoordinatorOptions> = {},
  nodeOptions: Partial<NationalNodeOptions> = {},
): Promise<TestHub> {
  testPki(env, countries);
  const coordinator = await startCoordinator({
    config: env.config,
    logger: env.logger,
    opsPort: 0,
    topicRefreshMs: 1000,
    ...coordinatorOptions,
  });
  const nodes: Record<string, RunningNationalNode> = {};
  for (const cc of countries)
    nodes[cc] = await startNationalNode({
      config: env.config,
      country: cc,
      logger: env.logger,
      port: 0,
      ...nodeOptions,
    });
  const api = await startQueryApi({ config: env.config, logger: env.logger, port: 0 });
  const ring = loadKeyRing(authDir(env.config.hubHome));
  return {
    coordinator,
    nodes,
    apiUrl: api.url,
    token: (role, country, clearance = 'AMBER', ttlSeconds = 600) =>
      mintToken(ring, { sub: `${role}-${country}`, role, country, clearance, ttlSeconds }),
    async close() {
      await api.close();
      for (const n of Object.values(nodes)) await n.close();
      await coordinator.close();
    },
  };
}

export async function postJson(
  url: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function getJson(
  url: string,
  token?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** What `useTestHub` gives a describe block once its `before` hook has run. */
export interface HubFixture {
  env: TestEnv;
  hub: TestHub;
  store: Store;
}

/**
 * For a describe block: a test environment, a hub with national nodes for `countries` and a client of its store,
 * started before the block's tests and closed after them. The object returned is filled in by the `before` hook.
 */
export function useTestHub(
  name: string,
  countries: string[],
  coordinatorOptions: Partial<CoordinatorOptions> = {},
): HubFixture {
  const fixture = {} as HubFixture;
  before(async () => {
    fixture.env = createTestEnv(name);
    fixture.hub = await startTestHub(fixture.env, countries, coordinatorOptions);
    fixture.store = await connectStore({
      url: fixture.env.config.mongo.url,
      dbName: fixture.env.config.mongo.dbName,
    });
  });
  after(async () => {
    await fixture.store?.close();
    await fixture.hub?.close();
    fixture.env?.cleanup();
  });
  return fixture;
}

/** Bytes written straight into a topic of the test environment's broker (acks from all replicas), as an attacker or a
 * misbehaving client would, bypassing every service. */
export async function produceRaw(
  env: TestEnv,
  topic: string,
  /** partition: where to append it (by default, as its key falls). */
  messages: { key: string; value: Buffer; partition?: number }[],
): Promise<void> {
  const kafka = createKafka({ brokers: env.config.kafka.brokers, clientId: 'test-raw', logger: env.logger });
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

/** An envelope of `messageType` signed with `origin`'s key from the test's PKI, as that node (or HUB) writes it. */
export function signedAs(env: TestEnv, origin: string, messageType: string, value: object) {
  const identity = new PkiStore(join(env.config.hubHome, 'pki')).identity(origin);
  const signer = createSigner({
    privateKey: identity.privateKey,
    certificate: identity.certificatePem,
    origin,
  });
  const { payload, fingerprint } = loadSchemaRegistry().encode(messageType, value);
  return signer.signEncoded({ messageType, schemaFingerprint: fingerprint, payload });
}

/**
 * An envelope of `messageType` signed with `origin`'s key whose payload no schema of this version reads (as a newer
 * version's would be): the signature is good.
 */
export function unreadableAs(env: TestEnv, origin: string, messageType: string): Buffer {
  const identity = new PkiStore(join(env.config.hubHome, 'pki')).identity(origin);
  return createSigner({
    privateKey: identity.privateKey,
    certificate: identity.certificatePem,
    origin,
  }).signEncoded({
    messageType,
    schemaFingerprint: Buffer.alloc(8, 7),
    payload: Buffer.from('not avro'),
  }).bytes;
}

/** A sample of a service's /metrics: the first of `name` whose labels include `labels` (0 when none is). */
export async function metricValue(
  opsUrl: string | undefined,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  const line = text
    .split('\n')
    .find(
      (l) =>
        (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) &&
        Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
    );
  return Number(line?.split(' ').pop() ?? 0);
}

/** What `useRawIntake` gives a describe block once its `before` hook has run. */
export interface IntakeFixture {
  env: TestEnv;
  /** The hub PKI, with identities for the countries and HUB. */
  pki: PkiStore;
  /** Writes straight into the broker (idempotent, one request in flight), as a node or an attacker would. */
  producer: Producer;
  coordinator: RunningCoordinator;
  store: Store;
}

/**
 * Writes `record` to hub.pki and waits until the fixture's coordinator has read it (applied, or ignored): what it
 * announces or revokes counts for what is sent after.
 */
export async function sendToPki(fx: IntakeFixture, record: { key: string; value: Buffer }): Promise<void> {
  const [sent] = await fx.producer.send({
    topic: topicNames(fx.env.config.namespace).pki,
    acks: -1,
    messages: [record],
  });
  const offset = BigInt(sent!.baseOffset!);
  await waitUntil('the record read from hub.pki', () => fx.coordinator.pkiRead() > offset || undefined);
}

/**
 * For a describe block: a coordinator alone, with the node topics of `countries` (one partition each) and a
 * producer to write envelopes into them directly, no national node in between; closed after the block's tests.
 */
export function useRawIntake(
  name: string,
  countries: string[],
  coordinatorOptions: Partial<CoordinatorOptions> = {},
): IntakeFixture {
  const fixture = {} as IntakeFixture;
  before(async () => {
    fixture.env = createTestEnv(name);
    const { config, logger } = fixture.env;
    fixture.pki = testPki(fixture.env, countries);
    const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `test-${name}`, logger });
    const admin = kafka.admin();
    await admin.connect();
    const names = topicNames(config.namespace);
    await ensureTopics(
      admin,
      countries.flatMap((cc) => nodeTopicConfigs(names, cc, { partitions: 1, replicationFactor: 1 })),
    );
    await admin.disconnect();
    fixture.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await fixture.producer.connect();
    fixture.coordinator = await startCoordinator({
      config,
      logger,
      topicRefreshMs: 500,
      ...coordinatorOptions,
    });
    fixture.store = await connectStore({ url: config.mongo.url, dbName: config.mongo.dbName });
  });
  after(async () => {
    await fixture.producer?.disconnect();
    await fixture.coordinator?.close();
    await fixture.store?.close();
    fixture.env?.cleanup();
  });
  return fixture;
}
