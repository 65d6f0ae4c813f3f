// `hub pki init|issue|revoke`.
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { loadConfig } from '@hub/config';
import { HubError } from '@hub/errors';
import { createKafka, ensureTopics, hubTopicConfigs, topicNames } from '@hub/kafka';
import { createLogger } from '@hub/observability';
import { PkiStore, agencyOf, fingerprintOf, originOf, revocationNotice } from '@hub/pki';
import { loadSchemaRegistry } from '@hub/schemas';
import type { Command } from '../command';
import { parse, say } from '../command';

const USAGE = `hub pki init [--bits 3072]
hub pki issue <CC|HUB> [--agency NAME] [--bits 2048|3072|4096] [--days N] [--if-missing]
hub pki issue-client <CC> <system> [--days N]
hub pki issue-server <name> [--host NAME,...] [--ip ADDRESS,...] [--days N]
hub pki revoke <fingerprint|CC> [--reason TEXT]
hub pki list [--json]

init    create the hub CA in $HUB_HOME/pki/ca (idempotent; the key is written 0600)
issue   a key pair and a certificate for a national node (or HUB, the coordinator); the previous
        certificate stays valid until it expires, so renewal overlaps; a running node finds the new one in
        its folder (pki/nodes/<CC>) within a minute and signs with it, the coordinator at its next start
issue-client
        a TLS client certificate for an agency's system that sends to the node of <CC> (a node with
        HUB_NODE_CLIENT_CERTIFICATES=require takes only these; <system> is what its reports carry as
        submittedBy), in pki/clients/<CC>/<system>.crt and .key: hand both to the system's operators
issue-server
        a TLS server certificate for a national node's API (HUB_NODE_TLS_CERT_FILE, HUB_NODE_TLS_KEY_FILE),
        naming the hosts and addresses the agencies' systems reach it by (localhost and 127.0.0.1 always), in
        pki/servers/<name>.crt and .key
revoke  revoke a certificate (by SHA-256 fingerprint, or a country's current one), record it locally and
        publish a CA-signed revocation on hub.pki, which every verifier applies without a restart
list    every certificate in $HUB_HOME/pki (the CA's, each node's current and previous ones, agency systems' and
        servers'): valid from and
        until, days left, and whether it is current, previous, expired or revoked; renew those expiring
        within 30 days (the services warn of them too)`;

/** --days: a whole number of days from 1 to 3650, or undefined for the default. */
function daysOf(value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const days = Number(value);
  if (!(Number.isInteger(days) && days >= 1 && days <= 3650))
    throw new HubError(
      'USAGE',
      `--days must be a whole number of days from 1 to 3650, got ${JSON.stringify(value)}\nusage: ${USAGE}`,
    );
  return days;
}

