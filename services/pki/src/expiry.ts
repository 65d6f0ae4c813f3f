// Certificates run out: a node whose certificate has expired signs envelopes every verifier refuses (`expired`), so
// its country's exchange stops until an operator renews it. A service watches the certificates it depends on and
// says so ahead of time: a gauge of each one's expiry (for the HubCertificateExpiring alerts), a warning in its log
// at start and every 12 hours from `warnDays` before (180 days before for the hub CA), a failing `certificate` health
// check once its own has expired or been revoked, and `refusal()` for the national node, which then refuses to sign
// rather than accept reports no one will take. At the coordinator, a country whose latest certificate expired more
// than STALE_NODE_DAYS ago is no longer watched: it has stopped, and would be reported for ever.
import { HubError } from '@hub/errors';
import { HUB_ORIGIN, type TrustedCertificate } from '@hub/envelope';
import { Gauge, type Logger, type Registry } from '@hub/observability';
import type { TrustStore } from './trust-store';

const DAY = 86_400_000;
/** Warn this many days before a certificate expires. */
export const EXPIRY_WARNING_DAYS = 30;
/**
 * And this many before the hub CA does: rolling it over means issuing every certificate again and handing the new CA
 * to every agency's system and every machine that reads it at start, which takes months, not days.
 */
export const CA_EXPIRY_WARNING_DAYS = 180;
/**
 * A country whose latest certificate expired longer ago than this is no longer watched (no gauge, no log): a country
 * that stopped exchanging, or one `hub import-annual` issued a send-only identity for, would otherwise be reported as
 * expired twice a day for ever. It is watched again once it has a certificate of its own.
 */
export const STALE_NODE_DAYS = 30;
/** How often the log is told again. */
const CHECK_EVERY_MS = 12 * 3_600_000;

export interface CertificateStatus {
  /** `own`: the service's signing certificate; `ca`: the hub CA; `node`: a country's latest certificate. */
  role: 'own' | 'ca' | 'node';
  subject: string;
  fingerprint: string;
  notAfter: number;
  revoked: boolean;
}

export interface CertificateWatch {
  /** The certificates watched, as they stand now. */
  statuses(): CertificateStatus[];
  /** Why the service must not sign now (its certificate expired, not yet valid, or revoked), or undefined. */
  refusal(): HubError | undefined;
  /** For /healthz: ok while the service's own certificate and the CA's are valid. */
  health: { name: string; check: () => Promise<{ ok: boolean; detail?: unknown }> };
  close(): void;
}

export interface CertificateWatchOptions {
  trust: TrustStore;
  /**
   * The service's own signing certificate (by fingerprint) and whom it names (a country, or HUB). Read at each look,
   * so a node that takes up a renewed certificate updates the fingerprint here.
   */
  own: { fingerprint: string; origin: string };
  /** Also watch each country's latest certificate in the trust store (the coordinator, which sees them all). */
  nodes?: boolean;
  metrics: Registry;
  /** `info` (optional) is told once of each country no longer watched. */
  logger: Pick<Logger, 'warn' | 'error'> & Partial<Pick<Logger, 'info'>>;
  warnDays?: number;
  clock?: () => number;
}

const renewHint = (origin: string) =>
  origin === HUB_ORIGIN
    ? `renew it where the CA key is kept ('hub pki issue ${origin}') and put the new key and certificate in the coordinator's folder (pki/coordinator): the coordinator takes them up within a minute, without a restart`
    : `renew it where the CA key is kept ('hub pki issue ${origin}') and put the new key and certificate in the node's folder (pki/nodes/${origin}): the node takes them up within a minute`;

/**
 * Watch the service's own certificate and the hub CA's (and, with `nodes`, each country's latest certificate, except a
 * country whose latest expired more than STALE_NODE_DAYS ago: told once at info, then left out of the gauge and the
 * log); see the module's comment for what is said and when.
 */
