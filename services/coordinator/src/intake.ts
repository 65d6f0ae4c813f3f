// Intake: verify each envelope before anything reads its payload, then replay check, schema, content.
import { createHash } from 'node:crypto';
import { HUB_ORIGIN, type Envelope, type Verifier, type VerifyResult } from '@hub/envelope';
import { HubError } from '@hub/errors';
import type { Logger } from '@hub/observability';
import { textOverLimits, type SchemaRegistry } from '@hub/schemas';
import {
  COLLECTIONS,
  findEach,
  insertFindingTaken,
  insertNew,
  type Store,
  type StoredEnvelope,
} from '@hub/store';
import {
  checkAnnualReturn,
  checkRenewal,
  checkRoute,
  checkSeizureReport,
  checkSubjectId,
  checkSubmittedBy,
  flagSeizureReport,
} from './content-checks';
import { checkEscalationRecord, checkInformationRequest, checkInformationResponse } from './requests';
import { firstRead, type IntakeRecord, type Outcome } from './outcome';

export interface IntakeDeps {
  verifier: Verifier;
  registry: SchemaRegistry;
  countryOf: (topic: string) => string | undefined;
  /**
   * Claim each message id with the sha256 of its bytes; answers the digests of the ids claimed before (by an earlier
   * message, a redelivery of this one, or another message of this batch), for the replay check.
   */
  claimDigests: (claims: { messageId: string; sha256: string }[]) => Promise<Map<string, string>>;
  /**
   * The digests of those of these message ids claimed before, claiming none (digestsHeldIn; a chunk answered from its
   * locked stage: every one, by itself). A message refused now for its certificate alone (revoked or expired since)
   * whose very bytes were claimed before was verified when it first came: it keeps that verdict (see
   * classifyBatch). Absent: such a message is refused as now.
   */
  heldDigests?: (claims: { messageId: string; sha256: string }[]) => Promise<Map<string, string>>;
  clock: () => number;
  /**
   * The time to judge a record as of, when not now (`hub replay`: the time the brokers appended it, so that it is
   * decided as the live coordinator decided it when it came); undefined: now.
   */
  judgeAt?: (record: IntakeRecord) => number | undefined;
}

const SUBJECT_FIELD: Record<string, string> = {
  SeizureReport: 'reportId',
  SeizureRetraction: 'reportId',
  AnnualSeizureReturn: 'returnId',
  TraffickingRoute: 'routeId',
  InformationRequest: 'requestId',
  InformationResponse: 'responseId',
  RetentionRenewal: 'subjectId',
  RequestNotice: 'requestId',
};

/** Per message type, the fields the text limits leave to checks of their own (the subject's id, submittedBy). */
const TEXT_CHECKED_APART: Record<string, ReadonlySet<string>> = Object.fromEntries(
  Object.entries(SUBJECT_FIELD).map(([type, field]) => [type, new Set([field, 'submittedBy'])]),
);

const CONTENT_CHECKS: Record<string, typeof checkSeizureReport> = {
  SeizureReport: checkSeizureReport,
  AnnualSeizureReturn: checkAnnualReturn,
  TraffickingRoute: checkRoute,
  InformationRequest: checkInformationRequest,
  InformationResponse: checkInformationResponse,
  RetentionRenewal: checkRenewal,
  RequestNotice: checkEscalationRecord,
};

/**
 * The record a message is about (its subject id), read from its payload; undefined when it cannot be read (no
 * envelope, an unknown schema, a payload that does not decode).
 */
