// GET /v1/seizures (search with cursor paging), GET /v1/seizures/:reportId (record, history, provenance).
import { Router } from 'express';
import type { Filter } from 'mongodb';
import { tlpLabel } from '@hub/domain';
import { createVerifier, type Envelope } from '@hub/envelope';
import { HubError } from '@hub/errors';
import { certificatesOf, commonNameOf, createTrustStore, fingerprintOf, type TrustStore } from '@hub/pki';
import { loadSchemaRegistry, stableJson, type SchemaRegistry } from '@hub/schemas';
import { compareWithSigned, type SignedComparison } from '@hub/schemas/same-as-signed';
import { COLLECTIONS, type Store, type StoredEnvelope, type StoredReport } from '@hub/store';
import type { AuditLog } from './audit';
import type { Caller } from './auth';
import { mayRead, readableFilter } from './handling';
import { dateRange, drugCondition, findPage, parseParams } from './params';

const SEARCH = {
  country: { kind: 'country' },
  drug: { kind: 'drug' },
  from: { kind: 'date' },
  to: { kind: 'date' },
  routeCountry: { kind: 'country' },
  conveyance: { kind: 'conveyance' },
  limit: { kind: 'int', min: 1, max: 500 },
  cursor: { kind: 'cursor' },
} as const;

export function publicReport(doc: StoredReport): Record<string, unknown> {
  return {
    reportId: doc.reportId,
    version: doc.version,
    status: doc.status,
    originCountry: doc.originCountry,
    country: doc.country,
    seizedAt: doc.seizedAt,
    receivedAt: doc.receivedAt,
    handling: {
      tlp: doc.handling.tlp,
      releasableTo: doc.handling.releasableTo,
      evaluation: doc.handling.evaluation,
    },
    substances: doc.substances,
    totalKg: doc.totalKg,
    flags: doc.flags ?? [],
    report: doc.report,
    // Why, when and by which agency system a withdrawn report was withdrawn (the retraction's signed payload).
    ...(doc.status === 'retracted' ? { retraction: retractionOf(doc) } : {}),
  };
}

function retractionOf(doc: StoredReport): Record<string, unknown> | null {
  const r = (doc as StoredReport & { retraction?: Record<string, unknown> }).retraction;
  if (!r) return null;
  return {
    reason: r.reason,
    retractedAt: typeof r.retractedAt === 'number' ? new Date(r.retractedAt) : r.retractedAt,
    submittedBy: r.submittedBy ?? null,
  };
}

/** The search filters (and the caller's handling rule) shared by search and export. */
export function searchFilter(
  caller: Caller,
  p: {
    country?: unknown;
    drug?: unknown;
    routeCountry?: unknown;
    conveyance?: unknown;
    from?: unknown;
    to?: unknown;
  },
): Filter<StoredReport>[] {
  const and: Filter<StoredReport>[] = [readableFilter(caller) as Filter<StoredReport>, { status: 'active' }];
  if (p.country) and.push({ country: p.country as string });
  if (p.drug) and.push({ substances: drugCondition(p.drug as string) });
  if (p.routeCountry) and.push({ routeCountries: p.routeCountry as string });
  if (p.conveyance) and.push({ conveyanceMode: p.conveyance as string });
  and.push(...dateRange<StoredReport>('seizedAt', p));
  return and;
}

export function seizureRoutes(deps: {
  store: Store;
  audit: AuditLog;
  caPem: string | (() => string);
}): Router {
  const router = Router();
  const reports = deps.store.collection<StoredReport>(COLLECTIONS.reports);
  // One trust store for every provenance check, made at the first: each signer's chain is checked once, and the CAs
  // of the bundle are offered again when the bundle changes (a rollover adds one).
  let held: TrustStore | undefined;
  let heldPem = '';
  const anchors = (): TrustStore => {
    const pem = typeof deps.caPem === 'string' ? deps.caPem : deps.caPem();
    if (!held) held = createTrustStore(pem);
    else if (pem !== heldPem) for (const ca of certificatesOf(pem)) held.addCa(ca.toString());
    heldPem = pem;
    return held;
  };

  router.get('/v1/seizures', async (req, res) => {
    const p = parseParams(req.query as Record<string, unknown>, SEARCH);
    const caller = req.caller!;
    const { page, nextCursor } = await findPage(
      reports,
      searchFilter(caller, p),
      'seizedAt',
      p.cursor as string | undefined,
      (p.limit as number | undefined) ?? 50,
      { engine: deps.store.engine },
    );
    await deps.audit.append({
      actor: actorOf(caller),
      action: 'search',
      query: { ...p },
      count: page.length,
      reportIds: page.map((d) => d._id),
      reportOrigins: page.map((d) => d.originCountry),
    });
    res.json({
      items: page.map(publicReport),
      nextCursor,
    });
  });

  router.get('/v1/seizures/:reportId', async (req, res) => {
    // Report ids are stored in lower case, as the national node writes them; an agency may write them in capitals.
    const id = String(req.params.reportId).toLowerCase();
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new HubError('NOT_FOUND', `no report ${id.slice(0, 60)}`);
    const doc = await reports.findOne({ _id: id });
    const caller = req.caller!;
    // A record the caller may not see is reported as absent, not as forbidden: its existence is information too.
    if (!doc || !mayRead(caller, { ...doc.handling, originCountry: doc.originCountry })) {
      // Asked for and not answered is audited too (an auditor sees who probes ids), naming no record and no owner:
      // whether it exists is itself information.
      await deps.audit.append({
        actor: actorOf(caller),
        action: 'read',
        query: { reportId: id },
        count: 0,
        reportIds: [],
      });
      throw new HubError('NOT_FOUND', `no report ${id} visible to you`);
    }
    const history = await deps.store
      .collection<StoredReport & { supersededAt: Date | null }>(COLLECTIONS.reportVersions)
      .find(
        { reportId: id },
        {
          sort: { version: 1 },
          projection: { version: 1, status: 1, messageId: 1, receivedAt: 1, supersededAt: 1 },
        },
      )
      .toArray();
    const envelope = await deps.store
      .collection<StoredEnvelope>(COLLECTIONS.envelopes)
      .findOne({ _id: doc.messageId });
    await deps.audit.append({
      actor: actorOf(caller),
      action: 'read',
      query: { reportId: id },
      count: 1,
      reportIds: [id],
      reportOrigins: [doc.originCountry],
    });
    res.json({
      ...publicReport(doc),
      history: history.map(({ _id, ...h }) => ({ ...h, id: _id })),
      provenance: envelope
        ? provenanceOf(envelope, anchors(), doc)
        : { verified: false, reason: 'no archived envelope' },
    });
  });
  return router;
}

