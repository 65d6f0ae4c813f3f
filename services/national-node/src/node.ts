// Wiring of one national node: identity, outbox, publisher, inbound receipts, HTTP API.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { join } from 'node:path';
import type { HubConfig } from '@hub/config';
import { HubError } from '@hub/errors';
import {
  CARRIER_MAX_BYTES,
  createSigner,
  createVerifier,
  decodeEnvelope,
  HUB_ORIGIN,
  renewableSigner,
} from '@hub/envelope';
import {
  createKafka,
  ensureTopics,
  pkiTopicConfig,
  nodeTopicConfigs,
  tailTopic,
  PartitionCounts,
  topicNames,
} from '@hub/kafka';
import { Counter, Gauge, createMetricsRegistry, type HealthCheck, type Logger } from '@hub/observability';
import type { InformationRequestRecord, InformationResponseRecord } from '@hub/domain';
import {
  PkiStore,
  announceCertificate,
  createTrustStore,
  joinPki,
  watchCertificates,
  watchForRenewal,
} from '@hub/pki';
import { loadRegions, loadSchemaRegistry, type SchemaRegistry } from '@hub/schemas';
import { createApp, createSeizureAcceptor } from './app';
import { unansweredWatch } from './routes-receipts';
import { startInboxWatcher, type InboxWatcherOptions } from './inbox-watcher';
import { InboundStore } from './inbox-store';
import { followErasures } from './erasures';
import { OutboxLog, type OutboxRecord } from './outbox/log';
import { startPublisher, type Publisher } from './outbox/publisher';
import { ReportsIndex } from './reports-index';
import { startWebhook } from './webhook';
import { readInboundValue } from './request-notices';
import { RequestsLog, type RequestsLogEntry } from './requests-log';
import { createBookkeeping, createSubmitter } from './submit';
import { createCsvImporter } from './routes-csv';

export interface NationalNodeOptions {
  config: HubConfig;
  country: string;
  logger: Logger;
  /** 0 for an ephemeral port. */
  port: number;
  host?: string;
  /** The CSV inbox folder $HUB_HOME/nodes/<CC>/inbox (on by default); false turns it off. */
  inbox?: false | Pick<InboxWatcherOptions, 'pollMs' | 'stableMs' | 'defaults'>;
  /** Forward what arrives from the coordinator to the agency's system (default: HUB_NODE_WEBHOOK_URL), or false. */
  webhook?: false | { url: string; secret?: string };
  /**
   * false: a send-only node (bulk imports): it announces its certificate and publishes, but neither follows
   * hub.pki nor consumes its inbound topic.
   */
  inbound?: boolean;
  /** Envelope bytes the outbox publisher keeps in memory (default 32 MiB); a longer backlog waits on disk only. */
  outboxMemoryBytes?: number;
  /** How often the node looks for a renewed certificate in its folder, and for new TLS files (default 60 s). */
  certificateCheckMs?: number;
}

export interface RunningNationalNode {
  url: string;
  country: string;
  outboxDepth(): number;
  /** Bytes of unpublished envelopes held in memory (at most about `outboxMemoryBytes`). */
  outboxMemoryBytes(): number;
  close(): Promise<void>;
}

