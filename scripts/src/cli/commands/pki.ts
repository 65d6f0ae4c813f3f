// `hub pki init|issue|issue-client|issue-server|revoke|rollover|list|bundle`.
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { loadConfig } from '@hub/config';
import { HubError } from '@hub/errors';
import { createKafka, ensureTopics, hubTopicConfigs, topicNames } from '@hub/kafka';
import { createLogger } from '@hub/observability';
import {
  CA_EXPIRY_WARNING_DAYS,
  EXPIRY_WARNING_DAYS,
  PkiStore,
  agencyOf,
  caRolloverNotice,
  fingerprintOf,
  revocationNotice,
  type Revocation,
} from '@hub/pki';
import { loadSchemaRegistry } from '@hub/schemas';
import type { Command } from '../command';
import { parse, say, refuseExtra } from '../command';
import { brokerTrouble } from '../brokers';
import { countryArgument } from '../country';

const USAGE = `hub pki init [--bits 3072]
hub pki issue <CC|HUB> [--agency NAME] [--bits 2048|3072|4096] [--days N] [--if-missing]
hub pki issue-client <CC> <system> [--days N]
hub pki issue-server <name> [--host NAME,...] [--ip ADDRESS,...] [--days N]
hub pki revoke <fingerprint|CC> [--reason TEXT] [--current-only] [--force]
hub pki rollover [--bits 2048|3072|4096] [--years N]
hub pki list [--json]
hub pki bundle

init    create the hub CA in $HUB_HOME/pki/ca (idempotent; the key is written 0600)
issue   a key pair and a certificate for a national node (or HUB, the coordinator); the previous
        certificate stays valid until it expires, so renewal overlaps; a running node finds the new one in
        its folder (pki/nodes/<CC>) within a minute and signs with it, and so does the coordinator (pki/coordinator),
        without a restart. No certificate outlives the hub CA: one cut short by the CA's end is said so; with the CA
        expired nothing is issued ('hub pki rollover' first)
issue-client
        a TLS client certificate for an agency's system that sends to the node of <CC> (a node with
        HUB_NODE_CLIENT_CERTIFICATES=require takes only these; <system> is what its reports carry as
        submittedBy), in pki/clients/<CC>/<system>.crt and .key: hand both to the system's operators
issue-server
        a TLS server certificate for a national node's API (HUB_NODE_TLS_CERT_FILE, HUB_NODE_TLS_KEY_FILE),
        naming the hosts and addresses the agencies' systems reach it by (localhost and 127.0.0.1 always), in
        pki/servers/<name>.crt and .key
revoke  revoke certificates, record them locally (revocations.json) and publish a CA-signed revocation of each on
        hub.pki, which every verifier applies without a restart. With a country code (or HUB): every certificate of
        it on disk that has not expired, the current one (node.crt) and those a renewal kept (node-*.crt), since a
        key stolen before a renewal would otherwise sign until its certificate expires; the fingerprints revoked are
        printed. --current-only revokes only the current one (a renewal whose new key went astray before use, while
        the node still signs with the previous one). With a fingerprint: that certificate, a node's, the
        coordinator's, an agency system's or a server's; one found nowhere in $HUB_HOME/pki is refused unless
        --force (a certificate issued elsewhere, recorded with origin '??'). One revoked already keeps its first
        revocation (time and reason), which is published again. When the brokers cannot be reached, the
        revocation is recorded locally but not published, the command exits 1, and running it again publishes it
rollover
        replace the hub CA with a new one (before the current one runs out, or to move to a new key): the old
        CA moves to pki/ca/previous and stays trusted, so what it issued stays valid until it expires; the new
        CA is published on hub.pki signed by the old one, so every running service trusts it at once; issue
        every certificate again from it (the command lists them) before the old CA expires. Services on
        other machines read the new bundle (pki/ca/ca.crt, then pki/ca/previous) at their next start. Once the
        old CA has expired, running services ignore the notice it signs: copy pki/ca/ca.crt to every machine and
        restart each service
bundle  print the hub CAs to trust, as one PEM (the current CA first, then those a rollover replaced): what
        agencies' systems (HUB_AGENCY_CA_FILE), services on other machines and broker truststores are given
list    every certificate in $HUB_HOME/pki (the CA's, each node's current and previous ones, agency systems' and
        servers'): valid from and
        until, days left, and whether it is current, previous, expired or revoked; renew those expiring
        within 30 days (the services warn of them too), roll the CA over when it has less than 180 days
        left ("ca, roll over soon"; warned of too), and issue again those the status says came from a
        previous CA`;

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

