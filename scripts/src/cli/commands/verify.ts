// `hub verify <reportId>`: re-verify a stored record offline with the CA certificate alone.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@hub/config';
import { createVerifier } from '@hub/envelope';
import { HubError } from '@hub/errors';
import { PkiStore, commonNameOf, createTrustStore, fingerprintOf, type TrustStore } from '@hub/pki';
import { loadSchemaRegistry } from '@hub/schemas';
import { compareWithSigned, type SignedComparison } from '@hub/schemas/same-as-signed';
import { COLLECTIONS, connectStore, type StoredEnvelope, type StoredReport } from '@hub/store';
import type { Command } from '../command';
import { parse, refuseExtra } from '../command';

const USAGE = `hub verify <reportId> [--ca FILE] [--version N]

Re-verifies the archived original envelope of a stored report (its current version, or --version N):
signature, certificate chain to a hub CA (from --ca, a PEM file of one or more CA certificates; default the
hub's CA in $HUB_HOME/pki/ca/ca.crt and those it replaced, in pki/ca/previous), validity at signing time,
and that the stored record is exactly the signed payload. Exit 0 only if everything holds (VALID); 1 if not
(INVALID), or if a newer release of the hub stored the record with fields this one does not know (UNVERIFIED:
upgrade, then verify again).`;

/**
 * Which hub CA issued the signer's certificate: its name and fingerprint, and whether a rollover replaced it since
 * (`ownBundle`: the hub's own CAs, so the one valid longest is the current one).
 */
function issuerOf(trust: TrustStore, fingerprint: string, ownBundle: boolean): string {
  const ca = trust.issuerOf(fingerprint);
  if (!ca) return 'the hub CA';
  const replaced = ownBundle && ca !== trust.caCertificate;
  return `${commonNameOf(ca) || 'the hub CA'} (${fingerprintOf(ca).slice(0, 16)}${replaced ? ', a CA since replaced' : ''})`;
}

/**
 * What `hub verify` says of the stored record against the signed payload (compareWithSigned), and its verdict: VALID
 * only when they are the same; UNVERIFIED when a newer release stored fields this one cannot judge (neither valid
 * nor shown changed: an upgraded `hub verify` decides); INVALID otherwise.
 */
export function contentVerdict(comparison: SignedComparison): {
  line: string;
  verdict: 'VALID' | 'UNVERIFIED' | 'INVALID';
} {
  switch (comparison.kind) {
    case 'same':
      return { line: 'content  the stored record equals the signed payload', verdict: 'VALID' };
    case 'newer-release':
      return {
        line:
          `content  NEWER RELEASE: the stored record has fields this release does not know ` +
          `(${comparison.fields.join(', ')}), stored by a newer release of the hub: upgrade hub verify to verify it`,
        verdict: 'UNVERIFIED',
      };
    case 'mismatch':
      return {
        line: 'content  MISMATCH: the stored record differs from the signed payload',
        verdict: 'INVALID',
      };
  }
}

export const verifyCommand: Command = {
  name: 'verify',
  summary: "re-verify a stored record's signature and certificate chain offline",
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parse(
      args,
      { ca: { type: 'string' }, version: { type: 'string' } },
      USAGE,
    );
    const [reportId, ...extra] = positionals;
    if (!reportId) throw new HubError('USAGE', `give a report id\nusage: ${USAGE}`);
    refuseExtra(extra, 'hub verify takes one report id (verify each record by a command of its own)', USAGE);
    const version = values.version === undefined ? undefined : Number(values.version);
    if (
      version !== undefined &&
      !(/^\d+$/.test(values.version!) && Number.isSafeInteger(version) && version >= 1)
    )
      throw new HubError(
        'USAGE',
        `--version ${JSON.stringify(values.version)}: a version is a whole number from 1 (the record's version as its receipt names it)\nusage: ${USAGE}`,
      );
    const config = loadConfig();
    const caPem = values.ca ? readCa(values.ca) : new PkiStore(join(config.hubHome, 'pki')).caCertPem();
    const store = await connectStore({
      url: config.mongo.url,
      dbName: config.mongo.dbName,
      appName: 'hub-verify',
    });
    try {
      const doc = version
        ? await store
            .collection<StoredReport>(COLLECTIONS.reportVersions)
            .findOne({ _id: `${reportId}:${version}` })
        : await store.collection<StoredReport>(COLLECTIONS.reports).findOne({ _id: reportId });
      if (!doc)
        throw new HubError(
          'NOT_FOUND',
          `no stored report ${reportId}${version ? ` version ${version}` : ''}`,
        );
      const archived = await store
        .collection<StoredEnvelope>(COLLECTIONS.envelopes)
        .findOne({ _id: doc.messageId });
      if (!archived)
        throw new HubError(
          'NOT_FOUND',
          `the archived envelope ${doc.messageId} of report ${reportId} is missing`,
        );
      const trust = createTrustStore(caPem);
      trust.add(archived.signerCertificatePem);
      // Offline: what matters is validity when signed, so the clock is the signing time.
      const probe = createVerifier({ trust, clock: () => Number.MAX_SAFE_INTEGER }).verify(
        Buffer.from(archived.bytes),
      );
      const signedAt = probe.envelope?.signedAt ?? 0;
      const result = createVerifier({ trust, clock: () => signedAt }).verify(Buffer.from(archived.bytes));
      const lines: string[] = [
        `report   ${reportId} version ${doc.version}`,
        `message  ${archived._id} from ${archived.origin}`,
      ];
      let verdict: 'VALID' | 'UNVERIFIED' | 'INVALID' = result.ok ? 'VALID' : 'INVALID';
      if (result.ok) {
        lines.push(
          `signer   ${result.signer.country} ${result.signer.agency} (certificate ${result.signer.fingerprint})`,
        );
        lines.push(
          `signed   ${new Date(result.envelope.signedAt).toISOString()} with ${result.envelope.signatureAlgorithm}`,
        );
        lines.push(
          `chain    issued by ${issuerOf(trust, result.signer.fingerprint, !values.ca)}, valid at signing time`,
        );
        if (doc.status !== 'retracted') {
          // Judged by the schema version that stored it, not today's newest: a report stored before a version added
          // a field has no such key, one stored after has it at its default.
          const content = contentVerdict(
            compareWithSigned(loadSchemaRegistry(), result.envelope, doc.report),
          );
          lines.push(content.line);
          verdict = content.verdict;
        }
      } else {
        lines.push(`FAILED   ${result.reason}: ${result.detail}`);
      }
      lines.push(verdict);
      process.stdout.write(`${lines.join('\n')}\n`);
      return verdict === 'VALID' ? 0 : 1;
    } finally {
      await store.close();
    }
  },
};

/** The CA certificate a verifier trusts, given with --ca. */
function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new HubError(
      'USAGE',
      `--ca ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give the hub CA's certificate (PEM), e.g. $HUB_HOME/pki/ca/ca.crt`,
    );
  }
}