export const pkiCommand: Command = {
  name: 'pki',
  summary: 'the hub CA: init, issue node, agency-system and server certificates, revoke',
  usage: USAGE,
  async run(args) {
    const [verb, ...rest] = args;
    const config = loadConfig();
    const pki = new PkiStore(join(config.hubHome, 'pki'));
    const log = say('pki');
    if (verb === 'init') {
      const { values } = parse(rest, { bits: { type: 'string' } }, USAGE);
      const created = pki.initCa({ bits: values.bits ? Number(values.bits) : undefined });
      log(created ? `hub CA created: ${pki.caCertPath}` : `hub CA already exists: ${pki.caCertPath}`);
      process.stdout.write(`${fingerprintOf(new X509Certificate(pki.caCertPem()))}\n`);
      return 0;
    }
    if (verb === 'issue') {
      const { values, positionals } = parse(
        rest,
        {
          agency: { type: 'string' },
          bits: { type: 'string' },
          days: { type: 'string' },
          'if-missing': { type: 'boolean' },
        },
        USAGE,
      );
      const cc = (positionals[0] ?? '').toUpperCase();
      if (!/^([A-Z]{2}|HUB)$/.test(cc))
        throw new HubError(
          'USAGE',
          `give the country as an ISO alpha-2 code (like KZ) or HUB\nusage: ${USAGE}`,
        );
      if (values['if-missing'] && pki.hasIdentity(cc)) {
        log(`${cc} already has a certificate (${pki.identity(cc).fingerprint})`);
        return 0;
      }
      pki.initCa();
      const days = daysOf(values.days);
      const bits = values.bits ? Number(values.bits) : 2048;
      const issued = pki.issue({
        country: cc,
        agency: values.agency ?? (cc === 'HUB' ? 'Regional coordination centre' : `National node ${cc}`),
        bits: bits as 2048,
        validityDays: days,
      });
      log(`certificate for ${cc} valid until ${issued.notAfter.toISOString()}`);
      process.stdout.write(`${issued.fingerprint}\n`);
      return 0;
    }
    if (verb === 'issue-client' || verb === 'issue-server') {
      const { values, positionals } = parse(
        rest,
        { days: { type: 'string' }, host: { type: 'string' }, ip: { type: 'string' } },
        USAGE,
      );
      const validityDays = daysOf(values.days);
      if (verb === 'issue-client') {
        const [cc, system] = positionals;
        if (!cc || !/^[A-Z]{2}$/i.test(cc) || !system || positionals.length > 2)
          throw new HubError('USAGE', `give the country (like KZ) and the system's name\nusage: ${USAGE}`);
        const issued = pki.issueClient({ country: cc.toUpperCase(), system, validityDays });
        log(`certificate for ${system} of ${cc.toUpperCase()} valid until ${issued.notAfter.toISOString()}`);
        log(`certificate ${issued.certFile}, key ${issued.keyFile} (keep it secret)`);
        process.stdout.write(`${issued.fingerprint}\n`);
        return 0;
      }
      const [name] = positionals;
      if (!name || positionals.length > 1)
        throw new HubError('USAGE', `give the server's name (like node-kz)\nusage: ${USAGE}`);
      const list = (v: string | boolean | undefined) =>
        typeof v === 'string'
          ? v
              .split(',')
              .map((x) => x.trim())
              .filter(Boolean)
          : [];
      const issued = pki.issueServer(name, {
        hostnames: list(values.host),
        ips: list(values.ip),
        validityDays,
      });
      log(`server certificate ${name} valid until ${issued.notAfter.toISOString()}`);
      log(`certificate ${issued.certFile}, key ${issued.keyFile}`);
      process.stdout.write(`${issued.fingerprint}\n`);
      return 0;
    }
    if (verb === 'revoke') {
      const { values, positionals } = parse(rest, { reason: { type: 'string' } }, USAGE);
      const target = positionals[0] ?? '';
      let fingerprint = target.toLowerCase();
      let origin = '??';
      if (/^([A-Z]{2}|HUB)$/i.test(target)) {
        const id = pki.identity(target.toUpperCase());
        fingerprint = id.fingerprint;
        origin = target.toUpperCase();
      } else if (!/^[0-9a-f]{64}$/.test(fingerprint)) {
        throw new HubError(
          'USAGE',
          `give a SHA-256 certificate fingerprint (64 hex digits) or a country code\nusage: ${USAGE}`,
        );
      } else {
        const pem = pki.allCertificates().find((p) => fingerprintOf(new X509Certificate(p)) === fingerprint);
        if (pem) origin = originOf(new X509Certificate(pem));
      }
      const revocation = {
        fingerprint,
        revokedAt: Date.now(),
        reason: values.reason ?? 'revoked by the hub operator',
      };
      pki.addRevocation(revocation);
      const notice = revocationNotice(loadSchemaRegistry(), pki.ca(), { ...revocation, origin });
      const kafka = createKafka({
        brokers: config.kafka.brokers,
        clientId: 'hub-cli',
        logger: createLogger('hub-cli', { level: 'warn' }),
        security: config.kafka.security,
      });
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      const admin = kafka.admin();
      await admin.connect();
      await ensureTopics(
        admin,
        hubTopicConfigs(topicNames(config.namespace), [], {
          partitions: 3,
          replicationFactor: config.kafka.replicationFactor,
        }),
      );
      await admin.disconnect();
      await producer.connect();
      await producer.send({
        topic: topicNames(config.namespace).pki,
        acks: -1,
        messages: [{ key: notice.key, value: notice.bytes }],
      });
      await producer.disconnect();
      log(`revoked ${fingerprint} (${origin}) and published the revocation on hub.pki`);
      return 0;
    }
    if (verb === 'list') {
      const { values } = parse(rest, { json: { type: 'boolean' } }, USAGE);
      const rows = certificateList(pki, Date.now());
      if (values.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else process.stdout.write(certificateTable(rows));
      return 0;
    }
    throw new HubError('USAGE', `usage: ${USAGE}`);
  },
};

export interface CertificateRow {
  subject: string;
  agency: string;
  fingerprint: string;
  validFrom: string;
  validUntil: string;
  daysLeft: number;
  status: 'ca' | 'current' | 'previous' | 'expired' | 'revoked';
  /** Why, for a revoked one. */
  reason?: string;
}

/** The CA's certificate, then each node's, current first, by subject. */
export function certificateList(pki: PkiStore, now: number): CertificateRow[] {
  const revoked = new Map(pki.revocations().map((r) => [r.fingerprint, r]));
  const row = (x: X509Certificate, subject: string, current: boolean | 'ca'): CertificateRow => {
    const fingerprint = fingerprintOf(x);
    const until = Date.parse(x.validTo);
    const revocation = revoked.get(fingerprint);
    return {
      subject,
      agency: agencyOf(x),
      fingerprint,
      validFrom: new Date(Date.parse(x.validFrom)).toISOString(),
      validUntil: new Date(until).toISOString(),
      daysLeft: Math.floor((until - now) / 86_400_000),
      status: statusOf(revocation !== undefined, until < now, current),
      ...(revocation ? { reason: revocation.reason } : {}),
    };
  };
  const nodes = pki
    .certificatesOnDisk()
    .map((c) => row(new X509Certificate(c.pem), c.origin, c.current))
    .sort(
      (a, b) =>
        a.subject.localeCompare(b.subject) ||
        Number(b.status === 'current') - Number(a.status === 'current') ||
        b.validUntil.localeCompare(a.validUntil),
    );
  const tls = pki.tlsCertificatesOnDisk().map((c) => row(new X509Certificate(c.pem), c.subject, true));
  return [row(new X509Certificate(pki.caCertPem()), 'CA', 'ca'), ...nodes, ...tls];
}

function statusOf(revoked: boolean, expired: boolean, current: boolean | 'ca'): CertificateRow['status'] {
  if (revoked) return 'revoked';
  if (expired) return 'expired';
  if (current === 'ca') return 'ca';
  return current ? 'current' : 'previous';
}

function certificateTable(rows: CertificateRow[]): string {
  const head = ['subject', 'agency', 'fingerprint', 'valid until', 'days left', 'status'];
  const cells = rows.map((r) => [
    r.subject,
    r.agency,
    r.fingerprint.slice(0, 16),
    r.validUntil.slice(0, 10),
    String(r.daysLeft),
    r.status === 'revoked'
      ? `revoked: ${r.reason ?? ''}`
      : r.daysLeft < 30 && r.status === 'current'
        ? 'current, renew soon'
        : r.status,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [head, ...cells]
    .map(
      (c) =>
        `${c
          .map((v, i) => v.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}