export function subjectOf(envelope: Envelope | undefined, registry: SchemaRegistry): string | undefined {
  const field = envelope && SUBJECT_FIELD[envelope.messageType];
  if (!envelope || !field) return undefined;
  try {
    const id = registry.decode(envelope.schemaFingerprint, envelope.payload)[field];
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Refusals that depend on when a certificate is judged, not on the bytes: a message refused for one of them now may
 * have been taken when it first came.
 */
const JUDGED_AGAIN: ReadonlySet<string> = new Set(['revoked', 'expired']);

/** What the coordination node writes on its own topic: the requests it makes, and its escalations' records. */
const FROM_HUB = new Set(['InformationRequest', 'RequestNotice']);

export async function classifyBatch(records: IntakeRecord[], deps: IntakeDeps): Promise<Outcome[]> {
  const verified = records.map((record) => {
    const at = deps.judgeAt?.(record);
    return {
      record,
      at: at ?? deps.clock(),
      // A re-driven record's sender is the node whose topic it was first read from.
      result: deps.verifier.verify(record.bytes, {
        expectedCountry: deps.countryOf(firstRead(record).topic),
        // Live, a certificate's expiry is judged as of when the record came (where its topic says), not when it is
        // read: a record a node delivered in time is not refused for having waited (see VerifyOptions.validAt).
        ...(at !== undefined ? { at } : record.appendedAt !== undefined && { validAt: record.appendedAt }),
      }),
      sha256: createHash('sha256').update(record.bytes).digest('hex'),
    };
  });
  await keepFirstVerdicts(verified, deps);
  const claims = verified.flatMap((v) =>
    v.result.ok ? [{ messageId: v.result.envelope.messageId, sha256: v.sha256 }] : [],
  );
  const claimed = claims.length ? await deps.claimDigests(claims) : new Map<string, string>();
  const seenInBatch = new Map<string, string>();
  return verified.map(({ record, at, result, sha256 }): Outcome => {
    if (!result.ok)
      return {
        kind: 'rejected',
        record,
        reason: result.reason,
        detail: result.detail,
        envelope: result.envelope,
      };
    const envelope = result.envelope;
    const known = claimed.get(envelope.messageId) ?? seenInBatch.get(envelope.messageId);
    if (known && known !== sha256) {
      return {
        kind: 'rejected',
        record,
        reason: 'replay',
        detail: `message id ${envelope.messageId} was seen before with different content`,
        envelope,
      };
    }
    seenInBatch.set(envelope.messageId, sha256);
    const subjectField = SUBJECT_FIELD[envelope.messageType];
    if (!subjectField) {
      return {
        kind: 'rejected',
        record,
        reason: 'unknown-schema',
        detail: `message type ${envelope.messageType} is not accepted from national nodes`,
        envelope,
      };
    }
    // The coordination node asks (information requests) and records its escalations; it reports nothing and
    // answers nobody on this path. Escalations come only from it.
    if (
      envelope.origin === HUB_ORIGIN
        ? !FROM_HUB.has(envelope.messageType)
        : envelope.messageType === 'RequestNotice'
    ) {
      return {
        kind: 'rejected',
        record,
        reason: 'unknown-schema',
        detail:
          envelope.origin === HUB_ORIGIN
            ? `the coordination node's topic carries information requests and escalations only, not ${envelope.messageType}`
            : `message type ${envelope.messageType} is not accepted from national nodes`,
        envelope,
      };
    }
    const writer = deps.registry.byFingerprint(envelope.schemaFingerprint);
    if (!writer || writer.name !== envelope.messageType) {
      const type = envelope.messageType;
      const fingerprint = envelope.schemaFingerprint.toString('hex');
      const reads = `the hub reads ${type} ${versionsRead(deps.registry, type)}`;
      return {
        kind: 'rejected',
        record,
        reason: 'unknown-schema',
        // Unknown: most likely a node upgraded before the coordinator (docs/schema-evolution.md rule 10), which its
        // operator must be told can be mended by sending again, once the hub reads the version.
        detail: writer
          ? `schemaFingerprint ${fingerprint} is that of ${writer.name} v${writer.version}, not of a ${type} (${reads}): ` +
            `the envelope's messageType and its payload's schema disagree`
          : `no ${type} schema the hub reads has fingerprint ${fingerprint} (${reads}): the node probably runs a newer ` +
            `release than the coordinator; send the record again once the coordinator is upgraded`,
        envelope,
      };
    }
    let value: Record<string, unknown>;
    try {
      value = deps.registry.decode(envelope.schemaFingerprint, envelope.payload);
    } catch (err) {
      return {
        kind: 'rejected',
        record,
        reason: err instanceof HubError && err.code === 'UNKNOWN_SCHEMA' ? 'unknown-schema' : 'malformed',
        detail: (err as Error).message,
        envelope,
      };
    }
    // The subject's id and submittedBy are checked alike in every message a node writes (ids are UUIDs; submittedBy
    // absent where the node has no agencies), and every other text field against what a node takes (TEXT_MAX).
    const fields = [
      ...checkSubjectId(value, subjectField),
      ...checkSubmittedBy(value),
      ...textOverLimits(envelope.messageType, value, TEXT_CHECKED_APART[envelope.messageType]),
      ...(CONTENT_CHECKS[envelope.messageType]?.(value, envelope.origin, at) ?? []),
    ];
    if (fields.length) {
      return {
        kind: 'rejected',
        record,
        reason: 'invalid-content',
        detail: fields.map((f) => `${f.field}: ${f.message}`).join('; '),
        envelope,
        fields,
      };
    }
    const subjectId = String(value[subjectField]);
    const subjectVersion = typeof value.version === 'number' ? value.version : null;
    return {
      kind: 'accepted',
      record,
      envelope,
      signer: result.signer,
      sha256,
      value,
      subjectId,
      subjectVersion,
      flags: envelope.messageType === 'SeizureReport' ? flagSeizureReport(value) : [],
    };
  });
}

/** The versions of `messageType` the hub reads: 'v1–v3', or 'v1, v3' where one is missing. */
function versionsRead(registry: SchemaRegistry, messageType: string): string {
  let versions: number[];
  try {
    versions = registry.versions(messageType).map((v) => v.version);
  } catch {
    return 'in no version';
  }
  const first = versions[0];
  const last = versions[versions.length - 1];
  if (first === undefined || last === undefined) return 'in no version';
  if (first === last) return `v${first}`;
  return last - first === versions.length - 1
    ? `v${first}–v${last}`
    : versions.map((v) => `v${v}`).join(', ');
}

/**
 * A message the hub took before, read again (a chunk redelivered after a crash, a node's outbox publishing it once
 * more) after its signer's certificate was revoked or expired, is the same message: it keeps its first verdict and is
 * answered as a redelivery (the same receipt), not refused anew with a receipt and a quarantine entry of its own while
 * the hub keeps what it stored. Its very bytes claimed before (the replay check claims only what verified) say it
 * verified then; it is verified again as of when it was signed, so that a revocation dated after that does not
 * count, and the rest of its classification goes on as for any redelivery (a verdict refused then for its content or
 * version is refused again alike). A new message signed with that key has no claim: it stays refused, and claims
 * nothing. A revocation dated at or before its signing still refuses it.
 */
async function keepFirstVerdicts(
  verified: { record: IntakeRecord; result: VerifyResult; sha256: string }[],
  deps: IntakeDeps,
): Promise<void> {
  const again = verified.filter(
    (v) => !v.result.ok && JUDGED_AGAIN.has(v.result.reason) && v.result.envelope !== undefined,
  );
  if (!deps.heldDigests || again.length === 0) return;
  const envelopeOf = (v: (typeof again)[number]) => (v.result as { envelope: Envelope }).envelope;
  const held = await deps.heldDigests(
    again.map((v) => ({ messageId: envelopeOf(v).messageId, sha256: v.sha256 })),
  );
  for (const v of again) {
    const envelope = envelopeOf(v);
    if (held.get(envelope.messageId) !== v.sha256) continue;
    const result = deps.verifier.verify(v.record.bytes, {
      expectedCountry: deps.countryOf(firstRead(v.record).topic),
      at: envelope.signedAt,
    });
    if (result.ok) v.result = result;
  }
}

interface DigestClaim {
  _id: string;
  sha256: string;
}

/**
 * Claims in the store (`message_digests`): inserted, and only the ids found taken are read back. The claims are
 * kept when a record is erased (a digest says nothing of the content), so that its message ids stay spent.
 */
export function digestClaimsIn(store: Store): IntakeDeps['claimDigests'] {
  const digests = store.collection<DigestClaim>(COLLECTIONS.messageDigests);
  return async (claims) => {
    const taken = await insertFindingTaken(
      digests,
      claims.map((c) => ({ _id: c.messageId, sha256: c.sha256 })),
    );
    if (taken.size === 0) return new Map();
    return new Map((await findEach(digests, '_id', [...taken], { sha256: 1 })).map((d) => [d._id, d.sha256]));
  };
}

/** The claims of `message_digests` read, none made: IntakeDeps.heldDigests. */
export function digestsHeldIn(store: Store): NonNullable<IntakeDeps['heldDigests']> {
  const digests = store.collection<DigestClaim>(COLLECTIONS.messageDigests);
  return async (claims) =>
    new Map(
      (
        await findEach(
          digests,
          '_id',
          claims.map((c) => c.messageId),
          { sha256: 1 },
        )
      ).map((d) => [d._id, d.sha256]),
    );
}

/**
 * A store written before message digests were claimed at intake has its archive but no claims: they are taken from
 * the archive once, so that the replay check knows every message stored before.
 */
export async function backfillMessageDigests(store: Store, logger: Logger): Promise<void> {
  const digests = store.collection<DigestClaim>(COLLECTIONS.messageDigests);
  // Whether any exist, by reading one (FerretDB counts, estimated or not, by decoding every document).
  if (await digests.findOne({}, { projection: { _id: 1 } })) return;
  const archive = store.collection<StoredEnvelope>(COLLECTIONS.envelopes);
  if (!(await archive.findOne({}, { projection: { _id: 1 } }))) return;
  let batch: DigestClaim[] = [];
  let n = 0;
  for await (const d of archive.find({}, { projection: { sha256: 1 } })) {
    batch.push({ _id: d._id, sha256: d.sha256 });
    if (batch.length === 1000) {
      await insertNew(digests, batch);
      n += batch.length;
      batch = [];
    }
  }
  await insertNew(digests, batch);
  logger.info({ digests: n + batch.length }, 'message digests taken from the envelope archive');
}