/** --bits: 2048, 3072 or 4096 (undefined when not given). */
function caBits(given: string | undefined): number | undefined {
  if (given === undefined) return undefined;
  const bits = Number(given);
  if (![2048, 3072, 4096].includes(bits))
    throw new HubError(
      'USAGE',
      `--bits must be 2048, 3072 or 4096, got ${JSON.stringify(given)}\nusage: ${USAGE}`,
    );
  return bits;
}

export const pkiCommand: Command = {
  name: 'pki',
  summary: 'the hub CA: init, issue node, agency-system and server certificates, revoke, roll over',
  usage: USAGE,
  async run(args) {
    const [verb, ...rest] = args;
    const config = loadConfig();
    const pki = new PkiStore(join(config.hubHome, 'pki'));
    const log = say('pki');
    if (verb === 'init') {
      const { values, positionals } = parse(rest, { bits: { type: 'string' } }, USAGE);
      refuseExtra(positionals, 'hub pki init takes options only', USAGE);
      const created = pki.initCa({ bits: caBits(values.bits) });
      log(created ? `hub CA created: ${pki.caCertPath}` : `hub CA already exists: ${pki.caCertPath}`);
      process.stdout.write(`${fingerprintOf(new X509Certificate(pki.currentCaPem()))}\n`);
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
      if (!positionals[0])
        throw new HubError(
          'USAGE',
          `give the country as an ISO alpha-2 code (like KZ) or HUB\nusage: ${USAGE}`,
        );
      const cc = countryArgument(positionals[0], 'the country', USAGE, { hub: true });
      refuseExtra(positionals.slice(1), 'hub pki issue takes the country and options only', USAGE);
      // Before the CA is created: a mistyped option leaves nothing behind.
      const days = daysOf(values.days);
      const bits = caBits(values.bits) ?? 2048;
      if (values['if-missing'] && pki.hasIdentity(cc)) {
        log(`${cc} already has a certificate (${pki.identity(cc).fingerprint})`);
        return 0;
      }
      pki.initCa();
      const issued = pki.issue({
        country: cc,
        agency: values.agency ?? (cc === 'HUB' ? 'Regional coordination centre' : `National node ${cc}`),
        bits: bits as 2048,
        validityDays: days,
      });
      log(validUntil(`certificate for ${cc}`, issued));
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
        const [given, system] = positionals;
        if (!given || !system || positionals.length > 2)
          throw new HubError('USAGE', `give the country (like KZ) and the system's name\nusage: ${USAGE}`);
        const cc = countryArgument(given, 'the country', USAGE);
        const issued = pki.issueClient({ country: cc, system, validityDays });
        log(validUntil(`certificate for ${system} of ${cc}`, issued));
        log(`certificate ${issued.certFile}, key ${issued.keyFile} (keep it secret)`);
        if (issued.previous)
          log(
            `the system's previous certificate ${issued.previous.fingerprint} stays valid until ${issued.previous.notAfter.toISOString()} (kept as ${issued.previous.certFile}); if its key may be in other hands: hub pki revoke ${issued.previous.fingerprint}`,
          );
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
      log(validUntil(`server certificate ${name}`, issued));
      log(`certificate ${issued.certFile}, key ${issued.keyFile}`);
      process.stdout.write(`${issued.fingerprint}\n`);
      return 0;
    }
    if (verb === 'revoke') {
      const { values, positionals } = parse(
        rest,
        { reason: { type: 'string' }, 'current-only': { type: 'boolean' }, force: { type: 'boolean' } },
        USAGE,
      );
      refuseExtra(
        positionals.slice(1),
        'hub pki revoke takes one fingerprint or country and options only',
        USAGE,
      );
      const now = Date.now();
      const targets = revocationTargets(pki, positionals[0] ?? '', {
        now,
        currentOnly: values['current-only'] === true,
        force: values.force === true,
      });
      if (targets.length === 0) {
        log(
          `${values['current-only'] ? 'the current certificate' : 'every certificate'} of ${(positionals[0] ?? '').toUpperCase()} on disk has expired already: verifiers refuse what it signs; nothing revoked`,
        );
        return 0;
      }
      const decided = targets.map((target) => ({
        target,
        ...revocationFor(pki.revocationOf(target.fingerprint), {
          fingerprint: target.fingerprint,
          now,
          reason: values.reason,
        }),
      }));
      // Signed before anything is recorded: without the CA key, nothing changes.
      const registry = loadSchemaRegistry();
      const ca = pki.ca();
      const notices = decided.map((d) =>
        revocationNotice(registry, ca, { ...d.revocation, origin: d.target.origin }),
      );
      for (const d of decided) {
        const what = `${d.target.fingerprint} (${d.target.described})`;
        if (d.already)
          log(
            `${what} was revoked already, on ${new Date(d.revocation.revokedAt).toISOString()} (${d.revocation.reason}): that revocation stands, its time and reason unchanged; publishing it on hub.pki again, in case it did not reach it`,
          );
        else {
          pki.addRevocation(d.revocation);
          log(`revoking ${what}`);
        }
      }
      const named = decided.length === 1 ? 'the certificate' : `the ${decided.length} certificates`;
      try {
        await publishPkiNotices(config, notices);
      } catch (err) {
        throw new HubError(
          'PKI_NOT_PUBLISHED',
          `${named} ${decided.map((d) => d.target.fingerprint.slice(0, 16)).join(', ')} recorded locally (${join(pki.dir, 'revocations.json')}), NOT published on hub.pki (${brokerTrouble(config.kafka.brokers, err)}): verifiers still accept ${decided.length === 1 ? 'it' : 'them'}; run this command again when the brokers are reachable`,
          { retriable: true, cause: err },
        );
      }
      for (const d of decided) process.stdout.write(`${d.target.fingerprint}\n`);
      log(
        decided.every((d) => d.already)
          ? `published the revocation of ${named} on hub.pki again, each as of its first revocation`
          : `revoked ${named} and published the revocation on hub.pki`,
      );
      return 0;
    }
    if (verb === 'rollover') {
      const { values, positionals } = parse(
        rest,
        { bits: { type: 'string' }, years: { type: 'string' } },
        USAGE,
      );
      refuseExtra(positionals, 'hub pki rollover takes options only', USAGE);
      const years = values.years === undefined ? 10 : Number(values.years);
      if (!(Number.isInteger(years) && years >= 2 && years <= 30))
        throw new HubError(
          'USAGE',
          `--years must be a whole number from 2 to 30, got ${JSON.stringify(values.years)}\nusage: ${USAGE}`,
        );
      const bits = caBits(values.bits) ?? 3072;
      // Published first: a broker out of reach leaves the CA as it was, and the command can be run again.
      const { previous, current } = await pki.rolloverCa(
        { bits, validityYears: years },
        async (old, next) => {
          try {
            await publishPkiNotices(config, [caRolloverNotice(loadSchemaRegistry(), old, next.certPem)]);
          } catch (err) {
            throw new HubError(
              'PKI_NOT_PUBLISHED',
              `the new CA was NOT published on hub.pki (${brokerTrouble(config.kafka.brokers, err)}): nothing changed, the hub CA is as it was; run this command again when the brokers are reachable`,
              { retriable: true, cause: err },
            );
          }
        },
      );
      const oldCa = new X509Certificate(previous.certPem);
      const newCa = new X509Certificate(current.certPem);
      log(rolloverPublished(oldCa, Date.now(), pki.caCertPath));
      log(`new hub CA ${fingerprintOf(newCa)}, valid until ${new Date(newCa.validTo).toISOString()}`);
      log(
        `the previous CA ${fingerprintOf(oldCa).slice(0, 16)} stays trusted: what it issued stays valid until it expires`,
      );
      const stale = certificateList(pki, Date.now()).filter((r) => r.reissue);
      if (stale.length)
        log(
          `issue these again from the new CA before the previous one expires (${new Date(oldCa.validTo).toISOString().slice(0, 10)}), with 'hub pki issue', 'issue-client' or 'issue-server': ${stale.map((r) => r.subject).join(', ')}`,
        );
      process.stdout.write(`${fingerprintOf(newCa)}\n`);
      return 0;
    }
    if (verb === 'bundle') {
      refuseExtra(parse(rest, {}, USAGE).positionals, 'hub pki bundle takes no arguments', USAGE);
      process.stdout.write(pki.caCertPem());
      return 0;
    }
    if (verb === 'list') {
      const { values, positionals } = parse(rest, { json: { type: 'boolean' } }, USAGE);
      refuseExtra(positionals, 'hub pki list takes options only', USAGE);
      const rows = certificateList(pki, Date.now());
      if (values.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else process.stdout.write(certificateTable(rows));
      return 0;
    }
    throw new HubError(
      'USAGE',
      `${verb === undefined ? 'say what to do' : `hub pki does not know ${JSON.stringify(verb)}: say`} init, issue, issue-client, issue-server, revoke, rollover, list or bundle\nusage: ${USAGE}`,
    );
  },
};

/**
 * What `hub pki revoke` records and publishes for a certificate: a new revocation as of `now`, or, when it was revoked
 * already (`recorded`), that first revocation, its time and reason unchanged. Revoking again later would move its
 * time later, and `hub replay`, which counts a revocation from its time, would then take what was refused live.
 */
export function revocationFor(
  recorded: Revocation | undefined,
  request: { fingerprint: string; now: number; reason: string | undefined },
): { revocation: Revocation; already: boolean } {
  if (recorded) return { revocation: recorded, already: true };
  return {
    revocation: {
      fingerprint: request.fingerprint,
      revokedAt: request.now,
      reason: request.reason ?? 'revoked by the hub operator',
    },
    already: false,
  };
}

/**
 * The kafkajs retries of this CLI's publication: 3 to 5 s against brokers that refuse connections (instead of the
 * hub's usual 8 retries, about 30 s), since the operator is waiting and the command can be run again.
 */
const PUBLISH_RETRIES = 4;

/** Publish notices on hub.pki (creating the hub's topics if they are missing), all in one send. */
async function publishPkiNotices(
  config: ReturnType<typeof loadConfig>,
  notices: { key: string; bytes: Buffer }[],
): Promise<void> {
  const kafka = createKafka({
    brokers: config.kafka.brokers,
    clientId: 'hub-cli',
    // What went wrong is told once, by the caller; kafkajs' connection errors at each retry would only repeat it.
    logger: createLogger('hub-cli', { level: 'fatal' }),
    security: config.kafka.security,
    retries: PUBLISH_RETRIES,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(
      admin,
      hubTopicConfigs(topicNames(config.namespace), [], {
        partitions: 3,
        replicationFactor: config.kafka.replicationFactor,
      }),
    );
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({
      topic: topicNames(config.namespace).pki,
      acks: -1,
      messages: notices.map((n) => ({ key: n.key, value: n.bytes })),
    });
  } finally {
    await producer.disconnect();
  }
}

/**
 * What `hub pki rollover` says once the new CA's notice is published. A notice signed by a CA that has expired is
 * dropped by every verifier (notices.ts), so then the running services do not learn of the new CA from hub.pki.
 */
export function rolloverPublished(previousCa: X509Certificate, now: number, caCertPath: string): string {
  const end = Date.parse(previousCa.validTo);
  if (end > now)
    return 'published the new CA on hub.pki, signed by the previous one: every running service trusts it now';
  return `published the new CA on hub.pki, but signed by the previous CA, which expired on ${new Date(end).toISOString()}: running services will ignore the notice and do not trust the new CA; copy ${caCertPath} to pki/ca/ of every machine's HUB_HOME and restart each service (coordinator, national nodes, query API)`;
}

/** "certificate for KZ valid until …", and how short it is when the hub CA's end cut it. */
export function validUntil(
  what: string,
  issued: { notBefore: Date; notAfter: Date; cutByCa?: boolean },
): string {
  const line = `${what} valid until ${issued.notAfter.toISOString()}`;
  if (!issued.cutByCa) return line;
  const days = Math.floor((issued.notAfter.getTime() - issued.notBefore.getTime()) / 86_400_000);
  return `${line}: only ${days} days, cut short by the end of the hub CA, which no certificate outlives; run 'hub pki rollover' for a new CA and issue it again from that`;
}

/** A certificate `hub pki revoke` revokes. */
export interface RevocationTarget {
  fingerprint: string;
  /** Whom it names, for the notice: a country, HUB, or '??' when not known. */
  origin: string;
  /** For the operator: "KZ, current, valid until …", "KZ/customs-kz, valid until …", "not found in …". */
  described: string;
}

/** Every certificate under pki/ that may be revoked: nodes', the coordinator's, agency systems' and servers'. */
function revocableOnDisk(pki: PkiStore) {
  const until = (x: X509Certificate) => `valid until ${new Date(x.validTo).toISOString()}`;
  return [
    ...pki.certificatesOnDisk().map((c) => {
      const x = new X509Certificate(c.pem);
      return {
        fingerprint: fingerprintOf(x),
        origin: c.origin,
        node: true,
        current: c.current,
        notAfter: Date.parse(x.validTo),
        described: `${c.origin}, ${c.current ? 'current' : 'previous'}, ${until(x)}`,
      };
    }),
    ...pki.tlsCertificatesOnDisk().map((c) => {
      const x = new X509Certificate(c.pem);
      return {
        fingerprint: fingerprintOf(x),
        // An agency system's is in clients/<CC>/; a server's names no country.
        origin: c.subject.startsWith('server ') ? '??' : (c.subject.split('/')[0] ?? '??'),
        node: false,
        current: true,
        notAfter: Date.parse(x.validTo),
        described: `${c.subject}, ${until(x)}`,
      };
    }),
  ];
}

/**
 * The certificates `hub pki revoke <target>` revokes. A country code (or HUB): every certificate of it on disk not
 * expired by `now`, the current one and those renewals kept (a key stolen before a renewal signs until its certificate
 * expires), or the current one alone with `currentOnly`; an empty list when all have expired. A fingerprint: that
 * certificate, whichever kind it is; one found nowhere on disk only with `force`.
 */
export function revocationTargets(
  pki: PkiStore,
  target: string,
  options: { now: number; currentOnly?: boolean; force?: boolean },
): RevocationTarget[] {
  const onDisk = revocableOnDisk(pki);
  const pick = ({ fingerprint, origin, described }: RevocationTarget) => ({ fingerprint, origin, described });
  if (/^([A-Z]{2}|HUB)$/i.test(target)) {
    const cc = target.toUpperCase();
    const own = onDisk.filter((c) => c.node && c.origin === cc);
    if (own.length === 0)
      throw new HubError(
        'PKI_MISSING',
        `no certificate of ${cc} to revoke in ${pki.identityDir(cc)}: none was issued for ${cc} under this HUB_HOME; check the country code ('hub pki list' names every certificate), or revoke one issued elsewhere by its fingerprint, with --force`,
      );
    return own.filter((c) => c.notAfter > options.now && (c.current || !options.currentOnly)).map(pick);
  }
  if (options.currentOnly)
    throw new HubError(
      'USAGE',
      `--current-only goes with a country code, not a fingerprint\nusage: ${USAGE}`,
    );
  const fingerprint = target.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(fingerprint))
    throw new HubError(
      'USAGE',
      `give a SHA-256 certificate fingerprint (64 hex digits) or a country code, got ${JSON.stringify(target)}\nusage: ${USAGE}`,
    );
  const found = onDisk.find((c) => c.fingerprint === fingerprint);
  if (found) return [pick(found)];
  if (!options.force)
    throw new HubError(
      'USAGE',
      `no certificate in ${pki.dir} has the fingerprint ${fingerprint} (the nodes', the coordinator's, the agency systems' and the servers' were looked at): check it ('hub pki list --json' gives every fingerprint); to revoke a certificate issued elsewhere, give --force (it is recorded with origin '??')`,
    );
  return [{ fingerprint, origin: '??', described: `not found in ${pki.dir}, revoked with --force` }];
}

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
  /** A current certificate issued by a CA that a rollover replaced: to be issued again from the current CA. */
  reissue?: boolean;
}