/** Why provenance is not verified when the record shown is not the signed payload (`reason`). */
const CONTENT_REASON = {
  same: undefined,
  'newer-release': 'newer-release',
  mismatch: 'content-mismatch',
} as const;

/**
 * Re-verify the archived original with the hub CA certificates alone (`trust` holds them, and the signers' certificates
 * judged before; no revocations); the record shown is judged by `schemas` (this release's).
 */
export function provenanceOf(
  envelope: StoredEnvelope,
  trust: TrustStore,
  shown?: StoredReport,
  schemas: SchemaRegistry = registry(),
): Record<string, unknown> {
  trust.add(envelope.signerCertificatePem);
  // Provenance asks whether the signature was valid when made, so judge validity at signing time.
  const result = createVerifier({ trust, clock: () => envelope.receivedAt.getTime() }).verify(
    Buffer.from(envelope.bytes),
  );
  const issuer = trust.issuerOf(envelope.signerFingerprint);
  // A valid signature vouches for the record shown beside it only if that record is what was signed (as `hub verify`
  // checks): a record changed in the store after it was stored verifies no more. A withdrawn report's envelope is
  // its withdrawal, whose payload is not the report.
  const content =
    result.ok && shown && shown.status !== 'retracted'
      ? shownAsSigned(shown, envelope, result.envelope, schemas)
      : undefined;
  return {
    verified: result.ok && (content === undefined || content.kind === 'same'),
    // A record a newer release stored is not called changed: this release cannot judge the fields it added.
    reason: result.ok ? content && CONTENT_REASON[content.kind] : result.reason,
    ...(content !== undefined && { content: contentText(content) }),
    messageId: envelope._id,
    signer: { origin: envelope.origin, certificateFingerprint: envelope.signerFingerprint },
    // Which hub CA issued the signer's certificate (after a rollover, the current one or one it replaced).
    issuer: issuer && { name: commonNameOf(issuer), fingerprint: fingerprintOf(issuer) },
    signedAt: result.envelope ? new Date(result.envelope.signedAt) : undefined,
    signatureAlgorithm: result.envelope?.signatureAlgorithm,
    certificate: envelope.signerCertificatePem,
    topic: envelope.topic,
    partition: envelope.partition,
    offset: envelope.offset,
  };
}

/** What provenance says of the record shown against the signed payload (`content`). */
function contentText(content: SignedComparison): string {
  switch (content.kind) {
    case 'same':
      return 'the record shown is the signed payload';
    case 'newer-release':
      return (
        `the record shown has fields this release of the query API does not know (${content.fields.join(', ')}): ` +
        'stored by a newer release of the hub, it is verified once the query API is upgraded'
      );
    case 'mismatch':
      return 'the record shown differs from the signed payload (changed in the store since it was stored)';
  }
}

/**
 * Whether a stored report is, field for field, the payload its archived envelope signed, with its handling; or,
 * but for fields a newer release of the hub stored that this one does not know, `newer-release` (compareWithSigned).
 */
function shownAsSigned(
  shown: StoredReport,
  envelope: StoredEnvelope,
  signed: Envelope,
  schemas: SchemaRegistry,
): SignedComparison {
  let payload: Record<string, unknown>;
  let content: SignedComparison;
  try {
    // Judged by the version that stored it: a report stored before its schema gained a field has no such key.
    content = compareWithSigned(schemas, signed, shown.report);
    if (content.kind === 'mismatch') return content;
    payload = schemas.decode(signed.schemaFingerprint, signed.payload);
  } catch {
    return { kind: 'mismatch' };
  }
  const handling = (payload.handling ?? {}) as Record<string, unknown>;
  const same =
    envelope.subjectId === shown.reportId &&
    envelope.origin === shown.originCountry &&
    tlpLabel(String(handling.tlp)) === shown.handling.tlp &&
    stableJson(handling.releasableTo ?? []) === stableJson(shown.handling.releasableTo) &&
    (handling.evaluation ?? null) === shown.handling.evaluation;
  return same ? content : { kind: 'mismatch' };
}

let schemas: SchemaRegistry | undefined;
const registry = () => (schemas ??= loadSchemaRegistry());

export function actorOf(caller: { sub: string; role: string; country: string }) {
  return { sub: caller.sub, role: caller.role, country: caller.country };
}