export async function startNationalNode(options: NationalNodeOptions): Promise<RunningNationalNode> {
  const { config, country } = options;
  const logger = options.logger.child({ node: country });
  const names = topicNames(config.namespace);
  const registry = loadSchemaRegistry();
  const regions = loadRegions();
  const pki = new PkiStore(join(config.hubHome, 'pki'));
  const identity = pki.identity(country);
  // A node needs only the CA certificate and its own; the coordinator's arrives on hub.pki.
  const trust = createTrustStore(pki.caCertPem());
  trust.add(identity.certificatePem);
  // Replaced without a restart when a renewed certificate appears in the node's folder (@hub/pki renewal.ts).
  const signer = renewableSigner(
    createSigner({
      privateKey: identity.privateKey,
      certificate: identity.certificatePem,
      origin: country,
      batch: config.signatureBatch,
    }),
  );
  /** The certificate signed with now (its fingerprint changes on renewal). */
  const ownCertificate = { fingerprint: identity.fingerprint, origin: country };
  const verifier = createVerifier({ trust });

  const kafka = createKafka({
    brokers: config.kafka.brokers,
    clientId: `${config.kafka.clientId}-node-${country}`,
    logger,
    security: config.kafka.security,
  });
  const admin = kafka.admin();
  await admin.connect();
  const plan = { partitions: 3, replicationFactor: config.kafka.replicationFactor };
  // Only the topics this node may see: with broker ACLs it may describe nothing else (hub-admin creates them).
  await ensureTopics(admin, [...nodeTopicConfigs(names, country, plan), pkiTopicConfig(names, plan)]);
  await admin.disconnect();

  const newProducer = async () => {
    const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await p.connect();
    return p;
  };
  const producer = await newProducer();
  const inboundEnabled = options.inbound ?? true;
  const pkiOptions = {
    kafka,
    producer,
    topic: names.pki,
    registry,
    trust,
    logger,
    signer,
    certificatePem: identity.certificatePem,
    groupPrefix: names.group(`node-${country}-pki`),
  };
  const pkiTail = inboundEnabled ? await joinPki(pkiOptions) : await announceOnly(pkiOptions);

  const metrics = createMetricsRegistry(`national-node-${country}`);
  // Its own certificate and the CA's: warned of ahead of expiry, and nothing signed once it has expired.
  const certificates = watchCertificates({
    trust,
    own: ownCertificate,
    metrics,
    logger,
  });
  const renewal = watchForRenewal({
    pki,
    trust,
    signer,
    own: ownCertificate,
    hubPki: { producer, topic: names.pki, registry },
    batch: config.signatureBatch,
    logger,
    everyMs: options.certificateCheckMs,
  });
  const nodeDir = join(config.hubHome, 'nodes', country);
  const claim = claimNodeDir(nodeDir, country);
  const reports = new ReportsIndex(join(nodeDir, 'reports.idx'));
  const requests = new RequestsLog(join(nodeDir, 'requests.jsonl'));
  const inbound = new InboundStore(join(nodeDir, 'inbound.jsonl'));
  // Erasure orders reach the version index (read back, and as they come): before the outbox's records are taken
  // back into it, and before the inbox takes anything new.
  const erasures = followErasures({ inbound, reports, country, logger });
  const { log, pending, spilled } = openOutbox({
    dir: join(nodeDir, 'outbox'),
    reports,
    requests,
    registry,
    logger,
    pendingBytes: options.outboxMemoryBytes ?? OUTBOX_MEMORY_BYTES,
  });
  const published = new Counter({
    name: 'hub_node_published_total',
    help: 'Envelopes published to Kafka',
    registers: [metrics],
  });
  const accepted = new Counter({
    name: 'hub_node_accepted_total',
    help: 'Reports accepted from agencies (202)',
    registers: [metrics],
  });
  const unreadable = new Counter({
    name: 'hub_node_inbound_unreadable_total',
    help: 'Messages from the coordinator this node could not read: passed over, or, for a request or answer of a newer schema, kept unread and listed until the node is upgraded (upgrade the node)',
    registers: [metrics],
  });
  const publisher = startPublisher({
    log,
    producer: await newProducer(),
    renewProducer: newProducer,
    partitions: PartitionCounts.fromCluster(kafka),
    topic: names.nodeOut(country),
    logger,
    pending,
    spilled,
    memoryBytes: options.outboxMemoryBytes ?? OUTBOX_MEMORY_BYTES,
    onPublished: (n) => published.inc(n),
  });
  new Gauge({
    name: 'hub_node_outbox_depth',
    help: 'Envelopes in the outbox not yet published',
    registers: [metrics],
    collect() {
      this.set(publisher.depth());
    },
  });
  new Gauge({
    name: 'hub_node_outbox_memory_bytes',
    help: 'Bytes of unpublished envelopes held in memory (the rest of a backlog waits on disk only)',
    registers: [metrics],
    collect() {
      this.set(publisher.memoryBytes());
    },
  });
  new Gauge({
    name: 'hub_node_outbox_oldest_age_seconds',
    help: 'Age of the oldest unpublished envelope',
    registers: [metrics],
    collect() {
      this.set(publisher.oldestAgeMs() / 1000);
    },
  });

  // What the hub has not answered yet (a send-only node follows no receipts: nothing to show).
  if (inboundEnabled) {
    const waiting = unansweredWatch({ reports, inbound });
    new Gauge({
      name: 'hub_node_unanswered',
      help: 'Records this node sent whose latest version has no receipt from the hub yet',
      registers: [metrics],
      collect() {
        this.set(waiting().count);
      },
    });
    new Gauge({
      name: 'hub_node_unanswered_oldest_age_seconds',
      help: 'How long the oldest of them has waited for its receipt, since the node took it (0: none waits)',
      registers: [metrics],
      collect() {
        this.set(waiting().oldestMs / 1000);
      },
    });
  }
  const webhookTarget = options.webhook === false ? undefined : (options.webhook ?? config.nodeWebhook);
  const webhook = webhookTarget
    ? startWebhook({
        ...webhookTarget,
        cursorFile: join(nodeDir, 'webhook.cursor'),
        inbound,
        logger,
        registry,
      })
    : undefined;
  if (webhook)
    new Gauge({
      name: 'hub_node_webhook_pending',
      help: 'Inbound messages not yet delivered to the webhook',
      registers: [metrics],
      collect() {
        this.set(webhook.pending());
      },
    });
  const inboundTail = !inboundEnabled
    ? { stop: async () => undefined }
    : await tailTopic({
        kafka,
        topic: names.nodeIn(country),
        groupId: names.group(`node-${country}-inbound`),
        onMessage: (message) => {
          if (!message.value) return;
          // The coordinator's notices carry an envelope whole, which may be as large as any: they may be larger.
          // Certificates are judged valid as of when the record came (the broker's time), not when this node reads
          // it: a node down or behind across an expiry would otherwise pass over what was valid when sent.
          const cameAt = Number(message.timestamp);
          const validAt = Number.isFinite(cameAt) && cameAt > 0 ? { validAt: cameAt } : {};
          const v = verifier.verify(message.value, { maxBytes: CARRIER_MAX_BYTES, ...validAt });
          if (!v.ok || v.envelope.origin !== HUB_ORIGIN) {
            // Unknown signer usually means the coordinator's certificate has not arrived on hub.pki yet: retry.
            if (!v.ok && v.reason === 'unknown-signer')
              throw new Error('coordinator certificate not known yet');
            logger.warn({ reason: v.ok ? 'not from the coordinator' : v.reason }, 'inbound message refused');
            return;
          }
          // A request or response inside a RequestNotice is verified against its originator's signature too; one
          // this node cannot read (a newer schema) or trust is kept and listed as such (counted), and one whose
          // originator's certificate has not arrived yet throws, to be read again like the above.
          const value = readInboundValue(v.envelope, {
            ...validAt,
            verifier,
            registry,
            logger,
            onUnreadable: () => unreadable.inc(),
            metrics,
          });
          if (!value) return;
          inbound.add({
            messageId: v.envelope.messageId,
            messageType: v.envelope.messageType,
            receivedAt: Date.now(),
            value,
          });
        },
        // What was kept is on the disk before its offsets are committed: the coordinator sends nothing twice. The
        // notes of records erased in the batch are rewritten out once for it (an erasure's order is in the inbox:
        // a stop before this rewrites them at the next start).
        beforeCommit: async () => {
          await inbound.sync();
          erasures.compact();
        },
      });

  // One submission path for the HTTP API and the watched inbox: nothing is signed once the certificate is no good.
  const submitter = createSubmitter({ registry, signer, log, publisher, mayNotSign: certificates.refusal });
  // One for the API and the inbox folder: one count of what could not be written down after it was taken.
  const bookkeeping = createBookkeeping(logger, metrics);
  const app = createApp({
    bookkeeping,
    country,
    submitter,
    reports,
    inbound,
    requests,
    regions: new Set(regions.map((r) => r.id)),
    metrics,
    logger,
    onAccepted: (n) => accepted.inc(n),
    clientTokens: config.nodeClientTokens,
    ...(config.nodeClientCertificates && { clientCertificates: { trust } }),
    health: [
      certificates.health,
      {
        name: 'broker',
        check: async () => ({ ok: publisher.healthy(), detail: publisher.lastError() ?? 'publishing' }),
      },
      outboxHealth(publisher, { reports, requests }),
      ...(webhook
        ? [
            {
              name: 'webhook',
              // A failing webhook is reported but does not make the node unhealthy: reports still flow.
              check: async () => ({
                ok: true,
                detail: { pending: webhook.pending(), lastError: webhook.lastError() ?? null },
              }),
            },
          ]
        : []),
    ],
  });
  // Over TLS when the node has a server certificate (HUB_NODE_TLS_*): asking for a client certificate, verified
  // against the hub CA, when the API takes only agency systems with one; /healthz and /metrics take any client.
  const tls = config.nodeTls;
  const server: Server = tls
    ? createHttpsServer(
        {
          cert: tls.certPem,
          key: tls.keyPem,
          ca: trust.caBundlePem(),
          requestCert: config.nodeClientCertificates,
          rejectUnauthorized: false,
        },
        app,
      )
    : createHttpServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => logger.error({ err }, 'the API server failed'));
  const tlsReload =
    tls &&
    reloadTlsOnChange(
      server as HttpsServer,
      tls,
      () => trust.caBundlePem(),
      options.certificateCheckMs ?? 60000,
      logger,
    );
  const address = server.address() as { port: number };
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${address.port}`;
  claim.publish(url);
  logger.info({ url, country }, 'national node ready');
  const inbox =
    options.inbox === false
      ? undefined
      : startInboxWatcher({
          ...options.inbox,
          dir: join(nodeDir, 'inbox'),
          logger,
          importCsv: createCsvImporter({
            logger,
            acceptor: createSeizureAcceptor({
              country,
              submitter,
              bookkeeping,
              reports,
              // As the API's: a version or withdrawal the hub refused, and the kinds its receipts name.
              inbound,
              regions: new Set(regions.map((r) => r.id)),
              onAccepted: (n) => accepted.inc(n),
            }),
          }),
        });

  return {
    url,
    country,
    outboxDepth: () => publisher.depth(),
    outboxMemoryBytes: () => publisher.memoryBytes(),
    async close() {
      certificates.close();
      await renewal.close();
      if (tlsReload) clearInterval(tlsReload);
      await inbox?.close();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeIdleConnections();
      });
      await publisher.drain(5000);
      await publisher.stop();
      await log.close();
      try {
        reports.close();
      } catch (err) {
        // Their records are still in the outbox (its cursor never passed them): taken back at the next start.
        logger.error({ err }, 'the version index could not be written whole before the stop');
      }
      // The tails together (each waits for its fetch in flight); the webhook once nothing more comes in for it.
      await Promise.all([
        inboundTail
          .stop()
          .catch(() => undefined)
          .then(() => webhook?.stop()),
        pkiTail.stop().catch(() => undefined),
      ]);
      await producer.disconnect().catch(() => undefined);
      claim.release();
    },
  };
}

const OUTBOX_MEMORY_BYTES = 32 * 1024 * 1024;

/**
 * The node's `outbox` health check: its backlog, and failing while what was published cannot be recorded as such (a
 * full or failing disk under the version index, the requests log or the outbox's cursor), with why. Reports are still
 * taken and published meanwhile, but the outbox keeps every record since, to be published again after a restart,
 * and lines of the index or log not yet written are held in memory only.
 */
export function outboxHealth(
  publisher: Pick<Publisher, 'commitError' | 'depth' | 'oldestAgeMs'>,
  records: { reports: Pick<ReportsIndex, 'unwritten'>; requests: Pick<RequestsLog, 'unwritten'> },
): HealthCheck {
  return {
    name: 'outbox',
    check: async () => {
      const error = publisher.commitError();
      const { reports, requests } = records;
      return {
        ok: error === undefined,
        detail: {
          depth: publisher.depth(),
          oldestAgeSeconds: publisher.oldestAgeMs() / 1000,
          ...(error !== undefined && { error }),
          ...(reports.unwritten + requests.unwritten > 0 && {
            unwrittenLines: { reportsIndex: reports.unwritten, requestsLog: requests.unwritten },
          }),
        },
      };
    },
  };
}

/**
 * Opens the node's outbox and makes its version index and requests log whole from it, before anything may publish: a
 * stop between an envelope reaching the outbox and its line reaching them (or a write of theirs that failed) left
 * them without it, and the records not yet published are all there is to take it back from. Taken back and made
 * durable here, as the log is opened, so that a publisher (which moves the cursor past what it publishes, after which
 * it is read no more) never runs before: a start that stops early (a broker slow to join) then loses nothing. The
 * outbox asks both to be durable before every commit (`beforeCommit`). A backlog from a long outage is read once, and
 * only what is recovered from it is held.
 */
export function openOutbox(options: {
  dir: string;
  reports: ReportsIndex;
  requests: RequestsLog;
  registry: Pick<SchemaRegistry, 'decode'>;
  logger: Logger;
  pendingBytes?: number;
}): ReturnType<typeof OutboxLog.open> {
  const { reports, requests, logger } = options;
  const versions: Parameters<ReportsIndex['reconcile']>[0] = [];
  const entries: RequestsLogEntry[] = [];
  const opened = OutboxLog.open({
    dir: options.dir,
    logger,
    pendingBytes: options.pendingBytes,
    // Published records are read no more at start-up: what was recorded from them must be durable by then.
    beforeCommit: () => {
      reports.sync();
      requests.sync();
    },
    onRecord: (record) => {
      const { request, version } = recoveredFrom(record, options.registry);
      if (request) entries.push(request);
      if (version) versions.push(version);
    },
  });
  try {
    const reconciled = reports.reconcile(versions);
    if (reconciled)
      logger.info({ reconciled }, 'versions recovered from the outbox after an interrupted stop');
    const recovered = requests.recover(entries);
    if (recovered)
      logger.info({ recovered }, 'requests and answers recovered from the outbox after an interrupted stop');
  } catch (err) {
    // Nothing may publish what could not be taken back (a full disk): the node does not start.
    void opened.log.close();
    throw err;
  }
  const waiting = opened.pending.length + opened.spilled.length;
  if (waiting)
    logger.info({ pending: waiting }, 'resuming outbox: unpublished envelopes from before the last stop');
  return opened;
}

/**
 * What a record of the outbox tells the node's own logs, should they have missed it (a stop between the outbox's write
 * and theirs): a request sent or an answer given, for the requests log; a version of a report, route or annual return,
 * for the version index. Each with the digest of the agency's body that made it and what the node normalised in it,
 * which the record keeps: the same body sent again after the crash is still known (answered as a duplicate, not refused
 * or made a new version) and answered with the same normalisations. Nothing of a record that cannot be read.
 */
export function recoveredFrom(
  record: Pick<OutboxRecord, 'value' | 'bodyDigest' | 'notes'> & Partial<Pick<OutboxRecord, 'appendedAt'>>,
  registry: Pick<SchemaRegistry, 'decode'>,
): { request?: RequestsLogEntry; version?: Parameters<ReportsIndex['reconcile']>[0][number] } {
  const decoded = decodeEnvelope(record.value);
  if (!decoded.ok) return {};
  let v: Record<string, unknown>;
  try {
    v = registry.decode(decoded.envelope.schemaFingerprint, decoded.envelope.payload);
  } catch {
    return {}; // a schema this node does not read: nothing to recover
  }
  const { messageType, messageId, signedAt: at } = decoded.envelope;
  const agencyBody = {
    ...(record.bodyDigest !== undefined && { digest: record.bodyDigest }),
    ...(record.notes !== undefined && { normalisations: record.notes }),
  };
  const request: RequestsLogEntry | undefined =
    messageType === 'InformationRequest'
      ? { kind: 'sent', messageId, at, request: v as unknown as InformationRequestRecord, ...agencyBody }
      : messageType === 'InformationResponse'
        ? {
            kind: 'answered',
            messageId,
            at,
            response: v as unknown as InformationResponseRecord,
            ...agencyBody,
          }
        : undefined;
  const id = v.reportId ?? v.returnId ?? v.routeId;
  const version =
    typeof id === 'string' && typeof v.version === 'number'
      ? {
          reportId: id,
          version: v.version,
          digest: record.bodyDigest,
          messageId,
          notes: record.notes,
          sentAt: record.appendedAt,
          // The kind of record (or a withdrawal): the index keeps it (a route or a return is not withdrawn).
          type: messageType,
        }
      : undefined;
  return { ...(request && { request }), ...(version && { version }) };
}

const claimed = new Set<string>();

/**
 * One node per country folder: its outbox and version index must have a single writer. The running node's pid and
 * URL are kept in node.json, so that tools (hub import-annual) send through it instead of starting another.
 */
function claimNodeDir(nodeDir: string, country: string) {
  const file = join(nodeDir, 'node.json');
  const running = runningNode(nodeDir);
  if (claimed.has(nodeDir) || (running && running.pid !== process.pid))
    throw new HubError(
      'NODE_RUNNING',
      `the national node of ${country} already runs${running ? ` (pid ${running.pid}, ${running.url})` : ''} on ${nodeDir}; stop it or use it`,
    );
  claimed.add(nodeDir);
  mkdirSync(nodeDir, { recursive: true });
  return {
    publish(url: string) {
      writeFileSync(file, JSON.stringify({ pid: process.pid, url, startedAt: new Date().toISOString() }));
    },
    release() {
      claimed.delete(nodeDir);
      rmSync(file, { force: true });
    },
  };
}

/** The node running on this folder (pid alive), if any. */
export function runningNode(nodeDir: string): { pid: number; url: string } | undefined {
  try {
    const info = JSON.parse(readFileSync(join(nodeDir, 'node.json'), 'utf8')) as { pid: number; url: string };
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}

async function announceOnly(
  options: Parameters<typeof announceCertificate>[0],
): Promise<{ stop(): Promise<void> }> {
  await announceCertificate(options);
  return { stop: async () => undefined };
}

/**
 * Serves a renewed TLS certificate without a restart: looks at the files every `everyMs` and, when either changed
 * and the two make a usable pair, gives new connections the new certificate (those open keep theirs). Likewise when
 * the hub CAs changed (a rollover learned from hub.pki): client certificates from the new CA are taken from then on.
 */
function reloadTlsOnChange(
  server: HttpsServer,
  tls: { certFile: string; keyFile: string },
  ca: () => string,
  everyMs: number,
  logger: Logger,
): NodeJS.Timeout {
  const stamp = () => `${statSync(tls.certFile).mtimeMs}:${statSync(tls.keyFile).mtimeMs}:${ca()}`;
  let seen = stamp();
  const timer = setInterval(() => {
    try {
      const now = stamp();
      if (now === seen) return;
      const cert = readFileSync(tls.certFile, 'utf8');
      const key = readFileSync(tls.keyFile, 'utf8');
      createSecureContext({ cert, key }); // throws when the key does not match the certificate
      // The whole context is replaced: the CA that client certificates are verified against goes with it.
      server.setSecureContext({ cert, key, ca: ca() });
      seen = now;
      logger.info({ certFile: tls.certFile }, 'serving the renewed TLS certificate (or new hub CAs)');
    } catch (err) {
      // A pair half written, or not a pair: the next look tries again; the old certificate is served meanwhile.
      logger.warn({ err, certFile: tls.certFile }, 'the TLS files changed but cannot be used yet');
    }
  }, everyMs);
  timer.unref();
  return timer;
}