/**
 * The CA's certificate and those of the CAs it replaced, then each node's, current first, by subject, then the agency
 * systems' and servers'.
 */
export function certificateList(pki: PkiStore, now: number): CertificateRow[] {
  const revoked = new Map(pki.revocations().map((r) => [r.fingerprint, r]));
  const currentCa = new X509Certificate(pki.currentCaPem());
  const row = (x: X509Certificate, subject: string, current: boolean | 'ca'): CertificateRow => {
    const fingerprint = fingerprintOf(x);
    const until = Date.parse(x.validTo);
    const revocation = revoked.get(fingerprint);
    const status = statusOf(revocation !== undefined, until < now, current);
    return {
      subject,
      agency: agencyOf(x),
      fingerprint,
      validFrom: new Date(Date.parse(x.validFrom)).toISOString(),
      validUntil: new Date(until).toISOString(),
      daysLeft: Math.floor((until - now) / 86_400_000),
      status,
      ...(revocation ? { reason: revocation.reason } : {}),
      ...(status === 'current' && !(x.checkIssued(currentCa) && x.verify(currentCa.publicKey))
        ? { reissue: true }
        : {}),
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
  const previousCas = pki
    .previousCaPems()
    .reverse()
    .map((pem) => row(new X509Certificate(pem), 'CA (previous)', false));
  return [row(currentCa, 'CA', 'ca'), ...previousCas, ...nodes, ...tls];
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
      : r.reissue
        ? 'current, issue again (previous CA)'
        : r.daysLeft < EXPIRY_WARNING_DAYS && r.status === 'current'
          ? 'current, renew soon'
          : r.daysLeft < CA_EXPIRY_WARNING_DAYS && r.status === 'ca'
            ? 'ca, roll over soon'
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