export function watchCertificates(options: CertificateWatchOptions): CertificateWatch {
  const { trust, own } = options;
  const clock = options.clock ?? Date.now;
  const warnMs = (options.warnDays ?? EXPIRY_WARNING_DAYS) * DAY;
  const caWarnMs = Math.max(warnMs, CA_EXPIRY_WARNING_DAYS * DAY);

  /** Each country's latest certificate: those watched, and those expired too long ago to be (`stale`). */
  const nodeStatuses = (now: number): { watched: CertificateStatus[]; stale: CertificateStatus[] } => {
    // A country's latest valid certificate: an older one running out after a renewal is no cause for alarm.
    const latest = new Map<string, CertificateStatus>();
    for (const c of trust.certificates()) {
      if (!c.chainValid || c.origin === HUB_ORIGIN || c.origin === own.origin) continue;
      if (trust.isRevoked(c.fingerprint)) continue;
      const held = latest.get(c.origin);
      if (!held || c.notAfter > held.notAfter)
        latest.set(c.origin, {
          role: 'node',
          subject: c.origin,
          fingerprint: c.fingerprint,
          notAfter: c.notAfter,
          revoked: false,
        });
    }
    const all = [...latest.values()].sort((a, b) => a.subject.localeCompare(b.subject));
    const isStale = (s: CertificateStatus) => now - s.notAfter > STALE_NODE_DAYS * DAY;
    return { watched: all.filter((s) => !isStale(s)), stale: all.filter(isStale) };
  };

  const statuses = (): CertificateStatus[] => {
    const out: CertificateStatus[] = [];
    const ca = trust.caCertificate;
    out.push({
      role: 'ca',
      subject: 'CA',
      fingerprint: ca.fingerprint256.replaceAll(':', '').toLowerCase(),
      notAfter: Date.parse(ca.validTo),
      revoked: false,
    });
    const mine = ownStatus();
    if (mine) out.push(mine);
    if (options.nodes) out.push(...nodeStatuses(clock()).watched);
    return out;
  };

  new Gauge({
    name: 'hub_certificate_expiry_timestamp_seconds',
    help: "When each certificate the service depends on expires (Unix seconds): role own (its signing certificate), ca (the hub CA), node (a country's latest, at the coordinator)",
    labelNames: ['role', 'subject'],
    registers: [options.metrics],
    collect() {
      this.reset();
      for (const s of statuses()) this.set({ role: s.role, subject: s.subject }, s.notAfter / 1000);
    },
  });

  const problem = (s: CertificateStatus, now: number): string | undefined => {
    const what =
      s.role === 'ca'
        ? 'the hub CA certificate'
        : `the certificate of ${s.subject} (${s.fingerprint.slice(0, 16)})`;
    if (s.revoked) return `${what} is revoked; ${renewHint(s.subject)}`;
    if (now > s.notAfter)
      return `${what} expired on ${new Date(s.notAfter).toISOString()}: every envelope it signs is refused; ${
        s.role === 'ca'
          ? "a new CA must be created ('hub pki rollover') and every certificate issued again"
          : renewHint(s.subject)
      }`;
    return undefined;
  };

  const statusOf = (mine: TrustedCertificate): CertificateStatus => ({
    role: 'own',
    subject: own.origin,
    fingerprint: mine.fingerprint,
    notAfter: mine.notAfter,
    revoked: trust.isRevoked(mine.fingerprint) !== undefined,
  });
  const ownStatus = (): CertificateStatus | undefined => {
    const mine = trust.lookup(own.fingerprint);
    return mine && statusOf(mine);
  };

  /** On the submission path: a lookup, a revocation check and two comparisons while the certificate is good. */
  const refusal = (): HubError | undefined => {
    const now = clock();
    const trusted = trust.lookup(own.fingerprint);
    if (!trusted)
      return new HubError('CERTIFICATE_INVALID', `no certificate of ${own.origin} is known to this service`, {
        retriable: true,
      });
    const mine = statusOf(trusted);
    if (now >= trusted.notBefore && now <= trusted.notAfter && !mine.revoked) return undefined;
    if (now < trusted.notBefore)
      return new HubError(
        'CERTIFICATE_INVALID',
        `the certificate of ${own.origin} is valid only from ${new Date(trusted.notBefore).toISOString()}; check the clock of this machine`,
        { retriable: true },
      );
    return new HubError(
      'CERTIFICATE_INVALID',
      `this node cannot sign: ${problem(mine, now)}; nothing was accepted: send it again once the node has a valid certificate`,
      { retriable: true },
    );
  };

  /** The stale certificates told of already (by fingerprint): each is told once. */
  const toldStale = new Set<string>();
  const tell = () => {
    const now = clock();
    if (options.nodes)
      for (const s of nodeStatuses(now).stale) {
        if (toldStale.has(s.fingerprint)) continue;
        toldStale.add(s.fingerprint);
        options.logger.info?.(
          {
            role: s.role,
            subject: s.subject,
            fingerprint: s.fingerprint.slice(0, 16),
            notAfter: new Date(s.notAfter).toISOString(),
          },
          `the latest certificate of ${s.subject} expired more than ${STALE_NODE_DAYS} days ago (on ${new Date(s.notAfter).toISOString()}): ${s.subject} is no longer watched nor reported; it is again once it has a new certificate ('hub pki issue ${s.subject}')`,
        );
      }
    for (const s of statuses()) {
      const fields = {
        role: s.role,
        subject: s.subject,
        fingerprint: s.fingerprint.slice(0, 16),
        notAfter: new Date(s.notAfter).toISOString(),
        daysLeft: Math.floor((s.notAfter - now) / DAY),
      };
      const why = problem(s, now);
      if (why) options.logger.error(fields, why);
      else if (s.notAfter - now < (s.role === 'ca' ? caWarnMs : warnMs))
        options.logger.warn(
          fields,
          `certificate expires in ${fields.daysLeft} days; ${s.role === 'ca' ? "roll the CA over ('hub pki rollover') and issue every certificate again" : renewHint(s.subject)}`,
        );
    }
  };
  tell();
  const timer = setInterval(tell, CHECK_EVERY_MS).unref();

  return {
    statuses,
    refusal,
    health: {
      name: 'certificate',
      check: async () => {
        const now = clock();
        const mine = statuses().filter((s) => s.role !== 'node');
        const problems = mine.map((s) => problem(s, now)).filter((p): p is string => p !== undefined);
        return {
          ok: problems.length === 0,
          detail: problems.length
            ? problems
            : Object.fromEntries(
                mine.map((s) => [
                  s.role,
                  { subject: s.subject, notAfter: new Date(s.notAfter).toISOString() },
                ]),
              ),
        };
      },
    },
    close: () => clearInterval(timer),
  };
}
